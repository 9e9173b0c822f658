# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lab 01: Curve fitting
#
# The lecture asks: *is machine learning curve fitting?* This lab answers by doing it, with
# the lecture's running example (Bishop, *Pattern Recognition and Machine Learning*, §1.1 and
# §1.3). Observations are drawn around a curve we pretend not to know,
#
# $$t = \sin(2\pi x) + \epsilon, \qquad \epsilon \sim \mathcal{N}(0, 0.3^2),$$
#
# and we fit them with a polynomial of degree $M$,
#
# $$y(x, \mathbf{w}) = w_0 + w_1 x + \dots + w_M x^M = \sum_{j=0}^{M} w_j x^j,$$
#
# by minimising the sum-of-squares error
# $E(\mathbf{w}) = \tfrac12 \sum_{n=1}^{N} \big(y(x_n, \mathbf{w}) - t_n\big)^2$.
#
# You will write the pieces: the polynomial features, the least-squares fit, the error measures,
# the regularised fit, and the two ways of choosing $M$ (a validation set and k-fold
# cross-validation). Between the exercises, cells that are already written draw the lecture's
# figures with *your* functions, so a figure that looks wrong points at a bug.
#
# Everything is written with `chainrule`, imported under the name `torch`: the names are
# PyTorch's (`torch.stack`, `torch.linalg.lstsq`, `x.T`, `x @ w` ...).
#
# **How to work.** Fill in each cell marked `# YOUR CODE HERE` (delete the
# `raise NotImplementedError()`), then run the test cell below it. The visible tests are a first
# check; the grader runs further, hidden tests on other inputs. Later exercises call earlier
# ones, so do them in order.

# %% tags=["parameters"] nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
QUICK = False   # the test suite runs every lab with QUICK = True (a cell injected after this one)

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import io
import math

from IPython.display import Image, display

import chainrule as torch
from chainrule.data.datasets import sinusoid
from chainrule.experiments.curvefit import generate
from chainrule.labs.checks import check_close, check_equal, check_shape, check_true
from chainrule.viz import Panel, error_curves_figure, fit_panels_figure

# A degree-9 fit has coefficients near 10^6 that cancel to give values near 1: float32's seven
# digits are not enough, so every tensor of this lab is float64.
torch.manual_seed(0)
torch.set_default_dtype(torch.float64)


