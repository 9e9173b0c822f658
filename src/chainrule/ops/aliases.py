"""torch's other spellings and small companions of the primitive ops: absolute, negative, positive,
subtract, multiply, divide and div with rounding_mode, rsub, fmax/fmin (NaN-ignoring), signbit,
mv, addr, ger, vdot, ravel, moveaxis, conj/resolve_conj/resolve_neg (real tensors), narrow_copy,
sum_to_size, select_scatter, slice_scatter, diagonal_scatter, trapezoid,
trapz and cumulative_trapezoid. Compositions of primitive ops: they differentiate through them.
"""
import operator

from chainrule.backend import xp
from chainrule.ops.broadcast import sum_to
from chainrule.ops.compare import where
from chainrule.ops.dims import normalize_dim, tensor_argument
from chainrule.ops.dtypes import operands
from chainrule.ops.elementwise import div as true_div, mul, sub
from chainrule.ops.index import index_put, narrow
from chainrule.ops.linalg import matmul, outer
from chainrule.ops.rounding import floor_divide, trunc_divide
from chainrule.ops.scan import cumsum
from chainrule.ops.shape import movedim, reshape_to
from chainrule.tensor import Tensor

__all__ = ["absolute", "negative", "positive", "subtract", "multiply", "divide", "div", "rsub",
           "fmax", "fmin", "signbit", "mv", "addr", "ger", "vdot", "ravel", "moveaxis", "conj",
           "resolve_conj", "resolve_neg", "narrow_copy",
           "select_scatter", "slice_scatter", "diagonal_scatter", "trapezoid", "trapz",
           "cumulative_trapezoid"]


def absolute(input):
    """|x| (abs)."""
    return tensor_argument("absolute", input).abs()


def negative(input):
    """-x (neg)."""
    return -tensor_argument("negative", input)


def positive(input):
    """x itself (torch returns the same tensor)."""
    x = tensor_argument("positive", input)
    if x.array.dtype.kind == "b":
        raise RuntimeError("positive: not supported for a bool tensor, as in torch")
    return x


def subtract(input, other, *, alpha=1):
    """a - alpha * b (sub)."""
    return sub(input, other, alpha)


def multiply(input, other):
    """a * b (mul)."""
    return mul(input, other)


def div(input, other, *, rounding_mode=None):
    """a / b; rounding_mode "trunc" rounds towards zero, "floor" down (integers stay integers)."""
    if rounding_mode is None:
        return true_div(input, other)
    if rounding_mode == "floor":
        return floor_divide(input, other)
    if rounding_mode != "trunc":
        raise ValueError(f"div: expected rounding_mode to be one of None, 'trunc' or 'floor', "
                         f"got {rounding_mode!r}")
    a, b = operands("div", input, other)
    if a.array.dtype.kind in "fc":
        return trunc_divide(a, b)
    floored = floor_divide(a, b).array
    # floor rounds a negative inexact quotient down; truncation wants it one higher
    inexact = (floored * b.array != a.array) & ((a.array < 0) != (b.array < 0))
    return Tensor._make((floored + inexact).astype(floored.dtype, copy=False))


divide = div


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    return sub(other, input, alpha)


def _nan_ignoring(name, pick, input, other):
    a, b = operands(name, tensor_argument(name, input), other)
    a_nan, b_nan = xp.isnan(a.array), xp.isnan(b.array)
    choose_a = Tensor._make(~a_nan & (b_nan | pick(a.array, b.array)))
    return where(choose_a, a, b)


def fmax(input, other):
    """max(a, b), ignoring a NaN on either side (NaN only if both are)."""
    return _nan_ignoring("fmax", lambda a, b: a >= b, input, other)


def fmin(input, other):
    """min(a, b), ignoring a NaN on either side (NaN only if both are)."""
    return _nan_ignoring("fmin", lambda a, b: a <= b, input, other)


def signbit(input):
    """True where the sign bit is set (negative numbers and -0.0)."""
    return Tensor._make(xp.signbit(tensor_argument("signbit", input).array))


def mv(input, vec):
    """A matrix times a vector."""
    a, v = tensor_argument("mv", input), tensor_argument("mv", vec, "vec")
    if a.ndim != 2 or v.ndim != 1 or a.shape[1] != v.shape[0]:
        raise RuntimeError(f"mv: expected a matrix and a vector of matching sizes, got shapes "
                           f"{a.shape} and {v.shape}")
    return matmul(a, v)


def addr(input, vec1, vec2, *, beta=1, alpha=1):
    """beta * input + alpha * outer(vec1, vec2)."""
    product = outer(tensor_argument("addr", vec1, "vec1"), tensor_argument("addr", vec2, "vec2"))
    product = product if alpha == 1 else alpha * product
    return product if beta == 0 else product + (input if beta == 1 else beta * input)


def ger(input, vec2):
    """outer(a, b) (torch's older name)."""
    return outer(input, vec2)


