"""Geometry of vectors and pairs of tensors: atan2, hypot, lerp, cross, cdist and dist,
tensordot, inner and kron.

atan2 and hypot are Functions, and cdist's and dist's p-norm is reduce's (linalg.vector_norm's);
the rest are compositions of other ops, so they differentiate (twice) through those.
"""
import operator
import warnings

from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.broadcast import binary, broadcast_to, sum_to
from chainrule.ops.compare import where
from chainrule.ops.dtypes import operands
from chainrule.ops.extremum import amax
from chainrule.ops.join import roll
from chainrule.ops.linalg import einsum
from chainrule.ops.reduce import PNorm, norm
from chainrule.ops.reduce import sum as reduce_sum
from chainrule.ops.shape import reshape
from chainrule.ops.unary import Mask, abs
from chainrule.tensor import Tensor

__all__ = ["atan2", "arctan2", "hypot", "lerp", "cross", "cdist", "dist", "tensordot", "inner",
           "kron"]


class Atan2(Function):
    """y = atan2(a, b), the angle of the point (b, a);
    da = dy b / (a² + b²),  db = -dy a / (a² + b²), both 0 at the origin (as torch's)"""

    def forward(self, a, b):
        return binary(xp.arctan2, "atan2", a, b)

    def backward(self, grad):
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        squared = a * a + b * b
        recip = 1 / squared
        origin = squared.array == 0
        if origin.any():   # torch's: 1 / (a² + b²) taken as 0 at the origin (NaN beyond)
            zero = Tensor._make(xp.zeros((), recip.array.dtype))
            recip = where(Tensor._make(origin), zero, recip)
        return (sum_to(grad * b * recip, a.shape) if need_a else None,
                sum_to(-grad * a * recip, b.shape) if need_b else None)


class Hypot(Function):
    """y = √(a² + b²);  da = dy a / y,  db = dy b / y (NaN at the origin, as PyTorch)"""
    save_output = True

    def forward(self, a, b):
        return binary(xp.hypot, "hypot", a, b)

    def backward(self, grad):
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        scaled = grad / self.output()
        return (sum_to(scaled * a, a.shape) if need_a else None,
                sum_to(scaled * b, b.shape) if need_b else None)


def _floats(name, a, b):
    a, b = operands(name, a, b)
    if not backend.is_floating(a.dtype):  # float-valued: integers and bools become float32
        a, b = a.to(backend.default_float), b.to(backend.default_float)
    return a, b


def atan2(input, other):
    """The angle of the point (other, input) in (-π, π]: atan(input / other) in its quadrant."""
    return Atan2.apply(*_floats("atan2", input, other))


arctan2 = atan2


def hypot(input, other):
    """√(input² + other²), without overflow for large values."""
    for x in (input, other):
        if isinstance(x, Tensor) and not backend.is_floating(x.dtype):
            raise RuntimeError(f"hypot: expected floating-point tensors, got {x.dtype} "
                               f"(shape {x.shape})")
    return Hypot.apply(*operands("hypot", input, other))


def lerp(input, end, weight):
    """input + weight (end - input), written as end - (end - input)(1 - weight) where weight >= 0.5
    (as PyTorch, exact at weight = 1)."""
    if not isinstance(input, Tensor) or not isinstance(end, Tensor):
        raise TypeError(f"lerp: expected Tensors for input and end, got {type(input).__name__} "
                        f"and {type(end).__name__}")
    if input.dtype != end.dtype or (isinstance(weight, Tensor) and weight.dtype != input.dtype):
        got = weight.dtype if isinstance(weight, Tensor) else type(weight).__name__
        raise RuntimeError(f"lerp: expected input, end and weight of one dtype, got {input.dtype}, "
                           f"{end.dtype} and {got}")
    shapes = [input.shape, end.shape] + ([weight.shape] if isinstance(weight, Tensor) else [])
    try:
        xp.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(f"lerp: the shapes of input, end and weight do not broadcast: "
                           f"{', '.join(map(str, shapes))}") from None
    difference = end - input
    if not isinstance(weight, Tensor):
        weight = float(weight)
        if -0.5 < weight < 0.5:
            return input + difference * weight
        return end - difference * (1 - weight)
    small = Tensor._make(xp.abs(weight.array) < 0.5)
    return where(small, input + difference * weight, end - difference * (1 - weight))


def cross(input, other, dim=None):
    """The cross product of 3-vectors along dim (both operands broadcast); without dim, along the
    first dim of size 3, which PyTorch deprecates."""
    a, b = operands("cross", input, other)
    if a.ndim != b.ndim:
        raise RuntimeError(f"cross: inputs must have the same number of dims, got shapes "
                           f"{a.shape} and {b.shape}")
    try:
        shape = xp.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(f"cross: shapes {a.shape} and {b.shape} cannot be broadcast "
                           "together") from None
    if dim is None:
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated. Please "
                      "either pass the dim explicitly or simply use torch.linalg.cross.",
                      UserWarning, stacklevel=2)
        dim = next((d for d, size in enumerate(shape) if size == 3), None)
        if dim is None:
            raise RuntimeError(f"cross: no dim of size 3 in shapes {a.shape} and {b.shape}")
    dim = operator.index(dim)
    if not -len(shape) <= dim < len(shape) or shape[dim] != 3:
        raise RuntimeError(f"cross: dim {dim} of shapes {a.shape} and {b.shape} must exist and "
                           "have size 3")
    a, b = broadcast_to(a, shape), broadcast_to(b, shape)
    # (a × b)_i = a_{i+1} b_{i+2} - a_{i+2} b_{i+1}, indices mod 3
    return roll(a, -1, dim) * roll(b, -2, dim) - roll(a, -2, dim) * roll(b, -1, dim)


