"""Reductions over dims (None, an int or a tuple; negative allowed; keepdim as in PyTorch): sum,
mean, var, std, prod, logsumexp, the 2-norm (and p_norm, vector_norm's other orders), and all
and any. max, min and their kin are in extremum.py.

Each Function reduces `axes`, a sorted tuple; backward first puts the dims that keepdim=False
dropped back as size 1 (`unreduce`), so the gradient broadcasts over what was reduced.
"""
import math

from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.broadcast import expand
from chainrule.ops.dims import normalize_dims
from chainrule.ops.index import narrow
from chainrule.ops.join import cat, flip
from chainrule.ops.scan import cumprod
from chainrule.ops.shape import permute, reshape_to
from chainrule.ops.unary import exp
from chainrule.tensor import Tensor

__all__ = ["sum", "mean", "var", "std", "prod", "logsumexp", "norm", "all", "any"]


class Sum(Function):
    """y = Σ_axes x;  dx = dy broadcast over the reduced axes"""
    save_inputs = False

    def forward(self, x, axes, keepdim):
        self.in_shape, self.kept = x.shape, kept_shape(x.shape, axes)
        dtype = backend.int64 if x.dtype.kind in "biu" else None  # as in PyTorch: no overflow
        # no errstate (the hot path, as Mul): inf + -inf warns as in NumPy, from NumPy's frame;
        # the method, not xp.sum's Python wrapper (a third of a 1-element sum's time)
        return x.sum(axis=axes, dtype=dtype, keepdims=keepdim)

    def backward(self, grad):
        grad, _, _ = self.operands(grad)
        return expand(unreduce(grad, self.kept), self.in_shape)


class Mean(Function):
    """y = Σ_axes x / n;  dx = dy / n broadcast over the reduced axes"""
    save_inputs = False

    def forward(self, x, axes, keepdim):
        self.in_shape, self.kept = x.shape, kept_shape(x.shape, axes)
        self.count = count(x.shape, axes)
        # sum / n rather than xp.mean, which warns on an empty slice where PyTorch returns nan
        with xp.errstate(invalid="ignore"):   # 0 / 0
            return xp.asarray(xp.sum(x, axis=axes, keepdims=keepdim) / self.count)

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        if recording:
            return expand(unreduce(grad, self.kept), self.in_shape) / self.count
        # a new array, as torch's (a read-only broadcast failed in-place changes by hooks and of
        # autograd.grad's results): one pass, the division from the broadcast of the small grad
        return xp.broadcast_to(unreduce(grad, self.kept), self.in_shape) / self.count


class Var(Function):
    """y = Σ_axes (x - x̄)² / (n - correction);  dx = dy · 2(x - x̄) / (n - correction)"""

    def forward(self, x, axes, keepdim, correction, whole):
        self.axes, self.kept, self.correction = axes, kept_shape(x.shape, axes), correction
        self.whole = whole  # no dim given: PyTorch's backward differs when n <= correction
        return variance(x, axes, keepdim, correction)

    def backward(self, grad):
        return variance_grad(self, unreduce(grad, self.kept))


class Std(Var):
    """y = √var(x);  dx = dy / 2y · dvar/dx, and 0 where y = 0 (as PyTorch)"""
    save_output = True

    def forward(self, x, axes, keepdim, correction, whole):
        return xp.sqrt(super().forward(x, axes, keepdim, correction, whole))

    def backward(self, grad):
        std = unreduce(self.output(), self.kept)
        zero = Tensor._make((std.array == 0).astype(std.dtype))
        # (std + zero) is std wherever the result is kept, and never 0, so no 0/0 reaches the mask
        return variance_grad(self, unreduce(grad, self.kept) / (2 * (std + zero)) * (1 - zero))


