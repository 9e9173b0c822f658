"""The lecture's running example, PRML §1.1 (pp. 4-12): polynomial curve fitting, the effect of the
degree M, of the data size N and of the regulariser λ, and the choice of M and λ on held-out data.
Each function returns numbers; curvefit_figures.py draws them and the `chainrule curvefit` command prints
them."""
import dataclasses
import math

from chainrule.grad_mode import no_grad
from chainrule.backend import float64, xp
from chainrule.data.dataset import TensorDataset
from chainrule.data.datasets import sinusoid
from chainrule.random import Generator
from chainrule.models import Polynomial, rms_error
from chainrule.tensor import Tensor
from chainrule.train.select import HoldOut, KFold, LeaveOneOut, select

# Table 1.1 (p. 8) and Figure 1.4 (p. 7) show these degrees.
BOOK_DEGREES = (0, 1, 3, 9)
# Figure 1.7 (p. 10): the degree-9 fit with ln λ = −18 and with ln λ = 0; Figure 1.8 sweeps ln λ.
BOOK_LN_LAMBDAS = (-18.0, 0.0)
LN_LAMBDA_SWEEP = tuple(float(v) for v in range(-40, 1))
# Figure 1.6 (p. 9): the degree-9 fit to 15 and to 100 points.
BOOK_DATA_SIZES = (15, 100)
# The seed of the default draw. Like the book's own ten points, one draw is shown; this one shows
# the book's picture (test E_RMS worst at M = 9). Over seeds 0-19, the degree-9 interpolant is
# the worst on the test set for about half of the draws (tests/experiments says how many): between
# ten points its wiggles are large only for some noise draws.
DEFAULT_SEED = 2


@dataclasses.dataclass
class Data:
    """The training points (arrays x, t); for generated data also a test set, a validation set
    and the generator that drew them (for more data sets of the same kind)."""
    x: object
    t: object
    test: object = None        # Sinusoid datasets, or None for a user's own data
    validation: object = None
    generator: object = None   # draws further data sets (Figure 1.6), or None

    @property
    def generated(self):
        return self.generator is not None


def generate(n=10, n_test=100, seed=DEFAULT_SEED):
    """N training points on an even grid over [0, 1], a test set of n_test points made the same
    way with new noise (p. 8), and a validation set of N points at random x (on the training
    grid it would only measure the noise at the training inputs), all from one generator."""
    generator = Generator().manual_seed(seed)
    train = sinusoid(n, seed=generator)
    test = sinusoid(n_test, seed=generator)
    validation = sinusoid(n, x="random", seed=generator)
    return Data(train.x, train.t, test, validation, generator)


def curve_grid(x, generated, points=400):
    """Where to draw fitted curves: [0, 1] for generated data, the data's x range otherwise."""
    low, high = (0.0, 1.0) if generated else (float(x.min()), float(x.max()))
    return xp.linspace(low, high, points)


def fit(x, t, degree, lam=0.0):
    """The polynomial of the given degree minimising E(w) + (λ/2)‖w‖², in closed form (float64)."""
    return Polynomial(degree, dtype=float64).fit_closed_form(x, t, lam)


def predict(model, x):
    """The model's outputs at x, an array (no graph is recorded)."""
    with no_grad():
        return model(Tensor._make(xp.asarray(x, dtype=float64))).array


def by_gradient(x, t, degree, steps=10_000):
    """The same least-squares polynomial found the second way, by gradient descent through the
    engine (Polynomial.fit_by_gradient, Adam): returns (closed-form w*, trained w)."""
    trained = Polynomial(degree, dtype=float64)
    trained.fit_by_gradient(x, t, steps=steps)
    return fit(x, t, degree).weight.array.copy(), trained.weight.array.copy()


def coefficients(x, t, degrees=BOOK_DEGREES, lam=0.0):
    """w* for each degree (Table 1.1; Table 1.2 with lam): dict degree -> array (M + 1,)."""
    return {m: fit(x, t, m, lam).weight.array.copy() for m in degrees}


def rms_by_degree(data, degrees, selection=None, lam=0.0):
    """E_RMS on the training points, on the test set (if any), and by cross-validation (the
    trials of selection, a select_degree over the same degrees, made here if None), for each
    degree (Figure 1.5): dict "train", "validation" (and "test") -> one value per degree."""
    table = {"train": [], "validation": []}
    if data.test is not None:
        table["test"] = []
    selection = selection or select_degree(data, degrees, "cross", lam)
    for m, trial in zip(degrees, selection.trials):
        model = fit(data.x, data.t, m, lam)
        table["train"].append(rms_error(predict(model, data.x), data.t))
        table["validation"].append(math.sqrt(trial.score))
        if data.test is not None:
            table["test"].append(rms_error(predict(model, data.test.x), data.test.t))
    return table


def rms_by_ln_lambda(data, degree, ln_lambdas=LN_LAMBDA_SWEEP):
    """E_RMS on the training points and the test set against ln λ at one degree (Figure 1.8)."""
    table = {"train": [], "test": []} if data.test is not None else {"train": []}
    for ln_lambda in ln_lambdas:
        model = fit(data.x, data.t, degree, math.exp(ln_lambda))
        table["train"].append(rms_error(predict(model, data.x), data.t))
        if data.test is not None:
            table["test"].append(rms_error(predict(model, data.test.x), data.test.t))
    return table