def show(fig):
    """Draw a Figure from chainrule.viz in the notebook. viz builds bare Figures, without pyplot,
    so no plotting backend shows them by itself: render it to PNG bytes and display those."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi)
    display(Image(buffer.getvalue()))

# %% nbgrader={"grade": false, "grade_id": "settings", "locked": true, "schema_version": 3, "solution": false}
# The only costly part of the lab is the average over many data sets (What more data does).
DRAWS = 3 if QUICK else 200
DEGREES = list(range(10))             # the degrees M compared (Figure 1.5)
LN_LAMBDAS = list(range(-35, 1))      # the penalties compared (Figure 1.8 spans -35 to -20)

# %% [markdown]
# ## The data
#
# `generate()` draws the lecture's data set: $N = 10$ training points on an even grid over
# $[0, 1]$, a **test** set of 100 points made the same way with fresh noise, and a
# **validation** set of 10 points at random $x$ (used to choose $M$). The seed is fixed, so
# everyone sees the same points: a draw like the book's Figure 1.2, not the book's own.

# %% nbgrader={"grade": false, "grade_id": "data", "locked": true, "schema_version": 3, "solution": false}
data = generate()
x, t = torch.tensor(data.x), torch.tensor(data.t)
x_test, t_test = torch.tensor(data.test.x), torch.tensor(data.test.t)
x_val, t_val = torch.tensor(data.validation.x), torch.tensor(data.validation.t)
grid = torch.linspace(0, 1, 200)   # where the fitted curves are drawn
print(f"{len(x)} training points, {len(x_val)} validation points, {len(x_test)} test points")
show(fit_panels_figure([Panel("The training set", x.numpy(), t.numpy(), grid.numpy())],
                       suptitle=r"$t = \sin(2\pi x) + \epsilon$"))

# %% [markdown]
# ## Polynomial features
#
# The polynomial is *linear in the weights*: with the feature vector
# $\phi(x) = (1, x, x^2, \dots, x^M)$ it is $y(x, \mathbf{w}) = \phi(x)^\top \mathbf{w}$, and for
# all $N$ inputs at once $\mathbf{y} = \Phi \mathbf{w}$, where the **design matrix** $\Phi$ has
# one row $\phi(x_n)$ per point:
#
# $$\Phi = \begin{pmatrix} 1 & x_1 & x_1^2 & \cdots & x_1^M \\ \vdots & & & & \vdots \\
# 1 & x_N & x_N^2 & \cdots & x_N^M \end{pmatrix} \in \mathbb{R}^{N \times (M+1)}.$$

# %% [markdown]
# ### Exercise 1: polynomial features (2 points)
#
# Write `poly_features(x, degree)`: `x` is a tensor of shape `(N,)`;
# return $\Phi$, a tensor of shape `(N, degree + 1)` whose column $j$ is `x ** j` (so column 0
# is all ones). `torch.stack(list_of_columns, dim=1)` builds a matrix from columns.

# %% nbgrader={"grade": false, "grade_id": "poly_features", "locked": false, "schema_version": 3, "solution": true}
def poly_features(x, degree):
    """Return the N x (degree + 1) design matrix [x**0, x**1, ..., x**degree] of x (shape (N,))."""
    ### BEGIN SOLUTION
    return torch.stack([x ** j for j in range(degree + 1)], dim=1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "poly_features_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check_shape(poly_features(torch.zeros(5), 3), (5, 4), "poly_features(zeros(5), 3)")
check_close(poly_features(torch.tensor([2.0]), 2), [[1.0, 2.0, 4.0]], "poly_features([2.0], 2)")
check_close(poly_features(torch.tensor([0.5, -1.0]), 1), [[1.0, 0.5], [1.0, -1.0]],
            "poly_features([0.5, -1.0], 1)")
### BEGIN HIDDEN TESTS
from chainrule.models import polynomial_features as _reference_features

_xs = torch.linspace(-1.5, 2.0, 7)
for _degree in (0, 1, 4, 9):
    check_close(poly_features(_xs, _degree), _reference_features(_xs, _degree),
                f"poly_features(linspace(-1.5, 2, 7), {_degree})", rtol=1e-12)
check_shape(poly_features(_xs, 0), (7, 1), "poly_features(x, 0): the constant column alone")
### END HIDDEN TESTS

# %% [markdown]
# ## The least-squares fit, in closed form
#
# $E(\mathbf{w}) = \tfrac12 \lVert \Phi \mathbf{w} - \mathbf{t} \rVert^2$ is a quadratic in
# $\mathbf{w}$; setting its gradient $\Phi^\top(\Phi\mathbf{w} - \mathbf{t})$ to zero gives the
# **normal equations** $\Phi^\top \Phi\, \mathbf{w}^\star = \Phi^\top \mathbf{t}$. No gradient
# descent is needed: one linear solve finds the best weights.
#
# Solving the normal equations as written is risky, though: for $M = 9$ on $[0, 1]$ the condition
# number of $\Phi^\top\Phi$ is about $10^{14}$, so about 14 of float64's 16 digits are lost. A
# least-squares solver works on $\Phi$ itself (condition number about $10^7$), and when there are
# fewer points than coefficients (cross-validation will need that case) it returns the solution of smallest
# norm instead of failing.

# %% [markdown]
# ### Exercise 2: the least-squares fit (3 points)
#
# Write `fit_least_squares(x, t, degree)`, returning the weights
# $\mathbf{w}^\star$ (shape `(degree + 1,)`) that minimise $E(\mathbf{w})$. Use
# `torch.linalg.lstsq(A, B).solution`, which solves $A X \approx B$ for a matrix `B`: pass `t` as
# a column (`t[:, None]`) and take column 0 of the solution.

# %% nbgrader={"grade": false, "grade_id": "fit_least_squares", "locked": false, "schema_version": 3, "solution": true}
def fit_least_squares(x, t, degree):
    """Return w (shape (degree + 1,)) minimising 1/2 sum_n (y(x_n, w) - t_n)^2."""
    ### BEGIN SOLUTION
    phi = poly_features(x, degree)
    return torch.linalg.lstsq(phi, t[:, None]).solution[:, 0]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "fit_least_squares_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
_line = fit_least_squares(torch.tensor([0.0, 1.0, 2.0]), torch.tensor([1.0, 3.0, 5.0]), 1)
check_shape(_line, (2,), "fit_least_squares(x, t, 1) (two weights: w0, w1)")
check_close(_line, [1.0, 2.0], "the line through (0, 1), (1, 3), (2, 5)", atol=1e-8)
check_close(fit_least_squares(torch.tensor([0.0, 1.0, 2.0, 3.0]),
                              torch.tensor([1.0, 2.0, 2.0, 3.0]), 0), [2.0],
            "degree 0: the best constant is the mean of t", atol=1e-8)
# Two points, three coefficients: many parabolas pass through (0, 1) and (1, 1); lstsq returns
# the one with the smallest ||w||, the constant 1.
check_close(fit_least_squares(torch.tensor([0.0, 1.0]), torch.tensor([1.0, 1.0]), 2),
            [1.0, 0.0, 0.0], "degree 2 through 2 points (the minimum-norm solution)", atol=1e-8)
### BEGIN HIDDEN TESTS
from chainrule.experiments.curvefit import fit as _reference_fit

_data = generate(n=25, seed=11)
_xs, _ts = torch.tensor(_data.x), torch.tensor(_data.t)
for _degree in (1, 3, 5):
    check_close(fit_least_squares(_xs, _ts, _degree),
                _reference_fit(_data.x, _data.t, _degree).weight.array,
                f"fit_least_squares on 25 noisy points, degree {_degree}", rtol=1e-6, atol=1e-6)
# M = 9 through 10 points: the polynomial passes through every one (the coefficients themselves
# depend on the solver in their last digits, the fitted values do not).
_data = generate(n=10, seed=5)
_xs, _ts = torch.tensor(_data.x), torch.tensor(_data.t)
check_close(poly_features(_xs, 9) @ fit_least_squares(_xs, _ts, 9), _data.t,
            "degree 9 through 10 points: the fitted values equal the targets", atol=1e-4)
# Fewer points than coefficients: lstsq's minimum-norm solution, as the text asks.
check_close(fit_least_squares(_xs[:4], _ts[:4], 6),
            _reference_fit(_data.x[:4], _data.t[:4], 6).weight.array,
            "degree 6 through 4 points (the minimum-norm solution)", rtol=1e-6, atol=1e-6)
### END HIDDEN TESTS

# %% [markdown]
# ## Predictions and errors
#
# $E(\mathbf{w})$ grows with $N$, so to compare data sets of different sizes the book uses the
# **root-mean-square error** $E_{RMS} = \sqrt{2E(\mathbf{w}^\star)/N}$, which is on the scale of
# $t$ itself.

# %% [markdown]
# ### Exercise 3: predictions and errors (3 points)
#
# Write
# - `predict(w, x)`: the values $y(x_n, \mathbf{w})$, a tensor of shape `(N,)` (the degree is
#   `len(w) - 1`);
# - `sum_of_squares_error(y, t)`: $E = \tfrac12 \sum_n (y_n - t_n)^2$, a scalar tensor;
# - `rms_error(y, t)`: $E_{RMS} = \sqrt{2E/N}$, a Python `float` (use `.item()`).

# %% nbgrader={"grade": false, "grade_id": "errors", "locked": false, "schema_version": 3, "solution": true}
def predict(w, x):
    """Return y(x_n, w) for every x_n (shape (N,)): the polynomial with coefficients w."""
    ### BEGIN SOLUTION
    return poly_features(x, len(w) - 1) @ w
    ### END SOLUTION


def sum_of_squares_error(y, t):
    """Return E = 1/2 sum_n (y_n - t_n)^2 as a scalar tensor."""
    ### BEGIN SOLUTION
    return 0.5 * ((y - t) ** 2).sum()
    ### END SOLUTION


def rms_error(y, t):
    """Return E_RMS = sqrt(2 E / N) as a float."""
    ### BEGIN SOLUTION
    return math.sqrt(2 * sum_of_squares_error(y, t).item() / len(t))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "errors_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check_close(predict(torch.tensor([1.0, -2.0, 3.0]), torch.tensor([0.0, 2.0])), [1.0, 9.0],
            "predict(w = [1, -2, 3], x = [0, 2]): 1 - 2x + 3x^2")
check_close(sum_of_squares_error(torch.tensor([1.0, 2.0]), torch.tensor([0.0, 0.0])), 2.5,
            "sum_of_squares_error([1, 2], [0, 0])")
check_true(isinstance(rms_error(torch.ones(4), torch.zeros(4)), float),
           "rms_error must return a Python float (use .item())")
check_close(rms_error(torch.tensor([3.0, 1.0]), torch.tensor([0.0, 0.0])), math.sqrt(5.0),
            "rms_error([3, 1], [0, 0])")
### BEGIN HIDDEN TESTS
from chainrule.models import rms_error as _reference_rms
from chainrule.models import sum_of_squares_error as _reference_sse

_gen = torch.Generator().manual_seed(3)
_ys, _ts = torch.randn(17, generator=_gen), torch.randn(17, generator=_gen)
check_close(sum_of_squares_error(_ys, _ts), _reference_sse(_ys, _ts),
            "sum_of_squares_error on 17 random values", rtol=1e-12)
check_close(rms_error(_ys, _ts), _reference_rms(_ys, _ts), "rms_error on 17 random values",
            rtol=1e-12)
check_close(rms_error(_ts, _ts), 0.0, "rms_error of a perfect prediction")
_ws = torch.randn(6, generator=_gen)
_xs = torch.linspace(-1.0, 1.0, 9)
check_close(predict(_ws, _xs), sum(_ws[j].item() * _xs ** j for j in range(6)),
            "predict with 6 random coefficients", rtol=1e-12, atol=1e-12)
check_shape(predict(torch.tensor([4.0]), _xs), (9,), "predict with degree 0 (a constant)")
### END HIDDEN TESTS

# %% [markdown]
# ## Which degree? Over-fitting
#
# The cell below fits $M = 0, 1, 3, 9$ with your functions and draws them over the data and the
# true curve (the book's Figure 1.4). $M = 0$ and $M = 1$ are too stiff; $M = 3$ follows
# $\sin(2\pi x)$ well; $M = 9$ has ten coefficients for ten points, passes through every one
# ($E = 0$) and swings wildly between them: it has fitted the noise. Its coefficients show how
# (Table 1.1): they grow to about $10^6$ and nearly cancel.

# %% nbgrader={"grade": false, "grade_id": "fits_by_degree", "locked": true, "schema_version": 3, "solution": false}
panels = []
for degree in (0, 1, 3, 9):
    w = fit_least_squares(x, t, degree)
    panels.append(Panel(f"$M = {degree}$", x.numpy(), t.numpy(), grid.numpy(),
                        predict(w, grid).numpy()))
    print(f"M = {degree}: largest |w_j| = {w.abs().max().item():10.3g}, "
          f"training E_RMS = {rms_error(predict(w, x), t):.3f}")
show(fit_panels_figure(panels, suptitle="Polynomials fitted to 10 points"))

# %% [markdown]
# The training error can only fall as $M$ grows (a larger $M$ contains every smaller one), so it
# cannot choose $M$. What we care about is **generalisation**: the error on new data drawn the
# same way, here the 100-point test set (the book's Figure 1.5).

# %% nbgrader={"grade": false, "grade_id": "rms_by_degree", "locked": true, "schema_version": 3, "solution": false}
train_rms, test_rms = [], []
for degree in DEGREES:
    w = fit_least_squares(x, t, degree)
    train_rms.append(rms_error(predict(w, x), t))
    test_rms.append(rms_error(predict(w, x_test), t_test))
show(error_curves_figure(DEGREES, {"Training": train_rms, "Test": test_rms}, "$M$",
                         title="Over-fitting: $E_{RMS}$ against the degree",
                         ylim=(0, max(1.0, 1.3 * test_rms[0]))))

# %% [markdown]
# ### What more data does
#
# The same $M = 9$ fitted to 15 and to 100 points from the same source (Figure 1.6): with more
# data the wiggles die out. "The larger the data set, the more complex the model we can afford
# to fit." One draw of ten points can be lucky or unlucky, so the second figure averages the test
# error over many draws (`DRAWS` data sets of each size): with $N = 10$ the large degrees are bad
# on average, with $N = 100$ they cost almost nothing.

# %% nbgrader={"grade": false, "grade_id": "more_data", "locked": true, "schema_version": 3, "solution": false}
panels = []
for n in (15, 100):
    more = sinusoid(n, seed=data.generator)
    x_more, t_more = torch.tensor(more.x), torch.tensor(more.t)
    w = fit_least_squares(x_more, t_more, 9)
    panels.append(Panel(f"$N = {n}$", more.x, more.t, grid.numpy(), predict(w, grid).numpy()))
    print(f"N = {n:3d}: test E_RMS of M = 9 is {rms_error(predict(w, x_test), t_test):.3f}")
show(fit_panels_figure(panels, suptitle="$M = 9$ fitted to more data"))

# %% nbgrader={"grade": false, "grade_id": "more_data_average", "locked": true, "schema_version": 3, "solution": false}
generator = torch.Generator().manual_seed(1)
mean_test_rms = {}
for n in (10, 100):
    totals = [0.0] * len(DEGREES)
    for _ in range(DRAWS):
        draw = sinusoid(n, seed=generator)
        x_draw, t_draw = torch.tensor(draw.x), torch.tensor(draw.t)
        for degree in DEGREES:
            w = fit_least_squares(x_draw, t_draw, degree)
            totals[degree] += rms_error(predict(w, x_test), t_test) / DRAWS
    mean_test_rms[f"Test, N = {n}"] = totals
ceiling = max(1.0, 1.1 * max(max(values) for values in mean_test_rms.values()))
show(error_curves_figure(DEGREES, mean_test_rms, "$M$", ylabel="mean test $E_{RMS}$",
                         title=f"Test error averaged over {DRAWS} training sets",
                         ylim=(0, ceiling)))

# %% [markdown]
# ## Regularisation
#
# Instead of limiting $M$ we can keep $M = 9$ and **penalise large coefficients** (the book's
# eq. 1.4, ridge regression or weight decay):
#
# $$\tilde E(\mathbf{w}) = \tfrac12 \sum_{n=1}^N \big(y(x_n, \mathbf{w}) - t_n\big)^2
#   + \tfrac{\lambda}{2} \lVert \mathbf{w} \rVert^2 .$$
#
# Its minimiser solves $(\Phi^\top\Phi + \lambda I)\,\mathbf{w}^\star = \Phi^\top \mathbf{t}$
# (all coefficients penalised, $w_0$ included, as in the book). Two ways to compute it, both
# accepted:
# - solve that system with `torch.linalg.solve(A, b)` (the $\lambda I$ makes it well posed);
# - or notice that $\tilde E$ is an ordinary least-squares error with $M + 1$ extra "points":
#   stack $\Phi$ on top of $\sqrt{\lambda}\, I$ and $\mathbf{t}$ on top of $M + 1$ zeros
#   (`torch.cat`, `torch.eye`, `torch.zeros`) and call `lstsq` as before. This never forms
#   $\Phi^\top\Phi$, and is what `chainrule` itself does.

# %% [markdown]
# ### Exercise 4: the regularised fit (3 points)
#
# Write `fit_ridge(x, t, degree, lam)` returning that
# $\mathbf{w}^\star$ (shape `(degree + 1,)`) for a $\lambda$ = `lam` $> 0$.

# %% nbgrader={"grade": false, "grade_id": "fit_ridge", "locked": false, "schema_version": 3, "solution": true}
def fit_ridge(x, t, degree, lam):
    """Return w minimising 1/2 sum_n (y(x_n, w) - t_n)^2 + lam/2 ||w||^2 (w_0 included)."""
    ### BEGIN SOLUTION
    phi = poly_features(x, degree)
    # The penalty as M + 1 extra rows: ||[phi; sqrt(lam) I] w - [t; 0]||^2 is the penalised error.
    stacked = torch.cat([phi, math.sqrt(lam) * torch.eye(degree + 1)])
    targets = torch.cat([t, torch.zeros(degree + 1)])
    return torch.linalg.lstsq(stacked, targets[:, None]).solution[:, 0]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "fit_ridge_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
_one = fit_ridge(torch.tensor([0.0, 0.0]), torch.tensor([3.0, 3.0]), 0, 2.0)
check_close(_one, [1.5], "degree 0, two points t = 3 at x = 0, lam = 2: w0 = 6 / (2 + 2)")
_data = generate()   # the lab's ten points, drawn again
_xs, _ts = torch.tensor(_data.x), torch.tensor(_data.t)
check_shape(fit_ridge(_xs, _ts, 9, 1.0), (10,), "fit_ridge(x, t, 9, 1.0)")
check_true(fit_ridge(_xs, _ts, 9, 1.0).abs().max() < fit_ridge(_xs, _ts, 9, 1e-6).abs().max(),
           "a larger lam must give smaller coefficients")
### BEGIN HIDDEN TESTS
from chainrule.models import least_squares as _reference_least_squares
from chainrule.models import polynomial_features as _reference_features

_data = generate(n=12, seed=7)
_xs, _ts = torch.tensor(_data.x), torch.tensor(_data.t)
for _degree, _ln_lambda in ((9, -18.0), (9, -5.0), (9, 0.0), (3, -2.0), (5, 2.5)):
    _phi = _reference_features(_data.x, _degree).numpy()
    _want = _reference_least_squares(_phi, _data.t, math.exp(_ln_lambda))
    check_close(fit_ridge(_xs, _ts, _degree, math.exp(_ln_lambda)), _want,
                f"fit_ridge on 12 points, degree {_degree}, ln lam = {_ln_lambda}",
                rtol=1e-5, atol=1e-6 * max(1.0, float(abs(_want).max())))
# w0 is penalised too: with a huge lam every coefficient goes to zero.
check_close(fit_ridge(_xs, _ts + 100.0, 2, 1e12), [0.0, 0.0, 0.0],
            "fit_ridge with lam = 1e12 (w_0 is penalised as well)", atol=1e-6)
### END HIDDEN TESTS

# %% [markdown]
# The book's Figure 1.7: $M = 9$ with $\ln\lambda = -18$ (a small penalty that already tames the
# swings) and with $\ln\lambda = 0$ (far too much: the fit is flattened towards zero). Then
# Figure 1.8: the training and test error against $\ln\lambda$. $\lambda$ now plays the role $M$
# played: it sets the *effective* complexity of the model.

# %% nbgrader={"grade": false, "grade_id": "ridge_figures", "locked": true, "schema_version": 3, "solution": false}
panels = []
for ln_lambda in (-18.0, 0.0):
    w = fit_ridge(x, t, 9, math.exp(ln_lambda))
    panels.append(Panel(f"$\\ln \\lambda = {ln_lambda:g}$", x.numpy(), t.numpy(), grid.numpy(),
                        predict(w, grid).numpy()))
    print(f"ln lambda = {ln_lambda:5.1f}: largest |w_j| = {w.abs().max().item():.3g}")
show(fit_panels_figure(panels, suptitle="$M = 9$ with the penalty $(\\lambda/2)\\|w\\|^2$"))

train_rms, test_rms = [], []
for ln_lambda in LN_LAMBDAS:
    w = fit_ridge(x, t, 9, math.exp(ln_lambda))
    train_rms.append(rms_error(predict(w, x), t))
    test_rms.append(rms_error(predict(w, x_test), t_test))
show(error_curves_figure(LN_LAMBDAS, {"Training": train_rms, "Test": test_rms},
                         "$\\ln \\lambda$", title="$M = 9$: $E_{RMS}$ against $\\ln \\lambda$",
                         ylim=(0, 1.0)))

# %% [markdown]
# ## Choosing $M$ on a validation set
#
# The test set must not choose anything: once it has picked $M$, its error is no longer an
# honest estimate of the error on new data. So we hold out a separate **validation set**
# (`x_val`, `t_val`: 10 more points), choose $M$ by its error, and keep the test set for one
# final measurement.

# %% [markdown]
# ### Exercise 5: choosing the degree on a validation set (2 points)
#
# Write `choose_on_validation(x, t, x_val, t_val, degrees)`: fit each
# degree in `degrees` on the training points (unregularised), measure its $E_{RMS}$ on the
# validation points, and return `(best_degree, errors)`: the degree with the smallest validation
# error (the first one, if several tie) and the list of validation errors (floats, in the order
# of `degrees`).

# %% nbgrader={"grade": false, "grade_id": "choose_on_validation", "locked": false, "schema_version": 3, "solution": true}
def choose_on_validation(x, t, x_val, t_val, degrees):
    """Return (the degree with the lowest validation E_RMS, the list of validation E_RMS)."""
    ### BEGIN SOLUTION
    errors = [rms_error(predict(fit_least_squares(x, t, m), x_val), t_val) for m in degrees]
    best = degrees[errors.index(min(errors))]
    return best, errors
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "choose_on_validation_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# Points on the parabola t = x^2: degree 2 fits the validation points exactly, 0 and 1 cannot.
_xs, _xs_val = torch.tensor([0.0, 0.5, 1.0, 1.5, 2.0]), torch.tensor([0.25, 1.75])
_best, _errors = choose_on_validation(_xs, _xs ** 2, _xs_val, _xs_val ** 2, [0, 1, 2])
check_equal(len(_errors), 3, "one validation error per degree")
check_close(_errors[2], 0.0, "validation E_RMS of degree 2 on the parabola t = x^2", atol=1e-8)
check_true(_errors[0] > 0.01 and _errors[1] > 0.01,
           f"degrees 0 and 1 cannot follow a parabola, yet their errors are {_errors[:2]}")
check_equal(_best, 2, "best degree among [0, 1, 2] for the parabola t = x^2")
### BEGIN HIDDEN TESTS
import chainrule.experiments.curvefit as _curvefit

for _seed in (3, 8):
    _data = _curvefit.generate(n=10, seed=_seed)
    _degrees = list(range(8))
    _selection = _curvefit.select_degree(_data, _degrees, "hold-out")
    _best, _errors = choose_on_validation(
        torch.tensor(_data.x), torch.tensor(_data.t), torch.tensor(_data.validation.x),
        torch.tensor(_data.validation.t), _degrees)
    check_close(_errors, [math.sqrt(_trial.score) for _trial in _selection.trials],
                f"validation E_RMS for M = 0..7 (data seed {_seed})", rtol=1e-6)
    check_equal(_best, _selection.best["degree"], f"chosen degree (data seed {_seed})")
# The degrees need not start at 0 nor be in order.
_best, _ = choose_on_validation(torch.tensor(_data.x), torch.tensor(_data.t),
                                torch.tensor(_data.validation.x),
                                torch.tensor(_data.validation.t), [9, 2, 0])
check_equal(_best, _curvefit.select_degree(_data, [9, 2, 0], "hold-out").best["degree"],
            "best of the degrees [9, 2, 0]")
### END HIDDEN TESTS

# %% [markdown]
# The validation curve on our data, and the test error of the chosen $M$ (measured once):

# %% nbgrader={"grade": false, "grade_id": "validation_figure", "locked": true, "schema_version": 3, "solution": false}
best, validation_rms = choose_on_validation(x, t, x_val, t_val, DEGREES)
train_rms = [rms_error(predict(fit_least_squares(x, t, m), x), t) for m in DEGREES]
show(error_curves_figure(DEGREES, {"Training": train_rms, "Validation": validation_rms}, "$M$",
                         chosen=best, title="Choosing $M$ on a validation set",
                         ylim=(0, max(1.0, 1.3 * validation_rms[0]))))
w = fit_least_squares(x, t, best)
print(f"chosen M = {best}; its test E_RMS = {rms_error(predict(w, x_test), t_test):.3f}")

# %% [markdown]
# ## k-fold cross-validation
#
# Ten validation points are few, and data spent on validation are not spent on training. With
# **k-fold cross-validation** every point is used for both: split the $N$ training points into
# $k$ folds; for each fold, fit on the other $k - 1$ folds and measure the error on the held-out
# fold; pool the held-out errors. With $k = N$ this is *leave-one-out* (the book's §1.3,
# "when data is particularly scarce").

# %% [markdown]
# ### Exercise 6: the k folds (2 points)
#
# Write `kfold_splits(order, k)`. `order` is a tensor holding a
# permutation of `0, ..., N-1` (for example `torch.randperm(N)`); cut it, in that order, into `k`
# consecutive folds of near-equal size, the first `N % k` folds one element longer than the
# others. Return a list of `k` pairs `(train_indices, validation_indices)`, fold `i` being the
# validation indices of pair `i` and all other folds its training indices; both are integer
# tensors **sorted** ascending (`torch.sort(v).values`). Slicing (`order[a:b]`) and `torch.cat`
# are all you need.

# %% nbgrader={"grade": false, "grade_id": "kfold_splits", "locked": false, "schema_version": 3, "solution": true}
def kfold_splits(order, k):
    """Return k pairs (train_indices, validation_indices), the folds being consecutive chunks of
    the permutation order (the first len(order) % k of them one longer), each sorted."""
    ### BEGIN SOLUTION
    n = len(order)
    sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
    starts = [sum(sizes[:i]) for i in range(k + 1)]
    folds = [order[starts[i]:starts[i + 1]] for i in range(k)]
    splits = []
    for i in range(k):
        train = torch.cat([folds[j] for j in range(k) if j != i])
        splits.append((torch.sort(train).values, torch.sort(folds[i]).values))
    return splits
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "kfold_splits_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
_splits = kfold_splits(torch.arange(6), 3)
check_equal(len(_splits), 3, "kfold_splits(arange(6), 3): number of splits")
check_equal(_splits[0][1].tolist(), [0, 1], "kfold_splits(arange(6), 3): fold 0")
check_equal(_splits[0][0].tolist(), [2, 3, 4, 5], "kfold_splits(arange(6), 3): training of split 0")
_splits = kfold_splits(torch.tensor([4, 0, 3, 1, 2]), 2)
check_equal([v.tolist() for v in _splits[0]], [[1, 2], [0, 3, 4]],
            "kfold_splits([4, 0, 3, 1, 2], 2): split 0 (3 held out, since 5 % 2 = 1)")
### BEGIN HIDDEN TESTS
from chainrule.random import rng as _numpy_rng
from chainrule.train.select import KFold as _KFold

for _n, _k, _seed in ((10, 3, 0), (23, 5, 1), (7, 7, 2), (12, 4, 3)):
    # The library's KFold draws its permutation first; the same seed gives the same one.
    _order = _numpy_rng(_seed, "test").permutation(_n)
    _want = _KFold(_k).splits(_n, _numpy_rng(_seed, "test"))
    _got = kfold_splits(torch.tensor(_order), _k)
    check_equal(len(_got), _k, f"number of splits (n = {_n}, k = {_k})")
    for _i, ((_train, _held), (_want_train, _want_held)) in enumerate(zip(_got, _want)):
        check_equal(_held.tolist(), _want_held.tolist(),
                    f"validation indices of split {_i} (n = {_n}, k = {_k})")
        check_equal(_train.tolist(), _want_train.tolist(),
                    f"training indices of split {_i} (n = {_n}, k = {_k})")
### END HIDDEN TESTS

# %% [markdown]
# ### Exercise 7: the cross-validation error (3 points)
#
# Write `cross_validation_rms(x, t, splits, fit)`. For each pair
# `(train, held)` in `splits`, fit the model on the training points, `w = fit(x[train], t[train])`
# (`fit` is any function of that form, for example
# `lambda xs, ts: fit_least_squares(xs, ts, 3)`), and predict the held-out points. Return the
# cross-validation error as a float: the root of the mean squared error over **all** held-out
# points pooled,
#
# $$E_{CV} = \sqrt{\frac{1}{\sum_i |\text{held}_i|}\sum_{i}\sum_{n \in \text{held}_i}
#   \big(y(x_n, \mathbf{w}_i) - t_n\big)^2}.$$
#
# (Pooling, rather than averaging each fold's $E_{RMS}$, weights every point the same, and it
# stays meaningful for leave-one-out's one-point folds.)

# %% nbgrader={"grade": false, "grade_id": "cross_validation_rms", "locked": false, "schema_version": 3, "solution": true}
def cross_validation_rms(x, t, splits, fit):
    """Return the pooled held-out E_RMS of fit over the (train, held) index pairs in splits."""
    ### BEGIN SOLUTION
    squared, count = 0.0, 0
    for train, held in splits:
        w = fit(x[train], t[train])
        squared += ((predict(w, x[held]) - t[held]) ** 2).sum().item()
        count += len(held)
    return math.sqrt(squared / count)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "cross_validation_rms_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# Leave-one-out with the constant fit, by hand: leaving out t = 0 predicts 3, leaving out t = 2
# predicts 2, leaving out t = 4 predicts 1; squared errors 9, 0, 9.
def _mean_fit(xs, ts):
    """The degree-0 least-squares fit, written out: w_0 is the mean of the targets."""
    return torch.tensor([ts.mean().item()])


_loo = [(torch.tensor([1, 2]), torch.tensor([0])), (torch.tensor([0, 2]), torch.tensor([1])),
        (torch.tensor([0, 1]), torch.tensor([2]))]
_value = cross_validation_rms(torch.tensor([0.0, 1.0, 2.0]), torch.tensor([0.0, 2.0, 4.0]),
                              _loo, _mean_fit)
check_true(isinstance(_value, float), "cross_validation_rms must return a Python float")
check_close(_value, math.sqrt(6.0), "leave-one-out E_CV of the constant fit, t = [0, 2, 4]")
### BEGIN HIDDEN TESTS
import chainrule.experiments.curvefit as _curvefit
from chainrule.random import rng as _numpy_rng
from chainrule.train.select import KFold as _KFold
from chainrule.train.select import LeaveOneOut as _LeaveOneOut


class _FixedSplits:
    """The library's selection run on exactly the splits the student's function receives."""

    def __init__(self, splits):
        self.fixed = splits

    def splits(self, n, rng):
        return self.fixed


def _reference_weights(degree, lam=0.0):
    """A fit that does not depend on the student's exercise 2 or 4."""
    return lambda xs, ts: torch.tensor(
        _curvefit.fit(xs.numpy(), ts.numpy(), degree, lam).weight.array)


