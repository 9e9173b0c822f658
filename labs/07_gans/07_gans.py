# %% [markdown]
# # Lab 07: Generative adversarial networks
#
# A GAN (Goodfellow et al., *Generative Adversarial Nets*, 2014) trains two networks against
# each other. The **generator** G turns noise z into samples G(z); the **discriminator** D
# outputs the probability that its input is real data rather than a sample of G. D is trained to
# tell the two apart, G to fool D. Their game is
#
#     min_G max_D  V(D, G) = E_{x ~ p_data}[log D(x)] + E_{z ~ p_z}[log(1 − D(G(z)))].
#
# 1. The discriminator is a binary classifier: its loss is the binary cross-entropy, which you
#    write from logits so that it stays finite for confident networks.
# 2. For a fixed G, the best D is D*(x) = p_data(x) / (p_data(x) + p_g(x)), and the game's value
#    at D* is −log 4 + 2 · JSD(p_data ‖ p_g): G minimises a Jensen–Shannon divergence. You check
#    both numerically on two 1-D Gaussians.
# 3. The generator's loss log(1 − D(G(z))) **saturates**: when D rejects the fakes, its gradient
#    vanishes. The **non-saturating** loss −log D(G(z)) has the same fixed point and a strong
#    gradient exactly there.
# 4. One training step: D on real data and on detached fakes, then G.
# 5. Training on the ring of eight Gaussians (Metz et al., *Unrolled GANs*, 2017): how many of
#    the eight modes G covers and the share of its samples near a mode, over training, with both
#    generator losses and two optimizers.
#
# Every exercise is a function whose body you write between the markers; the cell after it
# checks it. Seeds are fixed, so every run of this notebook gives the same numbers.

# %% tags=["parameters"] nbgrader={"grade": false, "grade_id": "parameters", "locked": true, "schema_version": 3, "solution": false}
QUICK = False   # the test suite runs every lab with QUICK = True (a cell injected after this one)

# %% nbgrader={"grade": false, "grade_id": "setup", "locked": true, "schema_version": 3, "solution": false}
import copy
import math
import os

# One BLAS thread: this lab's matrices are small, and on a busy machine competing BLAS threads
# make it several times slower (lab 03 measured 8x). Only effective before NumPy is loaded.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import matplotlib.pyplot as plt

# The figures inline, whatever MPLBACKEND says (a headless run with MPLBACKEND=Agg draws none).
# %matplotlib inline
import chainrule as torch
from chainrule.data.datasets.ring import (
    STD,
    high_quality_share,
    mode_counts,
    modes_covered,
    nearest_mode,
    ring,
    ring_modes,
)
from chainrule.labs.checks import check_close, check_equal, check_true
from chainrule.models import gan as gan_library  # the library's GAN: models and losses
from chainrule.nn import functional as F

# Training lengths. QUICK only checks that every cell runs.
STEPS = 100 if QUICK else 4000          # the Adam runs on the ring
EVERY = 20 if QUICK else 100            # measure the generator every EVERY steps
STEPS_SGD = 60 if QUICK else 600        # the SGD runs of the saturation experiment ...
EVERY_SGD = 10 if QUICK else 20         # ... measured every EVERY_SGD steps,
HEAD_START = 30 if QUICK else 300       # after HEAD_START steps of D alone
BATCH = 256                             # real points and fakes per step
LATENT = 2                              # the generator's noise z: 2 standard normals
CENTRES = ring_modes()                  # the ring's eight modes, radius 2 (std STD = 0.02)

# %% [markdown]
# ## 1. The discriminator is a classifier
#
# D outputs a **logit** a; its probability that x is real is σ(a) = 1 / (1 + e^{−a}). With the
# label t = 1 for real and t = 0 for fake, maximising V over D is minimising the **binary
# cross-entropy**
#
#     ℓ(a, t) = −t log σ(a) − (1 − t) log(1 − σ(a)).
#
# Written this way it fails for a confident D: σ(100) is 1.0 in floating point, so
# log(1 − σ(100)) = log 0 = −∞. With the **softplus** s(u) = log(1 + e^u), −log σ(a) = s(−a) and
# −log(1 − σ(a)) = s(a), so
#
#     ℓ(a, t) = t · s(−a) + (1 − t) · s(a),   s(u) = max(u, 0) + log(1 + e^{−|u|}),
#
# and the second form of s never overflows (e^{−|u|} ≤ 1).
#
# ### Exercise 1: binary cross-entropy from logits (3 points)
#
# Write `bce_with_logits(logits, targets)`: the mean of ℓ over all entries, finite and right for
# logits of any size, differentiable (use tensor operations: `.clamp(min=0)`, `.abs()`,
# `.exp()`, `torch.log1p`). Do not call `F.binary_cross_entropy_with_logits`: it is what the
# tests compare with.
#
# (One blemish: at exactly a = 0, max and |·| have kinks and autograd takes a side; the
# spelling above then gives the gradient 1 − 2t, twice the right ½ − t. The library's version
# gives softplus its own backward, σ, to be right there too. With random weights a logit is
# never exactly 0.)

# %% nbgrader={"grade": false, "grade_id": "bce_with_logits", "locked": false, "schema_version": 3, "solution": true}
def bce_with_logits(logits, targets):
    """mean of -t log σ(a) - (1 - t) log(1 - σ(a)) over all entries, stable for large |a|."""
    ### BEGIN SOLUTION
    def softplus(u):
        return u.clamp(min=0) + torch.log1p((-u.abs()).exp())

    return (targets * softplus(-logits) + (1 - targets) * softplus(logits)).mean()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "bce_with_logits_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
logits = torch.tensor([[-2.0], [0.0], [0.5], [3.0]])
targets = torch.tensor([[0.0], [1.0], [1.0], [0.0]])
check_close(bce_with_logits(logits, targets),
            F.binary_cross_entropy_with_logits(logits, targets),
            "bce_with_logits on four logits against F.binary_cross_entropy_with_logits")
