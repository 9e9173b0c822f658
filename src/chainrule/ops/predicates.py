"""torch's long names of the comparisons (greater, less_equal, not_equal ...) and the small
predicates and index helpers: isposinf, isneginf, isreal, isin, is_signed, is_same_size,
nextafter, unravel_index, diagflat and detach as a function. Comparisons and predicates give
bool tensors and no gradient; diagflat differentiates through diag.
"""
import operator

from chainrule import backend
from chainrule.backend import xp
from chainrule.ops.compare import ge, gt, le, lt, ne
from chainrule.ops.diagonal import diag
from chainrule.ops.dtypes import operands
from chainrule.ops.dims import tensor_argument
from chainrule.tensor import Tensor

__all__ = ["greater", "greater_equal", "less", "less_equal", "not_equal", "isposinf", "isneginf",
           "isreal", "is_same_size", "nextafter", "unravel_index", "diagflat", "detach", "isin"]

greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne


def isposinf(input):
    """True where x is +inf."""
    return Tensor._make(xp.asarray(xp.isposinf(tensor_argument("isposinf", input).array)))


def isneginf(input):
    """True where x is -inf."""
    return Tensor._make(xp.asarray(xp.isneginf(tensor_argument("isneginf", input).array)))


def isreal(input):
    """True where x has no imaginary part: everywhere, for a real tensor."""
    x = tensor_argument("isreal", input)
    return Tensor._make(xp.asarray(xp.isreal(x.array)))


def is_signed(input):
    """Whether the dtype holds negative numbers (not bool and not uint8)."""
    return tensor_argument("is_signed", input).array.dtype.kind in "fic"


def is_same_size(input, other):
    """Whether the two tensors have the same shape."""
    a = tensor_argument("is_same_size", input)
    return a.shape == tensor_argument("is_same_size", other, "other").shape


def nextafter(input, other):
    """The next representable number after a towards b, in a's dtype."""
    a, b = operands("nextafter", tensor_argument("nextafter", input), other)
    if a.array.dtype.kind != "f":
        raise RuntimeError(f"nextafter: only floating-point tensors are supported, got {a.dtype}")
    return Tensor._make(xp.asarray(xp.nextafter(a.array, b.array)))


def unravel_index(indices, shape):
    """The coordinates of flat indices in a tensor of `shape`: a tuple of int64 tensors, one per
    dim, each of indices' shape."""
    array = indices.array if isinstance(indices, Tensor) else xp.asarray(indices)
    if array.dtype.kind not in "iu":
        raise TypeError(f"unravel_index: expected 'indices' to be an integer tensor, got "
                        f"{array.dtype}")
    shape = (operator.index(shape),) if not isinstance(shape, (tuple, list)) else tuple(shape)
    size = 1
    for n in shape:
        size *= n
    if array.size and (array.min() < -size or array.max() >= size):
        raise RuntimeError(f"unravel_index: index out of bounds for shape {shape} ({size} "
                           f"elements)")
    coords = xp.unravel_index(array % max(size, 1), shape)
    return tuple(Tensor._make(xp.asarray(c, dtype=backend.int64)) for c in coords)


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """True where an entry of elements is among test_elements (bool, not differentiable)."""
    a = elements.array if isinstance(elements, Tensor) else xp.asarray(elements)
    b = test_elements.array if isinstance(test_elements, Tensor) else xp.asarray(test_elements)
    return Tensor._make(xp.asarray(xp.isin(a, b, invert=invert)))


def diagflat(input, offset=0):
    """A square matrix with x flattened on diagonal `offset`, zeros elsewhere."""
    x = tensor_argument("diagflat", input)
    return diag(x.reshape(-1), offset)


def detach(input):
    """x.detach(): the same values, cut from the graph."""
    return tensor_argument("detach", input).detach()


TENSOR_METHODS = {"greater": gt, "greater_equal": ge, "less": lt, "less_equal": le,
                  "not_equal": ne, "isposinf": isposinf, "isneginf": isneginf, "isreal": isreal,
                  "is_signed": is_signed, "is_same_size": is_same_size, "nextafter": nextafter,
                  "diagflat": diagflat, "isin": isin}