def by_data_size(data, degree, sizes=BOOK_DATA_SIZES):
    """Figure 1.6 (p. 9): the same degree fitted to more points drawn the same way, "the larger
    the data set, the more complex the model we can afford to fit". For generated data only:
    dict N -> (training Sinusoid, training E_RMS, test E_RMS)."""
    table = {}
    for n in sizes:
        more = sinusoid(n, seed=data.generator)
        model = fit(more.x, more.t, degree)
        table[n] = (more, rms_error(predict(model, more.x), more.t),
                    rms_error(predict(model, data.test.x), data.test.t))
    return table


def _fit_subset(subset, degree, ln_lambda=None):
    x, t = subset[:]
    return fit(x.array, t.array, degree, 0.0 if ln_lambda is None else math.exp(ln_lambda))


def _mean_squared_error(model, subset):
    x, t = subset[:]
    return rms_error(predict(model, x.array), t.array) ** 2


def select_degree(data, degrees, split="cross", lam=0.0, seed=0):
    """Choose M on held-out data (p. 11): the mean squared error of held-out points, pooled
    over the splits. split: "hold-out" (the validation set, or for a user's data a third of the
    points held out), "cross" (see cross_validation), or a split object of chainrule.train.
    Returns the Selection (its model refit on all the training points)."""
    candidates = [{"degree": m, "ln_lambda": math.log(lam) if lam > 0 else None} for m in degrees]
    return _select(data, candidates, split, seed)


def select_ln_lambda(data, degree, split="cross", ln_lambdas=LN_LAMBDA_SWEEP, seed=0):
    """Choose ln λ for a fixed degree the same way (p. 10: λ "controls the effective complexity
    of the model"); ties go to the larger λ, the simpler model."""
    candidates = [{"degree": degree, "ln_lambda": v} for v in sorted(ln_lambdas, reverse=True)]
    return _select(data, candidates, split, seed)


def cross_validation(n):
    """Leave-one-out for the book's small samples (p. 33: "the extreme case ... when data is
    particularly scarce"); 10-fold past 50 points, where n fits per candidate would cost more
    than they tell."""
    return LeaveOneOut() if n <= 50 else KFold(10)


def split_name(split):
    return "leave-one-out" if isinstance(split, LeaveOneOut) else f"{split.k}-fold cross-validation"


def _select(data, candidates, split, seed):
    validation = None
    if split == "hold-out" and data.validation is not None:
        split, validation = None, data.validation
    elif split == "hold-out":
        split = HoldOut(count=max(1, round(len(data.x) / 3)))
    elif split == "cross":
        split = cross_validation(len(data.x))
    return select(_fit_subset, _mean_squared_error, _training_set(data), candidates, split=split,
                  validation=validation, seed=seed, train_scores=True)


def _training_set(data):
    return TensorDataset(*(Tensor._make(xp.asarray(v, dtype=float64)) for v in (data.x, data.t)))


@dataclasses.dataclass
class Report:
    """Everything `chainrule curvefit` prints and draws, for one data set."""
    data: Data
    degrees: list
    ln_lambda: float
    coefficients: dict     # degree -> w*, unregularised (Table 1.1)
    regularised: dict      # ln λ -> w* at the largest degree (Table 1.2; -inf is λ = 0)
    rms: dict              # Figure 1.5: "train", "validation" (and "test") per degree
    rms_lambda: dict       # Figure 1.8: "train" (and "test") per ln λ of LN_LAMBDA_SWEEP
    by_size: dict          # Figure 1.6: see by_data_size (None for a user's data)
    by_gradient: tuple     # (closed-form w*, gradient-trained w) at degree 3 (or the nearest)
    by_degree: dict        # "hold-out", "cross" -> Selection of M
    by_ln_lambda: object   # Selection of ln λ at the largest degree, by cross-validation

    @property
    def top_degree(self):
        return max(self.degrees)


def report(data, degrees=tuple(range(10)), ln_lambda=BOOK_LN_LAMBDAS[0]):
    """Fit, measure and select on data (from generate or a user's file); see Report."""
    degrees = sorted(set(degrees))
    top = degrees[-1]
    shown = [m for m in BOOK_DEGREES if m in degrees] or degrees[:: max(1, len(degrees) // 4)]
    ln_lambdas = sorted({ln_lambda, BOOK_LN_LAMBDAS[1]})
    by_degree = {split: select_degree(data, degrees, split) for split in ("hold-out", "cross")}
    return Report(
        data=data, degrees=degrees, ln_lambda=ln_lambda,
        coefficients=coefficients(data.x, data.t, shown),
        regularised={-math.inf: fit(data.x, data.t, top).weight.array.copy(),
                     **{v: fit(data.x, data.t, top, math.exp(v)).weight.array.copy()
                        for v in ln_lambdas}},
        rms=rms_by_degree(data, degrees, by_degree["cross"]),
        rms_lambda=rms_by_ln_lambda(data, top),
        by_size=by_data_size(data, top) if data.generated else None,
        by_gradient=by_gradient(data.x, data.t, min(degrees, key=lambda m: abs(m - 3))),
        by_degree=by_degree,
        by_ln_lambda=select_ln_lambda(data, top),
    )