check_close(bce_with_logits(torch.tensor([100.0, -100.0]), torch.tensor([0.0, 1.0])), 100.0,
            "bce_with_logits of logits 100 labelled fake and -100 labelled real (should be 100, "
            "not inf or nan)")
### BEGIN HIDDEN TESTS
torch.manual_seed(3)
for scale in (1.0, 30.0, 1000.0):
    logits = (scale * torch.randn(64, 1, dtype=torch.float64)).requires_grad_()
    targets = (torch.rand(64, 1, dtype=torch.float64) < 0.5).double()
    got = bce_with_logits(logits, targets)
    check_true(got.ndim == 0, f"bce_with_logits should return a scalar, got shape {got.shape}")
    expected = F.binary_cross_entropy_with_logits(logits, targets)
    check_close(got, expected, f"bce_with_logits of logits of scale {scale:g}", rtol=1e-10)
    (gradient,) = torch.autograd.grad(got, logits)
    (expected_gradient,) = torch.autograd.grad(expected, logits)
    check_close(gradient, expected_gradient,
                f"the gradient of bce_with_logits with respect to logits of scale {scale:g}, "
                "(σ(a) - t) / N", rtol=1e-8, atol=1e-15)
soft = torch.tensor([0.2, 0.7, 0.5], dtype=torch.float64)
logits = torch.tensor([-1.5, 0.3, 4.0], dtype=torch.float64)
check_close(bce_with_logits(logits, soft), F.binary_cross_entropy_with_logits(logits, soft),
            "bce_with_logits with targets between 0 and 1", rtol=1e-10)
check_close(bce_with_logits(torch.tensor([-800.0, 800.0]), torch.tensor([0.0, 1.0])), 0.0,
            "bce_with_logits of very confident right answers", atol=1e-12)
### END HIDDEN TESTS

# %% [markdown]
# ## 2. The optimal discriminator and the value of the game
#
# Fix G, and so the density p_g of its samples. At each x, D(x) = y maximises
# p_data(x) log y + p_g(x) log(1 − y), whose maximum is at
#
#     D*(x) = p_data(x) / (p_data(x) + p_g(x)).
#
# Put D* back into V, and with the mixture m = (p_data + p_g) / 2 (Goodfellow et al., 2014,
# Theorem 1):
#
#     V(D*, G) = ∫ p_data log(p_data / 2m) + p_g log(p_g / 2m) dx = −log 4 + 2 · JSD(p_data ‖ p_g),
#
# where JSD(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m) is the Jensen–Shannon divergence, between 0 (p = q)
# and log 2 (no overlap). So with a perfect D, G minimises a divergence from the data, and the
# best G, p_g = p_data, gives V = −log 4 and D* = ½ everywhere.
#
# Take two 1-D Gaussians, the data N(μ_d, σ_d²) and the generator N(μ_g, σ_g²). Densities far
# out in their tails are smaller than the smallest float, so p / (p + q) would be 0 / 0; but
#
#     p / (p + q) = σ(log p − log q),
#
# and the log density of a Gaussian, log N(x; μ, s²) = −(x − μ)² / (2 s²) − log s − ½ log 2π,
# never underflows.
#
# ### Exercise 2: the optimal discriminator (3 points)
#
# Write `optimal_discriminator(x, data, generator)`: x is a tensor, data and generator are
# (mean, std) pairs; return D*(x), a tensor of x's shape and dtype, finite for every x.

