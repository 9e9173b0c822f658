# %% [markdown]
# # Lab 08: Optimisation versus sampling
#
# Training finds *one* set of weights: the bottom of a loss surface. Bayesian inference keeps
# *all* of them, each weighted by its posterior probability, and predicts with the average. This
# lab does both with the same gradients from chainrule's autograd.
#
# 1. Optimisers as paths: SGD with momentum and Adam written by you, drawn on three 2-D
#    surfaces and checked against `chainrule.optim`.
# 2. Langevin dynamics: gradient ascent on the log posterior plus noise of the right size turns
#    an optimiser into a sampler (SGLD, Welling & Teh 2011). Checked on a 1-D Gaussian
#    posterior whose mean and variance we know exactly, bias included.
# 3. Hamiltonian Monte Carlo (Neal 2011): the leapfrog integrator (energy nearly conserved,
#    reversible) and the Metropolis test, put together into a sampler and compared with
#    `chainrule.sample.hmc`.
# 4. A Bayesian neural network: the predictive mean and band from HMC's draws, and how often the
#    band of one optimised network and the posterior's band contain the truth where there are
#    no data.
#
# Every exercise is a function whose body you write between the markers; the cell after it
# checks it. Your functions take and return NumPy arrays (and Python numbers); gradients come
# from chainrule. Seeds are fixed, so every run gives the same numbers.

# %% tags=["parameters"] nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
QUICK = False   # the test suite runs every lab with QUICK = True (a cell injected after this one)

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import math
import os

# One BLAS thread: this lab's arrays are small, and BLAS threads competing for busy cores only
# slow it down (see lab 03's README). It takes effect only before NumPy is loaded.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib.pyplot as plt
import numpy as np

# The figures inline, whatever MPLBACKEND says (a headless run with MPLBACKEND=Agg draws none).
# %matplotlib inline

import chainrule as cr
from chainrule.experiments import bnn
from chainrule.experiments.trajectories import (SURFACES, himmelblau, rosenbrock,
                                                run as library_path)
from chainrule.labs.checks import check_close, check_equal, check_shape, check_true
from chainrule.sample import hmc
from chainrule.viz.bnn import BandPanel, band_figure
from chainrule.viz.trajectories import SurfacePanel, trajectories_figure

STEPS = 200 if QUICK else 1000            # optimiser steps per path
CHAINS = 1000 if QUICK else 4000          # Langevin chains run side by side
LANGEVIN_STEPS = 300 if QUICK else 1000   # steps of each Langevin chain
HMC_SAMPLES = 200 if QUICK else 2000      # draws of the 2-D Gaussian by HMC
BNN_MAP_STEPS = 200 if QUICK else 3000    # Adam steps of the point network
BNN_SAMPLES = 10 if QUICK else 300        # HMC draws of the network's weights
BNN_LEAPFROGS = 10 if QUICK else bnn.HMC_LEAPFROGS


def value_and_grad(log_prob, w):
    """log_prob(w) and its gradient at w (a NumPy array), from chainrule's autograd in float64."""
    point = cr.tensor(np.asarray(w, dtype=np.float64), dtype=cr.float64, requires_grad=True)
    value = log_prob(point)
    value.backward()
    return value.item(), point.grad.numpy().copy()


def surface_gradient(func, w):
    """The gradient of a 2-D surface func(x, y) at w = (x, y)."""
    return value_and_grad(lambda p: func(p[0], p[1]), w)[1]


# %% [markdown]
# ## 1. Optimisers as paths
#
# Three surfaces from `chainrule.experiments.trajectories`: an ill-conditioned quadratic
# ½(x² + 100y²), whose curvature is a hundred times larger along y than along x; Rosenbrock's
# curved valley (1 − x)² + 100(y − x²)², minimum at (1, 1); and Himmelblau's function, with
# four minima. SGD moves against the gradient, w ← w − lr·g. On the quadratic its rate must stay
# below 2/100 or the y coordinate diverges, and at that rate x shrinks by only 2 % a step.
#
# **Momentum** (PyTorch's form, as in lab 03) keeps a velocity:
#
#     v ← μ·v + g,    w ← w − lr·v
#
# ### Exercise 1: a momentum step (2 points)
#
# Write `momentum_step(w, velocity, grad, lr, momentum)`: return the new `(w, velocity)` as new
# arrays (do not change the arguments in place).