class Prod(Function):
    """y = Π_axes x;  dx_i = dy · Π_{j≠i} x_j  (= dy · y / x_i when no x_j is 0)"""
    save_output = True

    @xp.errstate(over="ignore")   # a product beyond the dtype's range is inf, as in torch
    def forward(self, x, axes, keepdim):
        self.axes, self.kept = axes, kept_shape(x.shape, axes)
        dtype = backend.int64 if x.dtype.kind in "biu" else None
        return xp.asarray(xp.prod(x, axis=axes, keepdims=keepdim, dtype=dtype))

    def backward(self, grad):
        x, grad = self.inputs[0], unreduce(grad, self.kept)
        if x.ndim == 0:   # y = x
            return grad
        if xp.all(x.array):
            return grad * unreduce(self.output(), self.kept) / x
        # as torch: any zero in x, and the whole gradient takes the zero-safe path
        return grad * product_of_others(x, self.axes)


def product_of_others(x, axes):
    """Π_{j≠i} x_j over `axes`, for every element i, exact wherever x holds zeros (where y / x is
    0 / 0), and differentiable again at every order, whatever the number of zeros in a slice. As
    torch's prod backward: an exclusive cumprod from the front times one from the back; for [a, b, c]
    that is [1, a, ab] · [bc, c, 1] = [bc, ac, ab]. O(n) per slice (cumprod's own gradient through
    zeros, needed for the second derivative, is O(n²))."""
    kept = [d for d in range(x.ndim) if d not in axes]
    order = kept + list(axes)
    rows = permute(x, order)
    rows = reshape_to(rows, rows.shape[:len(kept)] + (-1,))    # the reduced dims last, as one
    n, last = rows.shape[-1], rows.ndim - 1
    ones = Tensor._make(xp.ones(rows.shape[:-1] + (1,), dtype=x.dtype))
    before = cumprod(cat([ones, narrow(rows, last, 0, n - 1)], last), last)
    after = flip(cumprod(cat([ones, flip(narrow(rows, last, 1, n - 1), last)], last), last), last)
    others = reshape_to(before * after, tuple(x.shape[d] for d in order))
    return permute(others, [order.index(d) for d in range(x.ndim)])


class LogSumExp(Function):
    """y = log Σ_axes exp(x), as m + log Σ exp(x - m) with m = max x;  dx = dy · exp(x - y)"""
    save_output = True

    # log(0) = -inf for an empty or all -inf slice; inf - inf = nan where x holds inf
    @xp.errstate(divide="ignore", invalid="ignore", over="ignore")
    def forward(self, x, axes, keepdim):
        self.kept = kept_shape(x.shape, axes)
        if x.size == 0:
            return xp.asarray(xp.log(xp.sum(xp.exp(x), axis=axes, keepdims=keepdim)))
        shift = xp.max(x, axis=axes, keepdims=True)
        shift = xp.where(xp.isfinite(shift), shift, 0)  # all -inf, or an inf: keep inf/-inf
        total = xp.log(xp.sum(xp.exp(x - shift), axis=axes, keepdims=True)) + shift
        return total if keepdim else total.reshape(kept_shape(x.shape, axes, keep=False))

    def backward(self, grad):
        x = self.inputs[0]
        return unreduce(grad, self.kept) * exp(x - unreduce(self.output(), self.kept))


class Norm(Function):
    """y = √Σ_axes x²;  dx = dy · x / y, and 0 where y = 0 (as PyTorch)"""
    save_output = True

    def forward(self, x, axes, keepdim):
        self.kept = kept_shape(x.shape, axes)
        with xp.errstate(over="ignore"):   # x² beyond the dtype's range is inf, as in torch
            return xp.asarray(xp.sqrt(xp.sum(x * x, axis=axes, keepdims=keepdim)))

    def backward(self, grad):
        x, norm_ = self.inputs[0], unreduce(self.output(), self.kept)
        zero = Tensor._make((norm_.array == 0).astype(x.dtype))
        return unreduce(grad, self.kept) * x / (norm_ + zero) * (1 - zero)