# %% nbgrader={"grade": false, "grade_id": "optimal_discriminator", "locked": false, "schema_version": 3, "solution": true}
def optimal_discriminator(x, data, generator):
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) for Gaussians data = (mean, std), generator =
    (mean, std), computed as σ(log p_data(x) - log p_g(x))."""
    ### BEGIN SOLUTION
    def log_density(mean, std):
        return -((x - mean) / std) ** 2 / 2 - math.log(std) - math.log(2 * math.pi) / 2

    return torch.sigmoid(log_density(*data) - log_density(*generator))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "optimal_discriminator_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
x = torch.linspace(-3, 3, 7)
check_close(optimal_discriminator(x, (0.0, 1.0), (0.0, 1.0)), torch.full((7,), 0.5),
            "D* when the generator's Gaussian is the data's (1/2 everywhere)")
# N(0, 1) against N(1, 1): p / q = exp(1/2 - x), so D*(x) = σ(1/2 - x).
check_close(optimal_discriminator(x, (0.0, 1.0), (1.0, 1.0)), torch.sigmoid(0.5 - x),
            "D* for the data N(0, 1) and the generator N(1, 1) at x = -3, -2, ..., 3")
### BEGIN HIDDEN TESTS
x = torch.linspace(-5, 6, 45, dtype=torch.float64)
for data, generator in (((0.0, 1.0), (2.0, 0.5)), ((1.0, 0.3), (-1.0, 2.0)),
                        ((0.5, 1.5), (0.5, 1.0))):
    p = torch.exp(-((x - data[0]) / data[1]) ** 2 / 2) / (data[1] * math.sqrt(2 * math.pi))
    q = torch.exp(-((x - generator[0]) / generator[1]) ** 2 / 2) / (generator[1]
                                                                      * math.sqrt(2 * math.pi))
    got = optimal_discriminator(x, data, generator)
    check_equal(str(got.dtype), str(torch.float64), f"the dtype of D* for float64 x (data {data})")
    check_close(got, p / (p + q), f"D* for the data N{data} and the generator N{generator} "
                "(as (mean, std)) against p / (p + q)", rtol=1e-9, atol=1e-12)
far = torch.tensor([-60.0, -45.0, 45.0, 60.0])   # both densities underflow in float32 here
got = optimal_discriminator(far, (0.0, 1.0), (1.0, 2.0))
check_true(bool(torch.isfinite(got).all()), f"D* far in the tails should be finite, got {got}")
check_close(got, [0.0, 0.0, 0.0, 0.0], "D* far out, where the wider generator dominates",
            atol=1e-6)
check_close(optimal_discriminator(far, (0.0, 1.0), (0.0, 1.0)), [0.5] * 4,
            "D* far out when the two Gaussians are equal")
### END HIDDEN TESTS

# %% [markdown]
# D* for the data N(0, 1) and generators at three places: where p_g is much larger than p_data,
# D* says "fake" (near 0), where it is much smaller, "real" (near 1).

# %% nbgrader={"grade": false, "grade_id": "show_optimal_discriminator", "locked": true, "schema_version": 3, "solution": false}
DATA = (0.0, 1.0)
grid = torch.linspace(-7, 9, 2001, dtype=torch.float64)


def gaussian_density(x, mean, std):
    return torch.exp(-((x - mean) / std) ** 2 / 2) / (std * math.sqrt(2 * math.pi))


fig, axes = plt.subplots(1, 3, figsize=(13, 3.4), sharey=True, layout="constrained")
for ax, generator in zip(axes, [(3.0, 1.0), (1.0, 0.6), (0.0, 1.0)]):
    ax.fill_between(grid, gaussian_density(grid, *DATA), alpha=0.3, label="p_data")
    ax.fill_between(grid, gaussian_density(grid, *generator), alpha=0.3, label="p_g")
    ax.plot(grid, optimal_discriminator(grid, DATA, generator), "k", label="D*(x)")
    ax.set(xlabel="x", title=f"data N(0, 1), generator N({generator[0]:g}, {generator[1]:g}²)",
           xlim=(-4, 6))
axes[0].legend()
plt.show()

# %% [markdown]
# ### Exercise 3: the value of the game (3 points)
#
# Write `game_value(x, p_data, p_generator, d)`: the integral
#
#     V(D, G) = ∫ p_data(x) log D(x) + p_g(x) log(1 − D(x)) dx
#
# by the trapezoidal rule (`torch.trapezoid(y, x)`) over the grid x, given the densities and
# D's values on the grid (all tensors of x's shape; d is strictly between 0 and 1). Return a
# Python float.

# %% nbgrader={"grade": false, "grade_id": "game_value", "locked": false, "schema_version": 3, "solution": true}
def game_value(x, p_data, p_generator, d):
    """∫ p_data log d + p_g log(1 - d) dx by the trapezoidal rule on the grid x, as a float."""
    ### BEGIN SOLUTION
    return torch.trapezoid(p_data * torch.log(d) + p_generator * torch.log(1 - d), x).item()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "game_value_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
p, q = gaussian_density(grid, 0.0, 1.0), gaussian_density(grid, 2.0, 1.0)
half = torch.full_like(grid, 0.5)
check_true(isinstance(game_value(grid, p, q, half), float), "game_value should return a float")
check_close(game_value(grid, p, q, half), -math.log(4),
            "V for D = 1/2 everywhere (log 1/2 + log 1/2 = -log 4, whatever p_data and p_g)")
# D* from the densities (not your optimal_discriminator: this exercise is graded on its own).
check_true(game_value(grid, p, q, p / (p + q)) > -math.log(4),
           "V at D* = p_data / (p_data + p_g) should be above V at D = 1/2: D* maximises V")
### BEGIN HIDDEN TESTS
def jensen_shannon(x, p, q):
    """JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2, m = (p + q) / 2: another formula than V's."""
    m = (p + q) / 2
    return (torch.trapezoid(p * torch.log(p / m), x).item()
            + torch.trapezoid(q * torch.log(q / m), x).item()) / 2


for generator in ((2.0, 1.0), (0.5, 0.8), (-1.0, 1.2)):
    q = gaussian_density(grid, *generator)
    d_star = p / (p + q)   # no underflow on this grid in float64
    best = game_value(grid, p, q, d_star)
    check_close(best, -math.log(4) + 2 * jensen_shannon(grid, p, q),
                f"V(D*, G) for the generator N{generator} against -log 4 + 2 JSD", rtol=1e-6)
    for other in (half, torch.sigmoid(torch.logit(d_star) + 0.3), d_star ** 1.5):
        check_true(game_value(grid, p, q, other) < best,
                   f"V at another D should be below V at D* (generator N{generator})")
d = torch.sigmoid(torch.sin(3 * grid))   # any D, checked against the integral written out
y = p * torch.log(d) + q * torch.log(1 - d)
expected = ((y[1:] + y[:-1]) / 2 * (grid[1:] - grid[:-1])).sum().item()
check_close(game_value(grid, p, q, d), expected, "V for D(x) = σ(sin 3x)", rtol=1e-9)
# A coarse grid of unequal steps, the densities far from 0 at its ends: the trapezoidal rule
# over these four points, exactly (a sum times one step would differ).
x = torch.tensor([0.0, 0.5, 1.5, 3.0], dtype=torch.float64)
p_coarse = torch.tensor([0.2, 0.4, 0.3, 0.1], dtype=torch.float64)
q_coarse = torch.tensor([0.1, 0.2, 0.4, 0.3], dtype=torch.float64)
d_coarse = torch.tensor([0.3, 0.6, 0.5, 0.2], dtype=torch.float64)
y = p_coarse * torch.log(d_coarse) + q_coarse * torch.log(1 - d_coarse)
expected = sum((y[i] + y[i + 1]).item() / 2 * (x[i + 1] - x[i]).item() for i in range(3))
check_close(game_value(x, p_coarse, q_coarse, d_coarse), expected,
            "V on the grid 0, 0.5, 1.5, 3 (unequal steps) by the trapezoidal rule", rtol=1e-9)
