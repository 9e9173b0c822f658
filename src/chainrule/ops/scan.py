"""Cumulative ops along one dim: cumsum, cumprod, logcumsumexp, cummax / cummin, and diff
(differences of neighbours, cumsum's inverse).

Each result entry j depends on the entries 0..j; the gradient therefore sums over the entries
j >= i, a reverse cumulative sum.
"""
from collections import namedtuple

from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.compare import where
from chainrule.ops.dims import normalize_dim, tensor_argument
from chainrule.ops.index import gather, narrow
from chainrule.ops.join import cat
from chainrule.ops.shape import movedim
from chainrule.ops.unary import exp
from chainrule.tensor import Tensor

__all__ = ["cumsum", "cumprod", "logcumsumexp", "cummax", "cummin", "diff"]

# torch.return_types.cummax / .cummin: (values, indices)
RESULT_TYPES = {name: namedtuple(name, ["values", "indices"]) for name in ("cummax", "cummin")}


class Cumsum(Function):
    """y_j = Σ_{i<=j} x_i along axis (reverse: Σ_{i>=j});  dx = the cumsum of dy the other way"""
    save_inputs = False

    def forward(self, x, axis, reverse=False):
        self.axis, self.reverse = axis, reverse
        if x.ndim == 0:
            return x.copy()
        if reverse:
            return xp.flip(xp.cumsum(xp.flip(x, axis), axis), axis)
        return xp.cumsum(x, axis)

    def backward(self, grad):
        return Cumsum.apply(grad, axis=self.axis, reverse=not self.reverse)


class Cumprod(Function):
    """y_j = Π_{i<=j} x_i along axis;  dx_k = Σ_{j>=k} dy_j Π_{i<=j, i≠k} x_i"""
    save_output = True

    @xp.errstate(over="ignore")   # a product beyond the dtype's range is inf, as in torch
    def forward(self, x, axis):
        self.axis = axis
        return xp.cumprod(x, axis) if x.ndim else x.copy()

    def backward(self, grad):
        x = self.inputs[0]
        if x.ndim == 0:
            return grad
        if not xp.any(x.array == 0):  # then Π_{i<=j, i≠k} x_i = y_j / x_k
            return Cumsum.apply(grad * self.output(), axis=self.axis, reverse=True) / x
        return _cumprod_grad_with_zeros(x, grad, self.axis)


def _cumprod_grad_with_zeros(x, grad, axis):
    """The exact gradient where some x_k = 0 (y / x is 0/0 there), as PyTorch gives it: row k of
    an n x n table holds x with x_k replaced by 1, whose cumprod is Π_{i<=j, i≠k} x_i.
    O(n²) per slice, taken only when a zero is present."""
    x_last, grad_last = movedim(x, axis, -1), movedim(grad, axis, -1)
    n = x_last.shape[-1]
    others = where(Tensor._make(xp.eye(n, dtype=bool)), 1.0, x_last.unsqueeze(-2))
    products = Cumprod.apply(others, axis=others.ndim - 1)   # [..., k, j]
    later = Tensor._make(xp.triu(xp.ones((n, n), dtype=bool)))  # j >= k
    terms = where(later, products * grad_last.unsqueeze(-2), 0.0)
    # Tensor.sum, not reduce.sum: reduce.py builds prod's gradient on cumprod
    return movedim(terms.sum(-1), -1, axis)


class LogCumSumExp(Function):
    """y_j = log Σ_{i<=j} exp(x_i) along axis;  dx_i = Σ_{j>=i} dy_j exp(x_i - y_j)"""
    save_output = True

    def forward(self, x, axis):
        self.axis = axis
        return xp.logaddexp.accumulate(x, axis) if x.ndim else x.copy()

    def backward(self, grad):
        x = self.inputs[0]
        if x.ndim == 0:
            return grad
        # exp(x_i - y_j) <= 1 for j >= i: stable for any range of x, at O(n²) per slice
        x_last, y_last = movedim(x, self.axis, -1), movedim(self.output(), self.axis, -1)
        n = x_last.shape[-1]
        later = Tensor._make(xp.triu(xp.ones((n, n), dtype=bool)))  # [i, j]: j >= i
        exponent = where(later, x_last.unsqueeze(-1) - y_last.unsqueeze(-2), -float("inf"))
        terms = exp(exponent) * movedim(grad, self.axis, -1).unsqueeze(-2)
        return movedim(terms.sum(-1), -1, self.axis)