def cdist(x1, x2, p=2.0, compute_mode=None):
    """d[..., i, j] = ‖x1[..., i, :] - x2[..., j, :]‖_p, for p >= 0 or inf; batch dims
    broadcast."""
    for x in (x1, x2):
        if not isinstance(x, Tensor):
            raise TypeError(f"cdist: expected Tensors, got {type(x).__name__}")
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist: expected x1 (..., P, M) and x2 (..., R, M) with the same M, "
                           f"got shapes {x1.shape} and {x2.shape}")
    if not backend.is_floating(x1.dtype) or x1.dtype != x2.dtype:
        raise RuntimeError(f"cdist: expected floating-point tensors of one dtype, got {x1.dtype} "
                           f"and {x2.dtype}")
    p = float(p)
    if not p >= 0:
        raise RuntimeError(f"cdist: p must be non-negative (or inf), got {p}")
    return _p_norm(x1.unsqueeze(-2) - x2.unsqueeze(-3), p)  # (..., P, R, M) -> (..., P, R)


def _p_norm(difference, p):
    """‖difference‖_p over its last dim."""
    if p == 2:
        return norm(difference, dim=-1)
    if p == float("inf"):
        return amax(abs(difference), -1)
    if p == 0:  # how many coordinates differ: piecewise constant, its gradient is 0
        return reduce_sum(Mask.apply(difference, mask=difference.array != 0), -1)
    # reduce's p-norm, linalg.vector_norm's: torch's cdist and dist give its gradient, 0 at a 0
    # coordinate for p < 1 (|d|^(p-1) is inf there)
    return PNorm.apply(difference, axes=(difference.ndim - 1,), keepdim=False, p=p)


def dist(input, other, p=2):
    """‖input - other‖_p over all the elements of the broadcast difference (a 0-d tensor)."""
    a, b = operands("dist", input, other)
    if not backend.is_floating(a.dtype):
        raise RuntimeError(f"dist: expected floating-point tensors, got {a.dtype} (shapes "
                           f"{a.shape} and {b.shape})")
    p = float(p)
    if not p >= 0:
        raise RuntimeError(f"dist: p must be non-negative (or inf), got {p}")
    try:
        xp.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise RuntimeError(f"dist: the shapes {a.shape} and {b.shape} do not broadcast") from None
    return _p_norm(reshape(a - b, (-1,)), p)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def tensordot(a, b, dims=2):
    """Σ over the paired dims of a and b: dims=n pairs a's last n with b's first n; dims=([..],
    [..]) names them."""
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a.dtype != b.dtype:
        raise RuntimeError(f"tensordot: both inputs should have the same dtype, got {a.dtype} and "
                           f"{b.dtype} (shapes {a.shape} and {b.shape})")
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if not 0 <= dims <= min(a.ndim, b.ndim):
            raise RuntimeError(f"tensordot: dims={dims} must be in [0, {min(a.ndim, b.ndim)}] "
                               f"for shapes {a.shape} and {b.shape}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError(f"tensordot: both operands need as many contracted dims, got "
                           f"{dims_a} and {dims_b}")
    dims_a = [d % a.ndim for d in dims_a]
    dims_b = [d % b.ndim for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            raise RuntimeError(f"tensordot: dim {da} of shape {a.shape} and dim {db} of shape "
                               f"{b.shape} differ in size ({a.shape[da]} != {b.shape[db]})")
    letters_a = list(_LETTERS[:a.ndim])
    letters_b = list(_LETTERS[a.ndim:a.ndim + b.ndim])
    for da, db in zip(dims_a, dims_b):
        letters_b[db] = letters_a[da]
    kept = [letters_a[d] for d in range(a.ndim) if d not in dims_a]
    kept += [letters_b[d] for d in range(b.ndim) if d not in dims_b]
    return einsum(f"{''.join(letters_a)},{''.join(letters_b)}->{''.join(kept)}", a, b)


def inner(input, other):
    """Σ over the last dim of both: inner(a, b)[i.., j..] = Σ_k a[i.., k] b[j.., k]; a 0-d
    operand multiplies."""
    if input.ndim == 0 or other.ndim == 0:
        return input * other
    return tensordot(input, other, ([-1], [-1]))


def kron(input, other):
    """The Kronecker product: block (i, j, ...) is input[i, j, ...] * other."""
    a, b = operands("kron", input, other)
    ndim = max(a.ndim, b.ndim)
    a_shape = (1,) * (ndim - a.ndim) + a.shape
    b_shape = (1,) * (ndim - b.ndim) + b.shape
    # a as (a1, 1, a2, 1, ...) times b as (1, b1, 1, b2, ...), then each pair of dims merged
    spread_a = reshape(a, tuple(size for n in a_shape for size in (n, 1)))
    spread_b = reshape(b, tuple(size for n in b_shape for size in (1, n)))
    return reshape(spread_a * spread_b, tuple(m * n for m, n in zip(a_shape, b_shape)))


TENSOR_METHODS = {"atan2": atan2, "arctan2": arctan2, "hypot": hypot, "lerp": lerp,
                  "cross": cross, "dist": dist, "inner": inner, "kron": kron}