# %% nbgrader={"grade": false, "grade_id": "momentum_step", "locked": false, "schema_version": 3, "solution": true}
def momentum_step(w, velocity, grad, lr, momentum=0.9):
    """SGD with momentum: v <- momentum * v + grad, then w <- w - lr * v; returns (w, v)."""
    ### BEGIN SOLUTION
    velocity = momentum * velocity + grad
    return w - lr * velocity, velocity
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "momentum_step_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
# f(w) = w², g = 2w. From w = 1, v = 0, lr 0.1, μ 0.9: v = 2, w = 0.8; then g = 1.6,
# v = 0.9 · 2 + 1.6 = 3.4, w = 0.8 − 0.34 = 0.46.
w, v = np.array([1.0]), np.array([0.0])
for expected_w, expected_v in ((0.8, 2.0), (0.46, 3.4)):
    w, v = momentum_step(w, v, 2 * w, lr=0.1, momentum=0.9)
    check_close(v, [expected_v], "the velocity after a momentum step on f(w) = w^2")
    check_close(w, [expected_w], "w after a momentum step on f(w) = w^2")
### BEGIN HIDDEN TESTS
start = np.array([-1.2, 1.0])
w0, v0 = start.copy(), np.zeros(2)
momentum_step(w0, v0, np.array([1.0, 2.0]), 0.1)
check_close(w0, start, "w after momentum_step (it should return a new array, not change w)")
check_close(v0, [0.0, 0.0], "velocity after momentum_step (return a new one, do not change it)")
for mu, name in ((0.9, "momentum"), (0.0, "SGD")):
    expected = library_path(rosenbrock, start, name, 1e-3, steps=100)[0]
    w, v = start.copy(), np.zeros(2)
    for step in range(1, 101):
        w, v = momentum_step(w, v, surface_gradient(rosenbrock, w), 1e-3, mu)
        check_close(w, expected[step], f"w after {step} steps on Rosenbrock (momentum {mu}) "
                    "against chainrule.optim.SGD", rtol=1e-9, atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# **Adam** (Kingma & Ba 2015, Algorithm 1) keeps running means of g and g² per coordinate and
# divides one by the square root of the other, so each coordinate moves about lr a step, however
# steep the surface is along it. At step t = 1, 2, ...:
#
#     m ← β₁·m + (1 − β₁)·g          v ← β₂·v + (1 − β₂)·g²
#     m̂ = m / (1 − β₁ᵗ)              v̂ = v / (1 − β₂ᵗ)          (the bias corrections)
#     w ← w − lr · m̂ / (√v̂ + ε)
#
# ### Exercise 2: an Adam step (3 points)
#
# Write `adam_step(w, m, v, grad, t, lr, beta1, beta2, eps)`; return the new `(w, m, v)`.

# %% nbgrader={"grade": false, "grade_id": "adam_step", "locked": false, "schema_version": 3, "solution": true}
def adam_step(w, m, v, grad, t, lr, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam step at step number t (1 for the first); returns (w, m, v)."""
    ### BEGIN SOLUTION
    m = beta1 * m + (1 - beta1) * grad
    v = beta2 * v + (1 - beta2) * grad * grad
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), m, v
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "adam_step_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# At t = 1 the bias corrections give m̂ = g and v̂ = g², so each coordinate moves by lr against
# the sign of its gradient, whatever the gradient's size.
w, m, v = adam_step(np.array([1.0, 1.0]), np.zeros(2), np.zeros(2), np.array([1000.0, 0.001]),
                    t=1, lr=0.1)
check_close(w, [0.9, 0.9], "w after Adam's first step (each coordinate moves by lr)", rtol=1e-4)
check_close(m, [100.0, 0.0001], "m after Adam's first step")
check_close(v, [1000.0, 1e-9], "v after Adam's first step")
### BEGIN HIDDEN TESTS
for func, start, lr in ((himmelblau, np.array([0.0, 0.0]), 0.1),
                        (rosenbrock, np.array([-1.2, 1.0]), 0.05)):
    expected = library_path(func, start, "Adam", lr, steps=100)[0]
    w, m, v = start.copy(), np.zeros(2), np.zeros(2)
    for step in range(1, 101):
        w, m, v = adam_step(w, m, v, surface_gradient(func, w), step, lr)
        check_close(w, expected[step], f"w after {step} Adam steps on {func.__name__} against "
                    "chainrule.optim.Adam", rtol=1e-9, atol=1e-12)
w, m, v = adam_step(np.array([2.0]), np.array([0.5]), np.array([0.25]), np.array([1.0]), t=3,
                    lr=0.01, beta1=0.5, beta2=0.9, eps=0.1)
m_hat, v_hat = (0.25 + 0.5) / (1 - 0.125), (0.225 + 0.1) / (1 - 0.729)
check_close(w, [2.0 - 0.01 * m_hat / (math.sqrt(v_hat) + 0.1)],
            "w after an Adam step at t = 3 with beta1 0.5, beta2 0.9, eps 0.1")
### END HIDDEN TESTS

# %% [markdown]
# Your two optimisers and plain SGD from `chainrule.optim`, on the three surfaces, with the
# learning rates of `chainrule experiment trajectories` (the corner lists the steps each took
# to get below f = 10⁻⁴).

# %% nbgrader={"grade": false, "grade_id": "draw_paths", "locked": true, "schema_version": 3, "solution": false}
def my_path(surface, name):
    """The path of your momentum_step or adam_step on a surface, from its start."""
    w, first, second = np.array(surface.start, dtype=float), np.zeros(2), np.zeros(2)
    points = [w]
    for step in range(1, STEPS + 1):
        grad = surface_gradient(surface.func, w)
        if name == "momentum":
            w, first = momentum_step(w, first, grad, surface.rates[name])
        else:
            w, first, second = adam_step(w, first, second, grad, step, surface.rates[name])
        points.append(w)
    return np.array(points)


def steps_below(func, points, tolerance=1e-4):
    losses = func(points[:, 0], points[:, 1])
    return (f"{int(np.argmax(losses < tolerance))} steps" if np.any(losses < tolerance)
            else "not reached")


panels = []
for surface in SURFACES:
    paths = {"SGD": library_path(surface.func, surface.start, "SGD", surface.rates["SGD"],
                                 STEPS)[0],
             "momentum": my_path(surface, "momentum"), "Adam": my_path(surface, "Adam")}
    x, y = np.meshgrid(np.linspace(*surface.window[:2], 200),
                       np.linspace(*surface.window[2:], 200))
    panels.append(SurfacePanel(surface.name, x, y, surface.func(x, y), surface.minima, paths,
                               {k: steps_below(surface.func, p) for k, p in paths.items()}))
trajectories_figure(panels, title=f"SGD (chainrule.optim), your momentum and your Adam, "
                                  f"{STEPS} steps")

# %% [markdown]
# Read the picture: on the quadratic, SGD's y coordinate flips sign every step (its rate is
# just under 2/100) while x creeps; momentum accumulates the steady x gradient and reaches the
# minimum in a third of the steps; Adam rescales each coordinate, so its first steps move both
# by about lr, diagonally, whatever the curvature: it overshoots the steep y direction, swings
# and spirals in. In Rosenbrock's valley SGD stalls on the flat floor. On Himmelblau, momentum overshoots into
# another basin: *which* minimum an optimiser finds depends on its dynamics, not only on the
# surface.
#
# ## 2. Langevin dynamics: an optimiser that samples
#
# A parameter θ with prior N(0, τ²), and n observations xᵢ ~ N(θ, σ²). The posterior is again
# Gaussian (Bishop, PRML eqs. 2.141-2.142):
#
#     1/s² = 1/τ² + n/σ²,        μ = s² · Σᵢ xᵢ / σ²
#
# ### Exercise 3: the exact posterior (2 points)
#
# Write `gaussian_posterior(x, sigma, tau)`: return `(mean, variance)` as Python floats.

# %% nbgrader={"grade": false, "grade_id": "gaussian_posterior", "locked": false, "schema_version": 3, "solution": true}
def gaussian_posterior(x, sigma, tau):
    """Posterior mean and variance of θ given x_i ~ N(θ, sigma²) and θ ~ N(0, tau²)."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    variance = 1.0 / (1.0 / tau ** 2 + len(x) / sigma ** 2)
    return float(variance * x.sum() / sigma ** 2), float(variance)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "gaussian_posterior_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
mean, variance = gaussian_posterior([1.0, 3.0], sigma=1.0, tau=1.0)
check_close(variance, 1 / 3, "the posterior variance for two points, sigma = tau = 1")
check_close(mean, 4 / 3, "the posterior mean for x = [1, 3], sigma = tau = 1")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(5)
x = rng.normal(2.0, 0.5, 30)
mean, variance = gaussian_posterior(x, sigma=0.5, tau=3.0)
precision = 1 / 9 + 30 / 0.25
check_close(variance, 1 / precision, "the posterior variance for 30 points, sigma 0.5, tau 3")
check_close(mean, x.sum() / 0.25 / precision, "the posterior mean for 30 points")
mean, variance = gaussian_posterior(np.array([]), sigma=1.0, tau=2.0)
check_close([mean, variance], [0.0, 4.0], "with no data the posterior is the prior N(0, tau^2)")
check_true(isinstance(variance, float) and isinstance(mean, float),
           "gaussian_posterior should return Python floats")
### END HIDDEN TESTS

# %% nbgrader={"grade": false, "grade_id": "langevin_setup", "locked": true, "schema_version": 3, "solution": false}
SIGMA, TAU = 1.0, 2.0
observations = np.random.default_rng(0).normal(1.5, SIGMA, 20)


def log_posterior(theta):
    """log p(θ | x) up to a constant, for a vector of independent chains θ (its sum, so the
    gradient is each chain's own)."""
    data = cr.tensor(observations, dtype=cr.float64)
    residual = data.reshape(1, -1) - theta.reshape(-1, 1)
    return (-(theta * theta) / (2 * TAU ** 2)).sum() - (residual * residual).sum() / (
        2 * SIGMA ** 2)


def langevin_chains(step_size, chains, steps, seed=0):
    """`chains` Langevin chains side by side for `steps` steps from θ = 0: their last values."""
    rng = np.random.default_rng(seed)
    theta = np.zeros(chains)
    for _ in range(steps):
        grad = value_and_grad(log_posterior, theta)[1]
        theta = langevin_step(theta, grad, step_size, rng.standard_normal(chains))
    return theta


# %% [markdown]
# Gradient ascent on log p(θ | x) would stop at μ. **Langevin dynamics** adds Gaussian noise
# whose variance equals the step size ε (Welling & Teh 2011, eq. 4, with all data in each step):
#
#     θ ← θ + (ε/2)·∇ log p(θ | x) + √ε · z,     z ~ N(0, 1)
#
# As ε → 0 its iterates are draws from the posterior. At a finite ε there is a bias, and for a
# Gaussian target of variance s² it is exact: the chain's variance is s² / (1 − ε/(4s²)).
#
# ### Exercise 4: a Langevin step (3 points)
#
# Write `langevin_step(w, grad, step_size, noise)`: `grad` is ∇ log p at w, `noise` a draw of
# z (same shape as w). Return the new w.

# %% nbgrader={"grade": false, "grade_id": "langevin_step", "locked": false, "schema_version": 3, "solution": true}
def langevin_step(w, grad, step_size, noise):
    """w + (step_size / 2) * grad + sqrt(step_size) * noise."""
    ### BEGIN SOLUTION
    return w + 0.5 * step_size * grad + math.sqrt(step_size) * noise
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "langevin_step_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
check_close(langevin_step(np.array([1.0]), np.array([-2.0]), 0.04, np.array([0.5])),
            [1.0 - 0.04 + 0.2 * 0.5], "langevin_step(w=1, grad=-2, step_size=0.04, noise=0.5)")
### BEGIN HIDDEN TESTS
rng = np.random.default_rng(1)
w, grad, noise = rng.standard_normal((3, 7))
check_close(langevin_step(w, grad, 0.3, noise), w + 0.15 * grad + math.sqrt(0.3) * noise,
            "langevin_step on 7 random values, step_size 0.3")
mean, variance = gaussian_posterior(observations, SIGMA, TAU)
epsilon = 0.01
samples = langevin_chains(epsilon, 2000, 300, seed=2)
check_close(samples.mean(), mean, "the mean of 2000 Langevin chains after 300 steps",
            atol=4 * math.sqrt(variance / 2000))
check_close(samples.var(), variance / (1 - epsilon / (4 * variance)),
            "the variance of 2000 Langevin chains (exact, with its bias)", rtol=0.12)
### END HIDDEN TESTS

# %% [markdown]
# Thousands of chains side by side, each started at θ = 0, give a histogram of where they are
# after the burn-in. A small step gives the posterior; a step as large as the posterior's
# variance gives a visibly wider histogram, as the formula predicts.

# %% nbgrader={"grade": false, "grade_id": "langevin_run", "locked": true, "schema_version": 3, "solution": false}
mean, variance = gaussian_posterior(observations, SIGMA, TAU)
grid = np.linspace(mean - 5 * math.sqrt(variance), mean + 5 * math.sqrt(variance), 300)
fig, ax = plt.subplots(figsize=(7, 3.6), layout="constrained")
for epsilon, color in ((0.005, "tab:blue"), (0.1, "tab:red")):
    samples = langevin_chains(epsilon, CHAINS, LANGEVIN_STEPS)
    predicted = variance / (1 - epsilon / (4 * variance))
    print(f"ε = {epsilon}: mean {samples.mean():.4f} (exact {mean:.4f}), variance "
          f"{samples.var():.5f} (posterior {variance:.5f}, Langevin at this ε {predicted:.5f})")
    ax.hist(samples, bins=60, density=True, alpha=0.45, color=color,
            label=f"{CHAINS} chains, ε = {epsilon}")
ax.plot(grid, np.exp(-(grid - mean) ** 2 / (2 * variance)) / math.sqrt(2 * math.pi * variance),
        color="black", label="exact posterior")
ax.set(xlabel="θ", ylabel="density", title="Langevin dynamics against the exact posterior")
ax.legend()
plt.show()

# %% [markdown]
# ## 3. Hamiltonian Monte Carlo
#
# Langevin steps are a random walk: to cross a distribution of width L they need (L/√ε)² steps.
# HMC (Neal 2011) gives the parameters a momentum p ~ N(0, I) and follows the Hamiltonian
# H(w, p) = −log p(w) + ½‖p‖² for many steps, moving far in one go; a Metropolis test then
# corrects the integration error exactly, so the draws have no bias at any step size.
#
# The **leapfrog** integrator (Neal §2.3, eqs. 2.28-2.30) makes L steps of size ε:
#
#     p ← p + (ε/2)·∇log p(w)
#     repeat L times:  w ← w + ε·p;  p ← p + ε·∇log p(w)   (only ε/2 in the last)
#
# It is *reversible* (flip p at the end, run again, and you are back where you started) and
# keeps H nearly constant, with an error that falls as ε².
#
# ### Exercise 5: the leapfrog integrator (3 points)
#
# Write `leapfrog(w, p, grad_log_prob, step_size, n_steps)`: `grad_log_prob(w)` returns the
# gradient of log p at w. Return the final `(w, p)`; do not change the arguments in place.

# %% nbgrader={"grade": false, "grade_id": "leapfrog", "locked": false, "schema_version": 3, "solution": true}
def leapfrog(w, p, grad_log_prob, step_size, n_steps):
    """n_steps leapfrog steps of size step_size for H = -log p(w) + |p|^2 / 2; returns (w, p)."""
    ### BEGIN SOLUTION
    p = p + 0.5 * step_size * grad_log_prob(w)
    for step in range(n_steps):
        w = w + step_size * p
        p = p + (step_size if step < n_steps - 1 else 0.5 * step_size) * grad_log_prob(w)
    return w, p
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "leapfrog_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
# log p(w) = -w²/2: the exact motion is a rotation, w(t) = cos t, p(t) = -sin t from (1, 0).
harmonic = lambda w: -w   # noqa: E731  (its gradient)
w, p = leapfrog(np.array([1.0]), np.array([0.0]), harmonic, 0.01, 100)
check_close([w[0], p[0]], [math.cos(1.0), -math.sin(1.0)],
            "leapfrog for t = 1 on log p = -w^2/2 against the exact motion", atol=1e-4)
w, p = leapfrog(np.array([1.0]), np.array([0.0]), harmonic, 0.5, 1)
check_close([w[0], p[0]], [0.875, -0.46875], "one leapfrog step of size 0.5 from (1, 0)")
### BEGIN HIDDEN TESTS
precision = np.array([[2.0, 0.9], [0.9, 1.0]])
gaussian = lambda w: -precision @ w   # noqa: E731
energy = lambda w, p: 0.5 * w @ precision @ w + 0.5 * p @ p   # noqa: E731
w0, p0 = np.array([1.0, -0.5]), np.array([0.3, 0.8])
w1, p1 = leapfrog(w0.copy(), p0.copy(), gaussian, 0.1, 25)
back_w, back_p = leapfrog(w1, -p1, gaussian, 0.1, 25)
check_close(np.concatenate([back_w, -back_p]), np.concatenate([w0, p0]),
            "leapfrog run back with the momentum flipped returns to the start (reversible)",
            atol=1e-10)
errors = [abs(energy(*leapfrog(w0, p0, gaussian, eps, round(2.5 / eps))) - energy(w0, p0))
          for eps in (0.1, 0.05)]
check_true(errors[0] < 0.01 and 2.5 < errors[0] / errors[1] < 6,
           f"the energy error should be small and fall as step_size^2: {errors[0]:.2e} at 0.1, "
           f"{errors[1]:.2e} at 0.05")
calls = []
leapfrog(w0, p0, lambda w: calls.append(1) or gaussian(w), 0.1, 10)
check_true(len(calls) <= 11, f"10 leapfrog steps need 11 gradients (the half steps merge), "
           f"yours took {len(calls)}")
w_same, p_same = w0.copy(), p0.copy()
leapfrog(w_same, p_same, gaussian, 0.1, 5)
check_close(np.concatenate([w_same, p_same]), np.concatenate([w0, p0]),
            "w and p after calling leapfrog (return new arrays, do not change them in place)")
### END HIDDEN TESTS

# %% [markdown]
# The **Metropolis test** (Neal §3.2): a trajectory from (w, p), energy H, to (w′, p′), energy
# H′, is accepted with probability min(1, exp(H − H′)). Given u ~ Uniform(0, 1), accept when
# u < exp(H − H′). Two traps: exp(H − H′) overflows when the trajectory *gained* a lot of
# probability, and a diverged trajectory (H′ = inf or NaN) must be rejected.
#
# ### Exercise 6: the Metropolis test (2 points)
#
# Write `metropolis_accept(h_current, h_proposed, u)`: return True or False.

# %% nbgrader={"grade": false, "grade_id": "metropolis_accept", "locked": false, "schema_version": 3, "solution": true}
def metropolis_accept(h_current, h_proposed, u):
    """True when u < exp(h_current - h_proposed); False for a non-finite h_proposed."""
    ### BEGIN SOLUTION
    if not math.isfinite(h_proposed):
        return False
    return bool(u < math.exp(min(0.0, h_current - h_proposed)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "metropolis_accept_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check_equal(metropolis_accept(1.0, 0.5, 0.99), True, "a proposal with lower energy")
check_equal(metropolis_accept(1.0, 2.0, 0.3), True, "H rises by 1, u = 0.3 < exp(-1) = 0.368")
check_equal(metropolis_accept(1.0, 2.0, 0.4), False, "H rises by 1, u = 0.4 > exp(-1)")
### BEGIN HIDDEN TESTS
check_equal(metropolis_accept(5000.0, 1.0, 0.5), True,
            "a proposal whose energy fell by 4999 (exp(4999) overflows)")
check_equal(metropolis_accept(1.0, math.inf, 0.0), False, "a diverged trajectory, H' = inf")
check_equal(metropolis_accept(1.0, math.nan, 0.0), False, "a diverged trajectory, H' = NaN")
check_equal(metropolis_accept(3.0, 3.0 + math.log(4), 0.26), False,
            "H rises by log 4, u = 0.26 > 1/4")
check_equal(metropolis_accept(3.0, 3.0 + math.log(4), 0.24), True,
            "H rises by log 4, u = 0.24 < 1/4")
check_true(isinstance(metropolis_accept(1.0, 2.0, 0.3), bool),
           "metropolis_accept should return a bool")
### END HIDDEN TESTS

# %% [markdown]
# Your two pieces make a sampler: draw p, run the leapfrog, test, repeat. Below it samples a
# 2-D Gaussian with correlation 0.95 (a long thin ellipse, the hard case for a random walk), and
# `chainrule.sample.hmc` does the same for comparison. With the same seed both draw the same
# random numbers in the same order, so a correct leapfrog and Metropolis test give the very same
# chain as the library's.

# %% nbgrader={"grade": false, "grade_id": "my_hmc", "locked": true, "schema_version": 3, "solution": false}
def my_hmc(log_prob, init, n_samples, step_size, n_steps, seed=0):
    """HMC from your leapfrog and metropolis_accept: (samples (n_samples, D), acceptance rate)."""
    rng = np.random.default_rng(seed)
    w = np.asarray(init, dtype=float)
    value = value_and_grad(log_prob, w)[0]
    samples, accepted = [], 0
    for _ in range(n_samples):
        p = rng.standard_normal(w.shape)
        w_new, p_new = leapfrog(w, p, lambda v: value_and_grad(log_prob, v)[1], step_size,
                                n_steps)
        value_new = value_and_grad(log_prob, w_new)[0]
        if metropolis_accept(-value + 0.5 * p @ p, -value_new + 0.5 * p_new @ p_new,
                             rng.uniform()):
            w, value, accepted = w_new, value_new, accepted + 1
        samples.append(w)
    return np.array(samples), accepted / n_samples


COVARIANCE = np.array([[1.0, 0.95], [0.95, 1.0]])
PRECISION = cr.tensor(np.linalg.inv(COVARIANCE), dtype=cr.float64)


def log_gaussian(w):
    return -0.5 * (w @ (PRECISION @ w))


mine, rate = my_hmc(log_gaussian, [2.0, -2.0], HMC_SAMPLES, 0.15, 12)
library = hmc(log_gaussian, np.array([2.0, -2.0]), HMC_SAMPLES, step_size=0.15, n_steps=12,
              seed=0)
for name, draws, acceptance in (("your HMC", mine, rate),
                                ("chainrule.sample.hmc", library.samples,
                                 library.acceptance_rate)):
    kept = draws[len(draws) // 10:]   # the first tenth as burn-in
    print(f"{name:22} acceptance {acceptance:.2f}, mean {np.round(kept.mean(0), 3)}, "
          f"covariance {np.round(np.cov(kept.T), 3).tolist()}")
fig, axes = plt.subplots(1, 2, figsize=(9, 4.2), sharex=True, sharey=True, layout="constrained")
for ax, (name, draws) in zip(axes, (("your HMC", mine), ("chainrule.sample.hmc",
                                                          library.samples))):
    ax.plot(draws[:, 0], draws[:, 1], ".", markersize=3, alpha=0.5)
    ax.plot(draws[:30, 0], draws[:30, 1], "-", color="tab:red", linewidth=0.8,
            label="first 30 draws")
    ax.set(title=name, xlabel="$w_1$", ylabel="$w_2$", aspect="equal")
    ax.legend(loc="upper left")
plt.show()

# %% [markdown]
# ## 4. A Bayesian neural network
#
# The model of `chainrule experiment bnn`: an MLP 1-20-20-1 (tanh, 481 weights) with a N(0, 1)
# prior on every weight, Gaussian noise σ = 0.1, and 40 points of sin(2x) in two clusters, with
# a gap between them. `bnn.fit_map` trains one network by Adam (the point prediction);
# `chainrule.sample.hmc` then draws the weights, starting from that network's. Each draw is a
# whole network; its outputs on a grid of x are one curve.

# %% nbgrader={"grade": false, "grade_id": "bnn_run", "locked": true, "schema_version": 3, "solution": false}
mlp = bnn.FlatMLP()
x_train, t_train = bnn.gap_data(bnn.N_TRAIN)
x_grid = np.linspace(*bnn.WINDOW, 281)
w_map = bnn.fit_map(mlp, x_train, t_train, steps=BNN_MAP_STEPS)
inputs, targets = cr.tensor(x_train, dtype=cr.float64), cr.tensor(t_train, dtype=cr.float64)
draws = hmc(lambda w: bnn.log_prior(w) + bnn.log_likelihood(mlp, w, inputs, targets), w_map,
            BNN_SAMPLES, step_size=bnn.HMC_STEP, n_steps=BNN_LEAPFROGS, burn_in=2, seed=0)
point_outputs = bnn.predict(mlp, w_map, x_grid)        # (1, 281)
sampled_outputs = bnn.predict(mlp, draws.samples, x_grid)   # (draws, 281)
print(f"{mlp.size} weights; HMC: {BNN_SAMPLES} draws, acceptance {draws.acceptance_rate:.2f}")

# %% [markdown]
# The **posterior predictive** of a target t at x averages the networks and adds the noise:
# its mean is the mean of the curves, its variance the variance of the curves plus σ².
#
# ### Exercise 7: the predictive band (3 points)
#
# Write `predictive_band(outputs, noise)`: `outputs` has shape (S, N), S networks' outputs at N
# inputs. Return `(mean, lower, upper)`, each of shape (N,), the band being mean ± 2·std with
# std = √(Var_s[output] + noise²) (the variance over the S draws, `np.var`'s default).

# %% nbgrader={"grade": false, "grade_id": "predictive_band", "locked": false, "schema_version": 3, "solution": true}
def predictive_band(outputs, noise):
    """Predictive mean and the ±2σ band from S sampled networks' outputs (S, N)."""
    ### BEGIN SOLUTION
    mean = outputs.mean(axis=0)
    std = np.sqrt(outputs.var(axis=0) + noise ** 2)
    return mean, mean - 2 * std, mean + 2 * std
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "predictive_band_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
mean, lower, upper = predictive_band(np.array([[0.0, 1.0], [2.0, 1.0]]), noise=0.0)
check_close(mean, [1.0, 1.0], "the predictive mean of two draws")
check_close(upper - lower, [4.0, 0.0], "the band's width (4 std) of two draws, no noise")
### BEGIN HIDDEN TESTS
mean, lower, upper = predictive_band(np.array([[0.0, 1.0], [2.0, 1.0]]), noise=0.5)
check_close(upper, [1.0 + 2 * math.sqrt(1.25), 2.0], "the band's top with noise 0.5 "
            "(std = sqrt(variance + noise^2), not variance + noise)")
reference_mean, reference_std = bnn.predictive(sampled_outputs, bnn.NOISE)
mean, lower, upper = predictive_band(sampled_outputs, bnn.NOISE)
check_shape(mean, (len(x_grid),), "the predictive mean of the HMC draws")
check_close(mean, reference_mean, "the predictive mean of the HMC draws")
check_close(lower, reference_mean - 2 * reference_std, "the lower edge of the HMC band")
### END HIDDEN TESTS

# %% [markdown]
# Does a band tell the truth? The **coverage** of a band is the share of points where the true
# value lies inside it, edges included.
#
# ### Exercise 8: coverage (2 points)
#
# Write `coverage(values, lower, upper)`: the fraction (a Python float) of `values` with
# `lower <= value <= upper`.

# %% nbgrader={"grade": false, "grade_id": "coverage", "locked": false, "schema_version": 3, "solution": true}
def coverage(values, lower, upper):
    """The share of values inside [lower, upper], edges included, as a float."""
    ### BEGIN SOLUTION
    return float(np.mean((values >= lower) & (values <= upper)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "coverage_tests", "locked": true, "points": 2, "schema_version": 3, "solution": false}
check_close(coverage(np.array([0.0, 1.0, 5.0, -3.0]), np.zeros(4) - 1, np.ones(4) * 2), 0.5,
            "coverage of [0, 1, 5, -3] by the band [-1, 2]")
### BEGIN HIDDEN TESTS
check_close(coverage(np.array([1.0, 2.0]), np.array([1.0, 0.0]), np.array([3.0, 2.0])), 1.0,
            "coverage when the values sit on the band's edges (edges count as inside)")
values = np.linspace(-1, 1, 101)
check_close(coverage(values, np.full(101, -0.5), np.full(101, 0.5)), 51 / 101,
            "coverage of 101 evenly spaced values by [-0.5, 0.5]")
check_true(isinstance(coverage(values, values - 1, values + 1), float),
           "coverage should return a Python float")
### END HIDDEN TESTS

# %% [markdown]
# The point network's band is its noise alone, ±2σ everywhere: it is exactly as sure in the gap
# and beyond the data as among them. The posterior's band widens where the data say nothing.
# Coverage of the true curve sin(2x), region by region:

# %% nbgrader={"grade": false, "grade_id": "bnn_compare", "locked": true, "schema_version": 3, "solution": false}
truth = bnn.truth(x_grid)
regions = bnn.region(x_grid)
bands = {"one network (Adam)": predictive_band(point_outputs, bnn.NOISE),
         f"HMC ({BNN_SAMPLES} draws)": predictive_band(sampled_outputs, bnn.NOISE)}
print(f"{'':22}" + "".join(f"{name:>28}" for name in ("data", "gap", "outside")))
for name, (mean, lower, upper) in bands.items():
    cells = []
    for r in ("data", "gap", "outside"):
        inside = regions == r
        share = coverage(truth[inside], lower[inside], upper[inside])
        cells.append(f"width {np.mean(upper[inside] - lower[inside]):5.2f}, covers "
                     f"{100 * share:3.0f}%")
    print(f"{name:22}" + "".join(f"{cell:>28}" for cell in cells))
panels = [BandPanel(name, mean, (upper - lower) / 4) for name, (mean, lower, upper)
          in bands.items()]
panels[1].curves = sampled_outputs[:: max(1, BNN_SAMPLES // 15)]
gap = (bnn.CLUSTERS[0][1], bnn.CLUSTERS[1][0])
band_figure(x_grid, x_train, t_train, panels, truth=truth, shade=[gap], ylim=(-3, 3),
            title="Point prediction against the posterior predictive")

# %% [markdown]
# ## What to take away
#
# - An optimiser's path depends on its dynamics as much as on the surface: momentum crosses an
#   ill-conditioned valley in far fewer steps than SGD, Adam rescales each coordinate, and from
#   the same start they may end in different minima.
# - Add noise of variance ε to a gradient step of ε/2 and the optimiser becomes a sampler
#   (Langevin); its bias grows with ε, exactly computable for a Gaussian.
# - HMC moves far per draw by following Hamiltonian dynamics with the leapfrog integrator
#   (reversible, energy error ∝ ε²) and removes the integration's bias with a Metropolis test.
# - A single trained network is as confident far from the data as among them; the posterior
#   predictive's band widens where there are no data, and covers the truth there far more
#   often.