def vdot(input, other):
    """sum(conj(a) * b) of two 1-D tensors; dot for real ones."""
    a, b = tensor_argument("vdot", input), tensor_argument("vdot", other, "other")
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise RuntimeError(f"vdot: expected two 1-D tensors of one size, got shapes {a.shape} "
                           f"and {b.shape}")
    return (a * b).sum()


def ravel(input):
    """x flattened to 1-D (a view where possible)."""
    x = tensor_argument("ravel", input)
    return reshape_to(x, (x.numel(),))


def moveaxis(input, source, destination):
    """movedim, NumPy's name."""
    return movedim(input, source, destination)


def conj(input):
    """The complex conjugate: x itself for real tensors."""
    return tensor_argument("conj", input)


resolve_conj = resolve_neg = conj


def narrow_copy(input, dim, start, length):
    """narrow, as a copy."""
    return narrow(tensor_argument("narrow_copy", input), dim, start, length).clone()


def sum_to_size(input, *size):
    """x summed over the dims it was broadcast along, down to size."""
    size = tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
    x = tensor_argument("sum_to_size", input)
    try:
        if xp.broadcast_shapes(tuple(size), x.shape) != x.shape:
            raise ValueError
    except ValueError:
        raise RuntimeError(f"sum_to_size: size {tuple(size)} is not expandable to the tensor's "
                           f"shape {x.shape}") from None
    return sum_to(x, tuple(size))


# ----- writing a slice into a copy ----------------------------------------------------------------
def _scatter_into(name, x, index, src, expected):
    src = tensor_argument(name, src, "src")
    if tuple(src.shape) != tuple(expected):
        raise RuntimeError(f"{name}: expected src to have shape {tuple(expected)} (tensor of "
                           f"shape {x.shape}), got {src.shape}")
    return index_put(x, index, src.to(x.dtype) if src.dtype != x.dtype else src)


def select_scatter(input, src, dim, index):
    """x with x.select(dim, index) replaced by src."""
    x = tensor_argument("select_scatter", input)
    dim = normalize_dim("select_scatter", dim, x.shape)
    index = operator.index(index)
    if not -x.shape[dim] <= index < x.shape[dim]:
        raise IndexError(f"select_scatter: index {index} is out of range for dim {dim} of size "
                         f"{x.shape[dim]}")
    expected = x.shape[:dim] + x.shape[dim + 1:]
    return _scatter_into("select_scatter", x, (slice(None),) * dim + (index,), src, expected)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """x with x[..., start:end:step, ...] (along dim) replaced by src."""
    x = tensor_argument("slice_scatter", input)
    dim = normalize_dim("slice_scatter", dim, x.shape)
    cut = slice(start, end, step)
    expected = x.array[(slice(None),) * dim + (cut,)].shape
    return _scatter_into("slice_scatter", x, (slice(None),) * dim + (cut,), src, expected)


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """x with its diagonal (offset, dim1, dim2) replaced by src."""
    x = tensor_argument("diagonal_scatter", input)
    positions = xp.arange(x.array.size).reshape(x.shape)
    picked = xp.diagonal(positions, offset, normalize_dim("diagonal_scatter", dim1, x.shape),
                         normalize_dim("diagonal_scatter", dim2, x.shape))
    index = xp.unravel_index(picked, x.shape)
    return _scatter_into("diagonal_scatter", x, index, src, picked.shape)


# ----- integrals ----------------------------------------------------------------------------------
def _trapezoids(name, y, x, dx, dim):
    y = tensor_argument(name, y, "y")
    dim = normalize_dim(name, dim, y.shape)
    n = y.shape[dim]
    upper, lower = narrow(y, dim, 1, max(n - 1, 0)), narrow(y, dim, 0, max(n - 1, 0))
    heights = (upper + lower) / 2
    if x is None:
        return heights * dx
    widths = x.diff(dim=-1 if x.ndim == 1 else dim)
    if x.ndim == 1:
        shape = [1] * y.ndim
        shape[dim] = max(n - 1, 0)
        widths = reshape_to(widths, tuple(shape))
    return heights * widths


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoidal rule along dim: sum of (y[i] + y[i+1]) / 2 * (x[i+1] - x[i]), or * dx."""
    if not isinstance(x, Tensor) and x is not None:
        x, dx = None, x    # trapezoid(y, dx) given by position
    return _trapezoids("trapezoid", y, x, 1 if dx is None else dx, dim).sum(dim)


trapz = trapezoid


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoidal rule along dim (one entry fewer than y)."""
    if not isinstance(x, Tensor) and x is not None:
        x, dx = None, x
    pieces = _trapezoids("cumulative_trapezoid", y, x, 1 if dx is None else dx, dim)
    return cumsum(pieces, normalize_dim("cumulative_trapezoid", dim, y.shape))


# logit, xlogy, sinc and mvlgamma, as Tensor methods: bound by chainrule.special, which defines them
TENSOR_METHODS = {name: globals()[name] for name in __all__ if name not in (
    "trapezoid", "trapz", "cumulative_trapezoid")}
TENSOR_METHODS.update(sum_to_size=sum_to_size)