class PNorm(Function):
    """y = (Σ_axes |x|^p)^(1/p), p a number other than 0, 1, 2 and ±inf (linalg.vector_norm's
    other orders);  dx = dy · sgn(x) |x|^(p-1) / y^(p-1), as torch's norm_backward: 0 where y = 0,
    and for p < 1 also where x = 0 (|x|^(p-1) is inf there, and the composition gave nan)."""
    save_output = True

    @xp.errstate(divide="ignore", over="ignore")   # 0 ** p for p < 0 is inf, as in torch
    def forward(self, x, axes, keepdim, p):
        self.kept, self.p = kept_shape(x.shape, axes), p
        return xp.asarray(xp.sum(xp.abs(x) ** p, axis=axes, keepdims=keepdim) ** (1.0 / p))

    def backward(self, grad):
        x, p = self.inputs[0], self.p
        norm_, grad = unreduce(self.output(), self.kept), unreduce(grad, self.kept)
        sign = Tensor._make(xp.sign(x.array))   # no gradient: piecewise constant
        magnitude = x * sign                    # |x|, differentiable again
        if p < 1:
            # masks as constants: |x| + 1 is never 0, so no inf reaches the product
            zero = Tensor._make((x.array == 0).astype(x.dtype))
            scaled = sign * (magnitude + zero) ** (p - 1) * (1 - zero)
            return scaled * grad * norm_ ** (1 - p)
        scaled = sign * magnitude ** (p - 1) if p < 2 else x * magnitude ** (p - 2)
        empty = Tensor._make((norm_.array == 0).astype(x.dtype))
        return scaled * (grad / (norm_ + empty) ** (p - 1) * (1 - empty))


# ----- helpers ------------------------------------------------------------------------------------
def reduce_axes(name, x, dim):
    """`dim` as sorted non-negative axes; None and () mean every dim, as in PyTorch."""
    if all_dims(dim):
        return tuple(range(x.ndim))
    axes = normalize_dims(name, dim, x.shape)
    return tuple(sorted(axes)) if x.ndim else ()  # a 0-d tensor's dim 0 (or -1) is no axis


def all_dims(dim):
    return dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0)


def kept_shape(shape, axes, keep=True):
    """The result's shape: reduced axes as size 1 (keep) or dropped."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape) if keep or i not in axes)


def unreduce(grad, kept):
    """A reduced gradient with the dropped dims put back as size 1, ready to broadcast (a Tensor,
    or an array in a plain backward)."""
    if not isinstance(grad, Tensor):
        return grad.reshape(kept)
    return grad if grad.array.shape == kept else reshape_to(grad, kept)


def count(shape, axes):
    return math.prod(shape[a] for a in axes)


def variance(x, axes, keepdim, correction):
    """Σ (x - x̄)² / max(n - correction, 0), the divisor as PyTorch clamps it; 0/0 gives nan."""
    n = count(x.shape, axes)
    divisor = max(n - correction, 0)
    # x / 0 = inf and 0 / 0 = nan where n <= correction; squares beyond the range are inf
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        centered = x - xp.sum(x, axis=axes, keepdims=True) / n
        # sum / n alone is not the constant (0.7 + 0.7 + 0.7 = 2.0999999999999996, / 3 is not
        # 0.7), so std would be 1e-16 instead of 0; one more pass removes the residue's mean, and
        # a constant slice's variance is exactly 0 (Std's backward masks its gradient there)
        centered -= xp.sum(centered, axis=axes, keepdims=True) / n
        return xp.asarray(xp.sum(centered * centered, axis=axes, keepdims=keepdim) / divisor)


def center(x, axes):
    """x - x̄ over axes, differentiable, in one pass of sum / n, as torch's var backward: var's
    gradient at a constant is then torch's to the bit (sum / n's rounding residue, 1.1e-16 at
    0.7, not 0) and ±inf, not nan, where n <= correction. No second pass as in variance(): Std's
    backward masks its gradient to 0 where std is 0, so it would change only Var's, away from
    torch's."""
    return x - Mean.apply(x, axes=axes, keepdim=True)


