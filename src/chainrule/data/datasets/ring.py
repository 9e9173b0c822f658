"""The GAN papers' toy data: a mixture of Gaussians at equal angles on a circle (Metz et al.,
"Unrolled Generative Adversarial Networks", 2017, §3.1), and the two numbers that measure a
generator on it: how many modes it covers and the share of its samples near a mode."""
import math
import operator

from chainrule.backend import float32, float64, xp
from chainrule.data.dataset import TensorDataset
from chainrule.random import rng as random_generator
from chainrule.tensor import Tensor

# Metz et al. (2017) §3.1: eight modes on a circle of radius 2, each of standard deviation 0.02.
MODES, RADIUS, STD = 8, 2.0, 0.02
# A sample is "high quality" within 3 σ of its nearest mode (Srivastava et al., VEEGAN, 2017, §5);
# a mode counts as covered when it holds at least a fifth of its fair share of the samples within
# 3 σ (Lin et al., PacGAN, 2018, §6.1: "less than 20 samples ... 1/5 of the expected number").
SIGMAS, MIN_FRACTION = 3.0, 0.2


def ring_modes(modes=MODES, radius=RADIUS):
    """The centres (modes, 2) float64: radius · (cos 2πk/modes, sin 2πk/modes), k = 0..modes-1."""
    _check_positive_int("ring_modes", "modes", modes)
    if not radius > 0:
        raise ValueError(f"ring_modes: radius must be > 0, got {radius!r}")
    angles = 2 * math.pi * xp.arange(modes) / modes
    return radius * xp.stack([xp.cos(angles), xp.sin(angles)], axis=1).astype(float64)


class Ring(TensorDataset):
    """n points of the ring as a Dataset: sample i is (x_i, mode_i), a float32 tensor of shape
    (2,) and the int64 index of the mode it was drawn from. The arrays are `.x` (n, 2) float32 and
    `.mode` (n,) int64; `.centres` (modes, 2) float64 and `.std` describe the mixture."""

    def __init__(self, x, mode, centres, std):
        self.x, self.mode, self.centres, self.std = x, mode, centres, std
        super().__init__(Tensor._make(x), Tensor._make(mode))

    def __repr__(self):
        return f"Ring(n={len(self)}, modes={len(self.centres)}, std={self.std})"


def ring(n, modes=MODES, radius=RADIUS, std=STD, seed=None):
    """Draw n points, each from a mode chosen uniformly, plus isotropic Gaussian noise of std.

    Args: n, number of points (>= 1); modes, radius: as ring_modes; std, each mode's standard
        deviation (>= 0); seed, an int, a chainrule.Generator, or None (the global generator).
    Returns a Ring dataset.
    """
    _check_positive_int("ring", "n", n)
    if not std >= 0:   # also refuses NaN
        raise ValueError(f"ring: std must be >= 0, got {std!r}")
    centres = ring_modes(modes, radius)
    draw = random_generator(seed, "ring")
    mode = draw.integers(0, modes, n).astype(xp.int64)
    x = centres[mode] + std * draw.standard_normal((n, 2))
    return Ring(x.astype(float32), mode, centres, std)


def nearest_mode(samples, centres):
    """(index, distance) of each sample's nearest centre: two arrays of shape (n,)."""
    samples = _points("nearest_mode", samples)
    centres = _points("nearest_mode", centres, "centres")
    if not len(centres):
        raise ValueError("nearest_mode: expected at least one centre, got none")
    distances = xp.sqrt(((samples[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    index = distances.argmin(axis=1)
    return index, distances[xp.arange(len(samples)), index]


def high_quality_share(samples, centres, std, sigmas=SIGMAS):
    """The share of samples within sigmas · std of their nearest mode (0 to 1)."""
    _check_radius("high_quality_share", std, sigmas)
    _, distance = nearest_mode(samples, centres)
    return float((distance <= sigmas * std).mean()) if len(distance) else 0.0


def mode_counts(samples, centres, std, sigmas=SIGMAS):
    """How many samples lie within sigmas · std of each mode: an int array (modes,)."""
    _check_radius("mode_counts", std, sigmas)
    index, distance = nearest_mode(samples, centres)
    near = distance <= sigmas * std
    return xp.bincount(index[near], minlength=len(centres))


def modes_covered(samples, centres, std, sigmas=SIGMAS, min_fraction=MIN_FRACTION):
    """How many modes hold at least min_fraction of their fair share (n / modes) of samples
    within sigmas · std (PacGAN's rule: a generator that puts a stray point near a mode has not
    learnt it). An int from 0 to len(centres)."""
    counts = mode_counts(samples, centres, std, sigmas)
    fair_share = len(_points("modes_covered", samples)) / len(counts)
    return int((counts >= max(min_fraction * fair_share, 1)).sum())


def _points(func, values, name="samples"):
    """values (a Tensor or anything array-like) as an (n, 2) float64 array, or a clear error."""
    if isinstance(values, Tensor):
        values = values.detach().numpy()
    array = xp.asarray(values, dtype=float64)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"{func}: {name} must have shape (n, 2), got {array.shape}")
    return array


def _check_positive_int(func, name, value):
    """Refuse anything but an int >= 1 (NumPy's integers included, bool not)."""
    try:
        valid = not isinstance(value, bool) and operator.index(value) >= 1
    except TypeError:
        valid = False
    if not valid:
        raise ValueError(f"{func}: {name} must be a positive int, got {value!r}")


def _check_radius(func, std, sigmas):
    """A negative or NaN std (or sigmas) would count no sample as near, silently."""
    for name, value in (("std", std), ("sigmas", sigmas)):
        if not value >= 0:
            raise ValueError(f"{func}: {name} must be >= 0, got {value!r}")
