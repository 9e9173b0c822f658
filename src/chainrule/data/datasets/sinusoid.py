"""The lecture's first data set: t = sin(2πx) + ε, ε ~ N(0, σ²), on [0, 1] (PRML §1.1, p. 4)."""
import math

from chainrule.backend import float64, xp
from chainrule.data.dataset import TensorDataset
from chainrule.random import rng as random_generator
from chainrule.tensor import Tensor

# PRML Appendix A (p. 683): the curve-fitting data have Gaussian noise of standard deviation 0.3.
BOOK_NOISE_STD = 0.3


def true_curve(x):
    """sin(2πx), the function the data are drawn around (an array in, an array out)."""
    return xp.sin(2 * math.pi * xp.asarray(x, dtype=float64))


class Sinusoid(TensorDataset):
    """N pairs (x_n, t_n) as a Dataset: sample n is (x_n, t_n), two scalar float64 tensors, so a
    DataLoader batches them into tensors of shape (B,). The same data as plain NumPy arrays are
    `.x` and `.t` (shape (N,)); `.noise_std` is σ."""

    def __init__(self, x, t, noise_std):
        self.x, self.t, self.noise_std = x, t, noise_std
        super().__init__(Tensor._make(x), Tensor._make(t))

    def __repr__(self):
        return f"Sinusoid(n={len(self)}, noise_std={self.noise_std})"


def sinusoid(n, noise_std=BOOK_NOISE_STD, x="grid", seed=None):
    """Draw n observations t = sin(2πx) + ε, ε ~ N(0, noise_std²) (PRML §1.1, Figure 1.2).

    Args:
        n: number of points (at least 1).
        noise_std: σ of the Gaussian noise (the book's 0.3 by default; 0 for the curve itself).
        x: "grid" for n evenly spaced points from 0 to 1 inclusive (the book's training set),
            "random" for n points drawn uniformly on [0, 1], or an array of the x values to use.
        seed: an int, a chainrule.Generator, or None for chainrule's global generator.

    Returns a Sinusoid dataset (float64), with the arrays as `.x` and `.t`.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"sinusoid: n must be a positive int, got {n!r}")
    if not noise_std >= 0:   # also refuses NaN
        raise ValueError(f"sinusoid: noise_std must be >= 0, got {noise_std!r}")
    rng = random_generator(seed, "sinusoid")
    if isinstance(x, str):
        if x == "grid":
            x = xp.linspace(0.0, 1.0, n)
        elif x == "random":
            x = rng.uniform(0.0, 1.0, n)
        else:
            raise ValueError(f'sinusoid: x must be "grid", "random" or an array, got {x!r}')
    else:
        x = xp.asarray(x, dtype=float64).reshape(-1)
        if x.shape != (n,):
            raise ValueError(f"sinusoid: x has {x.size} values, expected n = {n}")
    t = true_curve(x) + noise_std * rng.standard_normal(n)
    return Sinusoid(x.astype(float64), t, noise_std)