### END HIDDEN TESTS

# %% [markdown]
# With the data N(0, 1) fixed and the generator N(μ, 1) moved along, V(D*, G) is lowest,
# −log 4, where the generator is the data, and approaches 0 = −log 4 + 2 log 2 when the two no
# longer overlap. There the JSD is flat: it says "far" without saying which way to go, the first
# sign of the trouble that section 3 is about.

# %% nbgrader={"grade": false, "grade_id": "value_curve", "locked": true, "schema_version": 3, "solution": false}
means = torch.linspace(-8, 8, 81).tolist()
values = []
for mean in means:
    q = gaussian_density(grid, mean, 1.0)
    # Far apart, D* rounds to exactly 0 or 1 at the grid's ends, where log gives -inf; there
    # p_data or p_g is below 1e-20, so clamping D* changes V by less than that.
    d_star = optimal_discriminator(grid, DATA, (mean, 1.0)).clamp(1e-15, 1 - 1e-15)
    values.append(game_value(grid, p, q, d_star))
fig, ax = plt.subplots(figsize=(6.5, 3.6), layout="constrained")
ax.plot(means, values, label="V(D*, G), your game_value")
ax.axhline(-math.log(4), color="gray", linestyle="--", label="-log 4")
ax.axhline(0.0, color="gray", linestyle=":", label="0 = -log 4 + 2 log 2")
ax.set(xlabel="generator mean μ (data N(0, 1), generator N(μ, 1))", ylabel="value of the game")
ax.legend(loc="lower right")
plt.show()
print(f"V(D*, G) at μ = 0: {values[40]:.6f} (-log 4 = {-math.log(4):.6f}); "
      f"at μ = 8: {values[-1]:.6f}")

# %% [markdown]
# ## 3. The generator's loss: minimax or non-saturating
#
# In the game, G minimises E[log(1 − D(G(z)))], the **minimax** loss. Early in training the fakes
# are poor, D rejects them confidently, D(G(z)) ≈ 0, and this loss is flat there: with D's logit
# a on a fake, d/da log(1 − σ(a)) = −σ(a) → 0. Goodfellow et al. (2014, §3) propose instead that G
# maximise log D(G(z)), the **non-saturating** loss −E[log D(G(z))], whose derivative
# −(1 − σ(a)) → −1 there. Both losses push D(G(z)) up, and both have the same fixed point.
#
# ### Exercise 4: the two generator losses (3 points)
#
# Write both from D's logits on a batch of fakes, as means over the batch, stable for logits of
# any size (log(1 − σ(a)) = −log(1 + e^a); the `bce_with_logits` of exercise 1 computes such
# logs):
#
# - `minimax_generator_loss(fake_logits)` = mean of log(1 − D(G(z))), to be minimised;
# - `nonsaturating_generator_loss(fake_logits)` = mean of −log D(G(z)).

# %% nbgrader={"grade": false, "grade_id": "generator_losses", "locked": false, "schema_version": 3, "solution": true}
def minimax_generator_loss(fake_logits):
    """mean of log(1 - σ(a)) over D's logits a on the fakes (G minimises it)."""
    ### BEGIN SOLUTION
    return -bce_with_logits(fake_logits, torch.zeros_like(fake_logits))
    ### END SOLUTION


def nonsaturating_generator_loss(fake_logits):
    """mean of -log σ(a) over D's logits a on the fakes (G minimises it)."""
    ### BEGIN SOLUTION
    return bce_with_logits(fake_logits, torch.ones_like(fake_logits))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "generator_losses_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
a = torch.tensor([0.0])   # D undecided: D(G(z)) = 1/2
check_close(minimax_generator_loss(a), math.log(0.5), "the minimax loss at D(G(z)) = 1/2")
check_close(nonsaturating_generator_loss(a), math.log(2), "the non-saturating loss there")
# D rejects the fake: D(G(z)) = σ(-10) ≈ 4.5e-5
a = torch.tensor([-10.0], dtype=torch.float64, requires_grad=True)
minimax_generator_loss(a).backward()
check_close(a.grad, [-1 / (1 + math.exp(10))], "d minimax / d logit at a = -10 (-σ(a))")
### BEGIN HIDDEN TESTS
torch.manual_seed(4)
for scale in (1.0, 50.0, 500.0):
    a = (scale * torch.randn(32, 1, dtype=torch.float64)).requires_grad_()
    for loss, expected_loss, name in (
            (minimax_generator_loss, lambda a: -F.binary_cross_entropy_with_logits(
                a, torch.zeros_like(a)), "minimax"),
            (nonsaturating_generator_loss, lambda a: F.binary_cross_entropy_with_logits(
                a, torch.ones_like(a)), "non-saturating")):
        got, expected = loss(a), expected_loss(a)
        check_true(got.ndim == 0, f"the {name} loss should be a scalar, got shape {got.shape}")
        check_close(got, expected, f"the {name} loss of logits of scale {scale:g}", rtol=1e-10)
        (gradient,) = torch.autograd.grad(got, a)
        (expected_gradient,) = torch.autograd.grad(expected, a)
        check_close(gradient, expected_gradient,
                    f"the gradient of the {name} loss, logits of scale {scale:g}",
                    rtol=1e-8, atol=1e-15)
a = torch.tensor([-10.0], dtype=torch.float64, requires_grad=True)
nonsaturating_generator_loss(a).backward()
check_close(a.grad, [-1 / (1 + math.exp(-10))],
            "d non-saturating / d logit at a = -10 (-(1 - σ(a)))")
### END HIDDEN TESTS

# %% [markdown]
# The two losses and their slopes against D(G(z)), the probability D gives a fake. Where D
# rejects the fakes (left), the minimax loss has almost no slope: its gradient with respect to
# D's logit is D(G(z)) itself. The non-saturating loss's gradient is largest exactly there.

