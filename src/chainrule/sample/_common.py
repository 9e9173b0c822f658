"""What the samplers share: the Samples result, the metric (a mass matrix or a preconditioner),
the log density evaluated with its gradient from the engine, and the checks of their arguments."""
import dataclasses
import math
import numbers
from typing import Optional

from chainrule import creation
from chainrule.autograd.engine import grad as engine_grad
from chainrule.grad_mode import enable_grad
from chainrule.backend import float64, xp
from chainrule.random import rng as random_generator
from chainrule.tensor import Tensor


@dataclasses.dataclass
class Samples:
    """Draws from a sampler.

    Attributes:
        samples: float64 array (n_samples, *init.shape), the kept draws in chain order.
        acceptance_rate: the share of kept HMC transitions whose proposal was accepted; None for
            SGLD, which has no Metropolis test (Welling & Teh 2011 §3 drop it as ε_t → 0).
        log_probs: float64 array (n_samples,), log_prob at each draw (for SGLD, the mini-batch
            estimate log p(w) + (N/n) Σ_batch log p(x_i|w) at the draw).
    """
    samples: object
    acceptance_rate: Optional[float]
    log_probs: object

    def mean(self):
        """The sample mean, an array of init's shape."""
        return self.samples.mean(axis=0)

    def cov(self):
        """The sample covariance of the flattened draws, a (D, D) array (D = init's size)."""
        flat = self.samples.reshape(len(self.samples), -1)
        return xp.atleast_2d(xp.cov(flat, rowvar=False))


class Metric:
    """A symmetric positive-definite matrix A: HMC's mass matrix M (Neal 2011 §5.4.1) or SGLD's
    preconditioner P. Given as None (the identity), a vector of D positive numbers (a diagonal)
    or a (D, D) matrix, kept as its Cholesky factor A = LLᵀ so that nothing is inverted."""

    def __init__(self, value, dim, caller, argument):
        self.kind, self.dim = "identity", dim
        if value is None:
            return
        value = _finite_array(value, caller, argument)
        if value.shape == (dim,):
            if not xp.all(value > 0):
                raise ValueError(f"{caller}: a diagonal {argument} must be positive, got "
                                 f"minimum {value.min()!r}")
            self.kind, self.diagonal, self.root = "diagonal", value, xp.sqrt(value)
        elif value.shape == (dim, dim):
            # rounding (a Hessian from backprop, an inverse) leaves asymmetries of ~1e-16 of
            # the largest entry; anything beyond that is a wrong matrix
            if not xp.allclose(value, value.T, rtol=1e-10, atol=1e-12 * abs(value).max()):
                raise ValueError(f"{caller}: {argument} of shape {value.shape} is not symmetric")
            try:
                self.cholesky = xp.linalg.cholesky(value)
            except xp.linalg.LinAlgError:
                raise ValueError(f"{caller}: {argument} of shape {value.shape} is not positive "
                                 "definite (its Cholesky factorisation failed)") from None
            self.kind, self.matrix = "dense", value
        else:
            raise ValueError(f"{caller}: {argument} must be None, a vector of shape ({dim},) or "
                             f"a matrix of shape ({dim}, {dim}) for init of size {dim}, got "
                             f"shape {value.shape}")

    def sample(self, rng):
        """A draw from N(0, A): L z with z ~ N(0, I)."""
        z = rng.standard_normal(self.dim)
        if self.kind == "identity":
            return z
        return self.root * z if self.kind == "diagonal" else self.cholesky @ z

    def times(self, v):
        """A v."""
        if self.kind == "identity":
            return v
        return self.diagonal * v if self.kind == "diagonal" else self.matrix @ v

    def solve(self, v):
        """A⁻¹ v, by two triangular solves with L (LLᵀ x = v), never through an inverse."""
        if self.kind == "identity":
            return v
        if self.kind == "diagonal":
            return v / self.diagonal
        return xp.linalg.solve(self.cholesky.T, xp.linalg.solve(self.cholesky, v))


def evaluate(func, position, shape, *args):
    """func(w, *args) at the flat float64 array `position` reshaped to `shape`, and its gradient
    with respect to w from the engine: (value as a float, gradient as a flat array)."""
    w = creation.tensor(position.reshape(shape), dtype=float64, requires_grad=True)
    with enable_grad():
        out = func(w, *args)
    if not out.requires_grad:   # a density that does not depend on w
        return float(out.item()), xp.zeros_like(position)
    (gradient,) = engine_grad(out, w, allow_unused=True)
    if gradient is None:
        return float(out.item()), xp.zeros_like(position)
    return float(out.item()), gradient.array.astype(float64, copy=False).reshape(-1)


def scalar(out, caller, what):
    """Check that a user function returned a scalar Tensor, naming it if not."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{caller}: {what} must return a scalar Tensor, got "
                        f"{type(out).__name__}")
    if out.numel() != 1:
        raise ValueError(f"{caller}: {what} must return a scalar Tensor (one element), got "
                         f"shape {tuple(out.shape)}")
    return out


def check_callable(func, caller, argument):
    if not callable(func):
        raise TypeError(f"{caller}: {argument} must be callable, got {type(func).__name__}")


def check_init(init, caller):
    """init as a float64 array (a copy), refused if empty or not finite."""
    array = _finite_array(init, caller, "init")
    if array.size == 0:
        raise ValueError(f"{caller}: init must have at least one element, got shape "
                         f"{array.shape}")
    return array.copy()


def check_count(value, caller, argument, minimum):
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{caller}: {argument} must be an int >= {minimum}, got {value!r}")


def check_step_size(value, caller, where=""):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
            0 < value < math.inf):
        raise ValueError(f"{caller}: step_size must be a finite number > 0{where}, got "
                         f"{value!r}")
    return float(value)


def random_state(seed, caller):
    """The array library's generator for an int seed, a chainrule.Generator or None (global)."""
    return random_generator(seed, caller)


def _finite_array(value, caller, argument):
    value = value.array if isinstance(value, Tensor) else value
    try:
        array = xp.asarray(value, dtype=float64)
    except (TypeError, ValueError):
        raise TypeError(f"{caller}: {argument} must be a Tensor or an array of numbers, got "
                        f"{type(value).__name__}") from None
    if not xp.all(xp.isfinite(array)):
        raise ValueError(f"{caller}: {argument} of shape {array.shape} must be finite (found NaN "
                         "or inf)")
    return array