# ----- the public functions -----------------------------------------------------------------------
def _input(name, input, dim, dtype):
    tensor_argument(name, input)
    x = input if dtype is None else input.to(dtype)
    if x.array.dtype.kind in "biu":   # sums and products of integers and bools are int64
        x = Tensor._make(x.array.astype(backend.int64))
    return x, normalize_dim(name, dim, x.shape)


def cumsum(input, dim, *, dtype=None):
    """y_j = x_0 + ... + x_j along dim."""
    x, axis = _input("cumsum", input, dim, dtype)
    return Cumsum.apply(x, axis=axis)


def cumprod(input, dim, *, dtype=None):
    """y_j = x_0 * ... * x_j along dim."""
    x, axis = _input("cumprod", input, dim, dtype)
    return Cumprod.apply(x, axis=axis)


def logcumsumexp(input, dim):
    """y_j = log(exp(x_0) + ... + exp(x_j)) along dim, computed without overflow."""
    x, axis = _input("logcumsumexp", input, dim, None)
    if not backend.is_floating(x.dtype):
        raise RuntimeError(f"logcumsumexp: expected a floating-point tensor, got {input.dtype} "
                           f"(shape {input.shape})")
    return LogCumSumExp.apply(x, axis=axis)


def _running(name, input, dim, accumulate):
    tensor_argument(name, input)
    axis = normalize_dim(name, dim, input.shape)
    if input.ndim == 0:
        return RESULT_TYPES[name](input.clone(), Tensor._make(xp.zeros((), backend.int64)))
    array = input.array
    running = accumulate(array, axis)
    # a new extreme, or one equal to it, takes over the index (the later of ties, as PyTorch);
    # NaN propagates, and keeps the index where it appeared
    shape = [1] * array.ndim
    shape[axis] = array.shape[axis]
    positions = xp.arange(array.shape[axis]).reshape(shape)
    takes_over = (array == running) | xp.isnan(running) & xp.isnan(array)
    indices = xp.maximum.accumulate(xp.where(takes_over, positions, 0), axis)
    indices = indices.astype(backend.int64)
    return RESULT_TYPES[name](gather(input, axis, Tensor._make(indices)), Tensor._make(indices))


def cummax(input, dim):
    """(values, indices): the running maximum along dim, and where each was found."""
    return _running("cummax", input, dim, xp.maximum.accumulate)


def cummin(input, dim):
    """(values, indices): the running minimum along dim, and where each was found."""
    return _running("cummin", input, dim, xp.minimum.accumulate)


def diff(input, n=1, dim=-1, prepend=None, append=None):
    """y_i = x_{i+1} - x_i along dim, n times over (bools: x_{i+1} != x_i); prepend and append
    are joined on first. Differentiable through narrow and sub."""
    tensor_argument("diff", input)
    if input.ndim == 0:
        raise RuntimeError("diff: expects input to be at least one-dimensional, got a 0-d tensor")
    n = int(n)
    if n < 0:
        raise RuntimeError(f"diff: order must be non-negative but got {n}")
    axis = normalize_dim("diff", dim, input.shape)
    x = cat([t for t in (prepend, input, append) if t is not None], axis)
    for _ in range(n):
        length = x.shape[axis] - 1
        if length <= 0:
            return narrow(x, axis, 0, 0)
        later, earlier = narrow(x, axis, 1, length), narrow(x, axis, 0, length)
        x = Tensor._make(later.array != earlier.array) if x.dtype == backend.bool_ else \
            later - earlier
    return x


TENSOR_METHODS = {name: globals()[name] for name in __all__}