# %% nbgrader={"grade": false, "grade_id": "show_saturation", "locked": true, "schema_version": 3, "solution": false}
a = torch.linspace(-12, 6, 200, dtype=torch.float64)
d_of_fake = torch.sigmoid(a)
curves = {}
for name, loss in (("minimax: log(1 - D(G(z)))", minimax_generator_loss),
                   ("non-saturating: -log D(G(z))", nonsaturating_generator_loss)):
    logits = a.clone().requires_grad_()
    per_sample = [loss(logits[i:i + 1]) for i in range(len(a))]
    total = sum(per_sample[1:], per_sample[0])
    (gradient,) = torch.autograd.grad(total, logits)
    curves[name] = ([value.item() for value in per_sample], gradient.abs())
fig, (left, right) = plt.subplots(1, 2, figsize=(12, 3.8), layout="constrained")
for name, (values, gradient) in curves.items():
    left.plot(d_of_fake, values, label=name)
    right.plot(d_of_fake, gradient, label=name)
left.set(xlabel="D(G(z))", ylabel="generator loss", title="the losses")
right.set(xlabel="D(G(z))", ylabel="|d loss / d logit|", xscale="log", yscale="log",
          title="their gradients (log scales)")
left.legend()
right.legend()
plt.show()

# %% [markdown]
# ## 4. One training step
#
# Each step updates D once, then G once (Goodfellow et al., 2014, Algorithm 1, with k = 1):
#
# 1. `fake = generator(z)`;
# 2. D's step: D's loss is the cross-entropy of its logits on `real` against the target 1 plus
#    that of its logits on `fake.detach()` against 0 (the sum of the two means; targets of the
#    logits' shape, `torch.ones_like(logits)`; your `bce_with_logits` or
#    `F.binary_cross_entropy_with_logits`); zero D's gradients, backward, `d_optimizer.step()`.
#    `fake.detach()` cuts the graph: D's loss must not send gradients into G;
# 3. G's step: G's loss is `generator_loss(discriminator(fake))`, with the D that was just
#    updated; zero G's gradients (D's backward may have left some), backward,
#    `g_optimizer.step()`. This backward goes through D too, but only G's optimizer steps.
#
# ### Exercise 5: one GAN training step (4 points)
#
# Write `gan_step`; return D's loss and G's loss as Python floats (each computed before its own
# update). `generator_loss` maps D's logits on the fakes to G's loss, as your two functions of
# exercise 4 do (the tests pass the library's, `chainrule.models.gan.generator_loss`).