_data = _curvefit.generate(n=13, seed=4)
_xs, _ts = torch.tensor(_data.x), torch.tensor(_data.t)
for _split in (_KFold(3), _KFold(5), _LeaveOneOut()):
    _fixed = _split.splits(13, _numpy_rng(6, "test"))   # fold sizes differ for k = 3 and 5
    _student = [(torch.tensor(a), torch.tensor(b)) for a, b in _fixed]
    for _degree in (1, 3, 6):
        _want = _curvefit.select_degree(_data, [_degree], split=_FixedSplits(_fixed))
        check_close(cross_validation_rms(_xs, _ts, _student, _reference_weights(_degree)),
                    math.sqrt(_want.trials[0].score),
                    f"E_CV, degree {_degree}, {_split!r} on 13 points", rtol=1e-6)
    _want = _curvefit.select_ln_lambda(_data, 9, split=_FixedSplits(_fixed), ln_lambdas=[-7.0])
    check_close(cross_validation_rms(_xs, _ts, _student, _reference_weights(9, math.exp(-7.0))),
                math.sqrt(_want.trials[0].score),
                f"E_CV, degree 9 with ln lam = -7, {_split!r} on 13 points", rtol=1e-6)
### END HIDDEN TESTS

# %% [markdown]
# Cross-validation on our ten training points, choosing $M$ with 5 folds and with leave-one-out.
# Only the training set is used; the test set measures the winner once, at the end. Large
# degrees fare far worse here than on the validation set: a fold that holds out $x = 0$ or
# $x = 1$ asks the polynomial to *extrapolate*, where it swings hardest. (With 5 folds each fit
# sees 8 points: from $M = 7$ on the fit passes through all of them, and from $M = 8$ on there are
# fewer points than coefficients, where lstsq's minimum-norm answer is needed.)