def variance_grad(fn, grad):
    """dvar/dx for Var and Std, kept-dims grad in: 2(x - x̄) / (n - correction) · grad."""
    x = fn.inputs[0]
    centered = center(x, fn.axes)
    dof = count(x.shape, fn.axes) - fn.correction
    if dof <= 0 and fn.whole:
        # PyTorch's convention for var(x) with no degrees of freedom: inf, and nan where x = x̄;
        # given a dim, it divides by n - correction as it is (negative, or 0 -> ±inf)
        return grad * Tensor._make(xp.where(centered.array == 0, xp.nan, xp.inf).astype(x.dtype))
    return grad * centered * (2 / dof if dof else math.inf)


def floating(name, x):
    if not backend.is_floating(x.dtype):
        raise RuntimeError(f"{name}: only floating-point tensors are supported, got {x.dtype}; "
                           "pass dtype= or convert with .float()")
    return x


def cast(x, dtype):
    return x if dtype is None else x.to(dtype)


def the_correction(name, unbiased, correction):
    if unbiased is not None and correction is not None:
        raise TypeError(f"{name}: pass either unbiased or correction, not both")
    if correction is not None:
        return correction
    return 0 if unbiased is False else 1


# ----- the public functions -----------------------------------------------------------------------
def sum(input, dim=None, keepdim=False, *, dtype=None):
    x = cast(input, dtype)
    out = Sum.apply(x, axes=reduce_axes("sum", x, dim), keepdim=keepdim)
    # integers sum as int64 unless a dtype is asked for (torch: sum(dtype=int32) is int32)
    return out if dtype is None or out.dtype == x.dtype else out.to(x.dtype)


def mean(input, dim=None, keepdim=False, *, dtype=None):
    x = floating("mean", cast(input, dtype))
    return Mean.apply(x, axes=reduce_axes("mean", x, dim), keepdim=keepdim)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """var(x), var(x, unbiased), var(x, dim, unbiased, keepdim) or var(x, dim, correction=c)."""
    if isinstance(dim, bool):  # var(x, False): the positional argument is `unbiased`
        dim, unbiased = None, dim
    x = floating("var", input)
    return Var.apply(x, axes=reduce_axes("var", x, dim), keepdim=keepdim,
                     correction=the_correction("var", unbiased, correction),
                     whole=all_dims(dim) or x.ndim == 0)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """std(x), std(x, unbiased), std(x, dim, unbiased, keepdim) or std(x, dim, correction=c)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    x = floating("std", input)
    return Std.apply(x, axes=reduce_axes("std", x, dim), keepdim=keepdim,
                     correction=the_correction("std", unbiased, correction),
                     whole=all_dims(dim) or x.ndim == 0)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    x = cast(input, dtype)
    return Prod.apply(x, axes=reduce_axes("prod", x, dim), keepdim=keepdim)


def logsumexp(input, dim, keepdim=False):
    x = input if backend.is_floating(input.dtype) else input.to(backend.default_float)
    return LogSumExp.apply(x, axes=reduce_axes("logsumexp", x, dim), keepdim=keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The 2-norm (p=2 or 'fro') over dim, or over every element."""
    if p not in ("fro", 2):
        raise NotImplementedError(f"norm: only p=2 (or 'fro') is implemented, got p={p!r}")
    x = floating("norm", cast(input, dtype))
    return Norm.apply(x, axes=reduce_axes("norm", x, dim), keepdim=keepdim)


def p_norm(x, p, dim=None, keepdim=False):
    """(Σ |x|^p)^(1/p) over dim (every dim if None), for vector_norm's orders other than
    0, 1, 2 and ±inf."""
    x = floating("linalg.vector_norm", x)
    return PNorm.apply(x, axes=reduce_axes("linalg.vector_norm", x, dim), keepdim=keepdim, p=p)


def all(input, dim=None, keepdim=False):
    """True where every element along dim is nonzero (a bool tensor; no gradient)."""
    axes = reduce_axes("all", input, dim)
    return Tensor._make(xp.all(input.array, axis=axes, keepdims=keepdim))


def any(input, dim=None, keepdim=False):
    """True where some element along dim is nonzero (a bool tensor; no gradient)."""
    axes = reduce_axes("any", input, dim)
    return Tensor._make(xp.any(input.array, axis=axes, keepdims=keepdim))


TENSOR_METHODS = {name: globals()[name] for name in __all__}