# %% nbgrader={"grade": false, "grade_id": "gan_step", "locked": false, "schema_version": 3, "solution": true}
def gan_step(generator, discriminator, g_optimizer, d_optimizer, real, z, generator_loss):
    """One step of D on real and generator(z), then one of G; returns (d_loss, g_loss) floats."""
    ### BEGIN SOLUTION
    fake = generator(z)
    real_logits, fake_logits = discriminator(real), discriminator(fake.detach())
    d_loss = (bce_with_logits(real_logits, torch.ones_like(real_logits))
              + bce_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    d_optimizer.zero_grad()
    d_loss.backward()
    d_optimizer.step()

    g_loss = generator_loss(discriminator(fake))
    g_optimizer.zero_grad()
    g_loss.backward()
    g_optimizer.step()
    return d_loss.item(), g_loss.item()
    ### END SOLUTION


# %% [markdown]
# The networks of the rest of the lab, from `chainrule.models.gan`: MLPs with two hidden layers
# of ReLU units, G from the 2-D noise to the plane, D from the plane to one logit per point.

# %% nbgrader={"grade": false, "grade_id": "networks", "locked": true, "schema_version": 3, "solution": false}
def make_generator(hidden=128):
    return gan_library.MLPGenerator(latent_dim=LATENT, hidden=hidden)


def make_discriminator(hidden=128):
    return gan_library.MLPDiscriminator(hidden=hidden)


def parameter_values(module):
    return [parameter.detach().clone() for parameter in module.parameters()]


def library_loss(kind):
    """chainrule.models.gan's generator loss of that kind, as a function of the fake logits."""
    return lambda fake_logits: gan_library.generator_loss(fake_logits, kind)


# %% nbgrader={"grade": true, "grade_id": "gan_step_tests", "locked": true, "points": 4, "schema_version": 3, "solution": false}
torch.manual_seed(0)
generator, discriminator = make_generator(16), make_discriminator(16)
real, z = torch.tensor(ring(64, seed=1).x), torch.randn(64, LATENT)
g_before, d_before = parameter_values(generator), parameter_values(discriminator)
# D's optimizer only: G must not move.
losses = gan_step(generator, discriminator, torch.optim.SGD(generator.parameters(), lr=0.0),
                  torch.optim.SGD(discriminator.parameters(), lr=0.1), real, z,
                  library_loss("nonsaturating"))
check_true(isinstance(losses, tuple) and len(losses) == 2
           and all(isinstance(value, float) for value in losses),
           f"gan_step should return two floats (d_loss, g_loss), got {losses!r}")
check_true(any(not bool((after == before).all())
               for after, before in zip(parameter_values(discriminator), d_before)),
           "gan_step did not change D's parameters: does it call d_optimizer.step()?")
for after, before in zip(parameter_values(generator), g_before):
    check_close(after, before, "G's parameters after a step whose G optimizer has lr 0")
### BEGIN HIDDEN TESTS
# The step written out on copies, with momentum, over three steps: equal losses and parameters.
# Catches a missing detach (D's loss reaching G's gradients), a missing zero_grad (D's gradients
# from the previous G step, or G's from D's backward), G's loss on the old D, a mean of the two
# terms of D's loss, losses read after the update.
for name, kind in (("non-saturating", "nonsaturating"), ("minimax", "minimax")):
    torch.manual_seed(1)
    generator, discriminator = make_generator(16), make_discriminator(16)
    reference_g, reference_d = copy.deepcopy(generator), copy.deepcopy(discriminator)
    g_optimizer = torch.optim.SGD(generator.parameters(), lr=0.05, momentum=0.9)
    d_optimizer = torch.optim.SGD(discriminator.parameters(), lr=0.05, momentum=0.9)
    reference_g_optimizer = torch.optim.SGD(reference_g.parameters(), lr=0.05, momentum=0.9)
    reference_d_optimizer = torch.optim.SGD(reference_d.parameters(), lr=0.05, momentum=0.9)
    for step in range(3):
        real, z = torch.tensor(ring(32, seed=10 + step).x), torch.randn(32, LATENT)
        got = gan_step(generator, discriminator, g_optimizer, d_optimizer, real, z,
                       library_loss(kind))
        fake = reference_g(z)
        d_loss = gan_library.discriminator_loss(reference_d(real), reference_d(fake.detach()))
        reference_d_optimizer.zero_grad()
        d_loss.backward()
        reference_d_optimizer.step()
        g_loss = gan_library.generator_loss(reference_d(fake), kind)
        reference_g_optimizer.zero_grad()
        g_loss.backward()
        reference_g_optimizer.step()
        check_close(got, (d_loss.item(), g_loss.item()),
                    f"(d_loss, g_loss) of step {step + 1} with the {name} loss (D's loss is the "
                    "sum of the two means, each loss computed before its update, each network's "
                    "gradients zeroed before its backward)", rtol=1e-5)
    for (what, module), reference in (((f"D ({name})", discriminator), reference_d),
                                      ((f"G ({name})", generator), reference_g)):
        for (key, parameter), expected in zip(module.named_parameters(),
                                              reference.parameters()):
            check_close(parameter, expected, f"{what}'s parameter {key} after 3 steps with "
                        "SGD and momentum", rtol=1e-4, atol=1e-6)
# G's optimizer only: D must not move.
torch.manual_seed(2)
generator, discriminator = make_generator(16), make_discriminator(16)
d_before = parameter_values(discriminator)
gan_step(generator, discriminator, torch.optim.SGD(generator.parameters(), lr=0.1),
         torch.optim.SGD(discriminator.parameters(), lr=0.0), torch.tensor(ring(32, seed=5).x),
         torch.randn(32, LATENT), library_loss("minimax"))
for after, before in zip(parameter_values(discriminator), d_before):
    check_close(after, before, "D's parameters after a step whose D optimizer has lr 0")
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Training on the ring of eight Gaussians
#
# The data: eight Gaussians of standard deviation 0.02 on a circle of radius 2
# (`chainrule.data.datasets.ring`). A generator that learnt only some of them has suffered
# **mode collapse**. Two numbers measure it (Srivastava et al., *VEEGAN*, 2017; Lin et al.,
# *PacGAN*, 2018):
#
# - the **share of high-quality samples**: the fraction of samples within 3 standard deviations
#   of their nearest mode;
# - the number of **modes covered**: modes that hold at least a fifth of their fair share
#   (n / 8 for n samples) of the high-quality samples, and at least one.
#
# ### Exercise 6: the ring's metrics (3 points)
#
# Write `ring_metrics(samples, centres, std)`: samples an (n, 2) tensor, centres a (k, 2) tensor
# or array of the modes; return (modes covered, share within 3 std) as an int and a float. A
# sample at exactly 3 std counts as near.

# %% nbgrader={"grade": false, "grade_id": "ring_metrics", "locked": false, "schema_version": 3, "solution": true}
def ring_metrics(samples, centres, std):
    """(number of modes covered, share of samples within 3 std of their nearest mode)."""
    ### BEGIN SOLUTION
    centres = torch.as_tensor(centres, dtype=samples.dtype)
    distances = ((samples[:, None, :] - centres[None, :, :]) ** 2).sum(dim=2).sqrt()
    nearest, index = distances.min(dim=1)
    near = nearest <= 3 * std
    counts = [(near & (index == k)).sum().item() for k in range(len(centres))]
    fair_share = len(samples) / len(centres)
    covered = sum(count >= max(0.2 * fair_share, 1) for count in counts)
    return int(covered), near.double().mean().item()
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "ring_metrics_tests", "locked": true, "points": 3, "schema_version": 3, "solution": false}
square = torch.tensor([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])
samples = torch.tensor([[1.0, 0.01], [1.02, 0.0], [0.0, 0.97], [0.5, 0.5]])
covered, share = ring_metrics(samples, square, 0.02)
check_equal(covered, 2, "modes covered: three of four samples near two of four modes")
check_close(share, 0.75, "the share of samples within 3 std: three of four")
### BEGIN HIDDEN TESTS
torch.manual_seed(5)
cases = [torch.tensor(ring(1000, seed=6).x),                            # all eight modes
         torch.tensor(ring(1000, std=0.05, seed=7).x),                  # too wide: fewer near
         2.2 * torch.randn(500, 2),                                     # scattered
         torch.tensor(ring(300, seed=8).x)[torch.tensor(ring(300, seed=8).mode) < 3]]  # collapsed
mixed = torch.cat([torch.tensor(ring(400, seed=9).x)[:370], 3 * torch.randn(30, 2)])
cases.append(mixed)
for samples in cases:
    covered, share = ring_metrics(samples, CENTRES, STD)
    check_true(isinstance(covered, int) and isinstance(share, float),
               f"ring_metrics should return an int and a float, got {covered!r}, {share!r}")
    check_equal(covered, modes_covered(samples, CENTRES, STD),
                f"modes covered by {len(samples)} samples (counts within 3 std: "
                f"{mode_counts(samples, CENTRES, STD).tolist()})")
    check_close(share, high_quality_share(samples, CENTRES, STD),
                f"the share within 3 std of {len(samples)} samples")