# %% nbgrader={"grade": false, "grade_id": "cross_validation_figures", "locked": true, "schema_version": 3, "solution": false}
order = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
schemes = {"5-fold": kfold_splits(order, 5), "leave-one-out": kfold_splits(order, len(x))}
curves = {}
for name, splits in schemes.items():
    curves[f"Validation ({name})"] = [
        cross_validation_rms(x, t, splits, lambda xs, ts, m=m: fit_least_squares(xs, ts, m))
        for m in DEGREES]
best_degree = DEGREES[curves["Validation (leave-one-out)"].index(
    min(curves["Validation (leave-one-out)"]))]
curves["Training"] = [rms_error(predict(fit_least_squares(x, t, m), x), t) for m in DEGREES]
figure = error_curves_figure(DEGREES, curves, "$M$", chosen=best_degree,
                             title="Choosing $M$ by cross-validation", ylim=(0, 1.5))
figure.axes[0].legend(loc="upper left")   # "best" puts it over the curves leaving the plot
show(figure)
w = fit_least_squares(x, t, best_degree)
print(f"leave-one-out chooses M = {best_degree}: "
      f"test E_RMS {rms_error(predict(w, x_test), t_test):.3f}")

# %% [markdown]
# Now $\ln\lambda$ for $M = 9$, chosen by leave-one-out on the ten points, and, for comparison,
# by 10-fold cross-validation on 100 points drawn the same way. Look at how bumpy the ten-point
# curve is: its minimum is a poor guide, and the $\lambda$ it picks may be far from the one the
# test set would have liked. A validation estimate from ten points is itself a noisy
# measurement; with 100 points the curve is smooth and the choice is safe.