# 80 samples, 10 per mode's fair share: a mode needs >= 2 near samples (one fifth of 10).
few = torch.tensor(CENTRES, dtype=torch.float32)[torch.tensor([0] * 70 + [1, 1, 2] + [3] * 7)]
check_equal(ring_metrics(few, CENTRES, STD), (3, 1.0),
            "(modes covered, share) when modes hold 70, 2, 1 and 7 of 80 samples, all at the "
            "centres (1 is below a fifth of the fair share 10, but near all the same)")
# std 0.25 makes the distances exact: (2.75, 0) is 0.75 = 3 std from the mode (2, 0).
edge = torch.tensor([[2.75, 0.0], [2.76, 0.0]], dtype=torch.float64)
check_close(ring_metrics(edge, CENTRES, 0.25)[1], 0.5,
            "the share, std 0.25, for the samples (2.75, 0) at exactly 3 std from the mode (2, 0) "
            "(near) and (2.76, 0) just beyond")
### END HIDDEN TESTS

# %% [markdown]
# ### Training
#
# `train_gan` trains a fresh pair of networks (the same seed gives the same initial weights,
# data and noise in every run) with your `gan_step`. Every `every` steps (and after the first)
# it measures G on 2000 fixed noise vectors: your `ring_metrics`, the mean D(G(z)), the mean
# distance of the samples to their nearest mode, and the norm of G's gradient at that step.
# Both networks use the same optimizer: Adam (lr 10⁻³, β = (0.5, 0.999), the β₁ of DCGAN,
# Radford et al., 2016) or SGD with momentum 0.9 (lr 0.005). `head_start` steps of D alone come
# first (your `gan_step` with a G optimizer of learning rate 0).

# %% nbgrader={"grade": false, "grade_id": "train_gan", "locked": true, "schema_version": 3, "solution": false}
def train_gan(generator_loss, optimizer="adam", steps=STEPS, every=EVERY, head_start=0,
              snapshots=(), seed=0):
    torch.manual_seed(seed)
    generator, discriminator = make_generator(), make_discriminator()
    if optimizer == "adam":
        make = lambda module: torch.optim.Adam(module.parameters(), lr=1e-3, betas=(0.5, 0.999))
    else:
        make = lambda module: torch.optim.SGD(module.parameters(), lr=0.005, momentum=0.9)
    g_optimizer, d_optimizer = make(generator), make(discriminator)
    data = torch.Generator().manual_seed(seed)
    fixed_z = torch.randn(2000, LATENT)
    frozen = torch.optim.SGD(generator.parameters(), lr=0.0)
    for _ in range(head_start):
        real, z = torch.tensor(ring(BATCH, seed=data).x), torch.randn(BATCH, LATENT)
        gan_step(generator, discriminator, frozen, d_optimizer, real, z, generator_loss)
    log = {key: [] for key in ("step", "d_loss", "g_loss", "modes", "share", "d_fake",
                               "distance", "g_gradient")}
    log["snapshots"], d_losses, g_losses = {}, [], []
    for step in range(1, steps + 1):
        real, z = torch.tensor(ring(BATCH, seed=data).x), torch.randn(BATCH, LATENT)
        d_loss, g_loss = gan_step(generator, discriminator, g_optimizer, d_optimizer, real, z,
                                  generator_loss)
        d_losses.append(d_loss)
        g_losses.append(g_loss)
        if step in snapshots or step % every == 0 or step == 1:
            with torch.no_grad():
                samples = generator(fixed_z)
                d_fake = torch.sigmoid(discriminator(samples)).mean().item()
            if step in snapshots:
                log["snapshots"][step] = samples.numpy()
        if step % every == 0 or step == 1:
            modes, share = ring_metrics(samples, CENTRES, STD)
            gradient = math.sqrt(sum((p.grad ** 2).sum().item() for p in generator.parameters()))
            distance = float(nearest_mode(samples, CENTRES)[1].mean())
            for key, value in (("step", step), ("d_loss", sum(d_losses) / len(d_losses)),
                               ("g_loss", sum(g_losses) / len(g_losses)), ("modes", modes),
                               ("share", share), ("d_fake", d_fake), ("distance", distance),
                               ("g_gradient", gradient)):
                log[key].append(value)
            d_losses, g_losses = [], []
    return log


# %% [markdown]
# Both generator losses with Adam, from the same initial weights, data and noise. At the game's
# equilibrium D(G(z)) = ½ and D's loss is log 4 ≈ 1.39 (each of its two terms log 2); a D loss
# near 0 means D wins.

# %% nbgrader={"grade": false, "grade_id": "adam_runs", "locked": true, "schema_version": 3, "solution": false}
LOSSES = {"non-saturating": nonsaturating_generator_loss, "minimax": minimax_generator_loss}
SNAPSHOTS = [STEPS // 8, STEPS // 4, STEPS // 2, STEPS]
runs = {name: train_gan(loss, snapshots=SNAPSHOTS) for name, loss in LOSSES.items()}
for name, log in runs.items():
    best = max(range(len(log["step"])), key=lambda i: (log["modes"][i], log["share"][i]))
    print(f"Adam, {name:14s} after {STEPS} steps: {log['modes'][-1]} of 8 modes, "
          f"{log['share'][-1]:.3f} within 3σ (best: {log['modes'][best]} modes, "
          f"{log['share'][best]:.3f} at step {log['step'][best]})")

fig, axes = plt.subplots(1, 4, figsize=(16, 3.6), layout="constrained")
for name, log in runs.items():
    line, = axes[0].plot(log["step"], log["d_loss"], label=f"D, {name}")
    axes[0].plot(log["step"], log["g_loss"], "--", color=line.get_color(), label=f"G, {name}")
    axes[1].plot(log["step"], log["modes"], label=name)
    axes[2].plot(log["step"], log["share"], label=name)
    axes[3].plot(log["step"], log["d_fake"], label=name)
axes[0].axhline(math.log(4), color="gray", linewidth=0.8)
axes[0].set(xlabel="step", ylabel=f"loss (mean of {EVERY} steps)", title="losses")
axes[1].set(xlabel="step", ylabel="modes covered (of 8)", ylim=(-0.3, 8.3), title="modes covered")
axes[2].set(xlabel="step", ylabel="share", ylim=(0, 1), title="share within 3σ of a mode")
axes[3].set(xlabel="step", ylabel="mean D(G(z))", ylim=(0, 1), title="D on the fakes")
for ax in axes:
    ax.legend(fontsize=8)
fig.suptitle("Adam: the non-saturating against the minimax generator loss")
plt.show()

fig, axes = plt.subplots(2, len(SNAPSHOTS), figsize=(3.2 * len(SNAPSHOTS), 6.6), sharex=True,
                         sharey=True, layout="constrained")
for row, (name, log) in zip(axes, runs.items()):
    for ax, step in zip(row, SNAPSHOTS):
        samples = log["snapshots"][step]
        ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.3)
        ax.scatter(CENTRES[:, 0], CENTRES[:, 1], s=40, c="tab:red", marker="x")
        ax.set(title=f"{name}, step {step}", xlim=(-3, 3), ylim=(-3, 3), aspect="equal")
fig.suptitle("2000 samples of G from fixed noise (the modes marked x)")
plt.show()

# %% [markdown]
# With Adam the two losses behave alike on the ring: both spread G's samples over the circle
# within the first thousand steps, then gather them at the modes. Neither settles: the number
# of modes covered jumps from one measurement to the next as samples drift between neighbouring
# modes, while the losses stay flat near the equilibrium. A GAN's loss curve does not tell you
# whether it is learning; what it generates does.
#
# GAN training amplifies the smallest differences: answers that agree with the tests to the
# last few digits (another correct way to write a loss) can give other numbers after a few
# thousand steps, with the same picture. One run, one seed, says little: `chainrule train gan`
# (the same ring, a 16-dimensional z, 5000 steps) measured at seeds 0 to 4 finds the minimax
# loss covering 8 of 8 modes each time and the non-saturating loss 7, 6, 2, 7 and 5.

# %% [markdown]
# ### Saturation in training
#
# Adam divides each parameter's step by a running root mean square of its gradients, so a
# gradient a hundred times smaller still makes steps of about the learning rate: it hides much
# of the minimax loss's saturation. Plain SGD does not. Below, both losses with SGD and momentum,
# after a head start of D alone (300 steps), so that the game starts where Goodfellow et al.
# say it does: with a D that rejects G's samples confidently.

# %% nbgrader={"grade": false, "grade_id": "saturation_in_training", "locked": true, "schema_version": 3, "solution": false}
sgd_runs = {name: train_gan(loss, "sgd", steps=STEPS_SGD, every=EVERY_SGD, head_start=HEAD_START)
            for name, loss in LOSSES.items()}
for name, log in sgd_runs.items():
    print(f"SGD, {name:14s} first step: mean D(G(z)) {log['d_fake'][0]:.1e}, "
          f"|G's gradient| {log['g_gradient'][0]:.1e}; after {STEPS_SGD} steps: mean D(G(z)) "
          f"{log['d_fake'][-1]:.1e}, |G's gradient| {log['g_gradient'][-1]:.1e}, mean distance "
          f"to the nearest mode {log['distance'][-1]:.2f}")
fig, axes = plt.subplots(1, 3, figsize=(14, 3.6), layout="constrained")
for name, log in sgd_runs.items():
    axes[0].plot(log["step"], log["d_fake"], label=name)
    axes[1].plot(log["step"], log["g_gradient"], label=name)
    axes[2].plot(log["step"], log["distance"], label=name)
axes[0].set(xlabel="step", ylabel="mean D(G(z))", yscale="log", title="D on the fakes")
axes[1].set(xlabel="step", ylabel="norm", yscale="log", title="norm of G's gradient")
axes[2].set(xlabel="step", ylabel="mean distance", yscale="log",
            title="G's samples to their nearest mode")
for ax in axes:
    ax.legend()
fig.suptitle(f"SGD with momentum after {HEAD_START} steps of D alone")
plt.show()

# %% [markdown]
# At the first step both generators face the same confident D: the minimax loss's gradient is
# about D(G(z)) times the non-saturating one's. With the non-saturating loss G comes to the data
# and D(G(z)) rises towards ½. With the minimax loss G drifts away from the data (here the mean
# distance to the nearest mode grows from about 2 to over 10); out there D rejects its samples
# with near certainty, and G's gradient stays hundreds of times smaller than with the other
# loss: too weak to bring them back within the run.

# %% [markdown]
# ## What to take away
#
# - D is a binary classifier trained with the cross-entropy; write it from logits
#   (log(1 + e^u) = max(u, 0) + log(1 + e^{−|u|})), or a confident D gives inf and NaN.
# - For a fixed G the best D is p_data / (p_data + p_g), and against it G minimises
#   −log 4 + 2 · JSD(p_data ‖ p_g): the game's value is −log 4 exactly when p_g = p_data.
# - The minimax generator loss saturates where D rejects the fakes, which is where training
#   starts; the non-saturating loss −log D(G(z)) has the same fixed point and a gradient there.
#   Adam's normalisation hides much of the difference, plain SGD shows it.
# - A GAN's losses do not fall the way a classifier's do; they hover around the equilibrium.
#   Whether G has learnt the data shows in what it generates: here, modes covered and the share
#   of samples near a mode, which move up and down over training as G's samples wander between
#   the modes.