# %% nbgrader={"grade": false, "grade_id": "cross_validation_lambda", "locked": true, "schema_version": 3, "solution": false}
more = sinusoid(100, seed=data.generator)
x_more, t_more = torch.tensor(more.x), torch.tensor(more.t)
order_more = torch.randperm(100, generator=torch.Generator().manual_seed(0))
settings = {"N = 10, leave-one-out": (x, t, kfold_splits(torch.arange(len(x)), len(x))),
            "N = 100, 10-fold": (x_more, t_more, kfold_splits(order_more, 10))}
curves = {}
for name, (xs, ts, splits) in settings.items():
    curves[name] = [
        cross_validation_rms(xs, ts, splits, lambda a, b, v=v: fit_ridge(a, b, 9, math.exp(v)))
        for v in LN_LAMBDAS]
    chosen = LN_LAMBDAS[curves[name].index(min(curves[name]))]
    w = fit_ridge(xs, ts, 9, math.exp(chosen))
    print(f"{name}: chooses ln lambda = {chosen}, "
          f"test E_RMS {rms_error(predict(w, x_test), t_test):.3f}")
figure = error_curves_figure(LN_LAMBDAS, curves, "$\\ln \\lambda$",
                             ylabel="cross-validation $E_{RMS}$",
                             title="Choosing $\\ln \\lambda$ for $M = 9$", ylim=(0, 1.5))
figure.axes[0].legend(loc="center left")   # the empty part: N = 10's curve leaves at the top
show(figure)

# %% [markdown]
# ## What to take away
#
# - Fitting a model linear in its weights is one least-squares solve; solve it with a
#   least-squares routine, not by inverting $\Phi^\top\Phi$.
# - The training error always falls with complexity; only held-out data can choose $M$ or
#   $\lambda$. The test set is touched once, at the end.
# - Over-fitting is a matter of complexity *relative to the data*: more data, or a penalty on the
#   weights, lets a flexible model behave.
# - Deep networks are fitted by minimising an error too, but not in closed form: the next labs
#   compute $\nabla E$ by backpropagation and follow it.
