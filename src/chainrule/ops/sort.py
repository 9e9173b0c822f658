"""Ordering: sort, argsort, msort, topk and kthvalue, unique, and searchsorted and bucketize.

Values taken in sorted order are a gather, differentiable: each gradient goes back to the position
its value came from. Indices, counts and unique values are results outside the graph.
"""
import operator
from collections import namedtuple

from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.dims import normalize_dim, tensor_argument
from chainrule.tensor import Tensor

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "unique", "searchsorted", "bucketize"]

# torch.return_types.sort / .topk / .kthvalue: (values, indices), readable by name or by position
RESULT_TYPES = {name: namedtuple(name, ["values", "indices"])
                for name in ("sort", "topk", "kthvalue")}


class TakeAlongDim(Function):
    """y = x at `indices` along an axis (a gather);  dx = zeros with dy put back at those indices"""
    save_inputs = False

    def forward(self, x, indices, axis):
        self.in_shape, self.indices, self.axis = x.shape, indices, axis
        if x.ndim == 0:  # a 0-d tensor has one element, at index 0
            return x.copy()
        return xp.take_along_axis(x, indices, axis)

    def backward(self, grad):
        return PutAlongDim.apply(grad, indices=self.indices, axis=self.axis, shape=self.in_shape)


class PutAlongDim(Function):
    """y = zeros(shape) with x put at `indices` along an axis (no index repeats);  dx = dy there"""
    save_inputs = False

    def forward(self, x, indices, axis, shape):
        self.indices, self.axis = indices, axis
        if not shape:
            return x.copy()
        out = xp.zeros(shape, x.dtype)
        xp.put_along_axis(out, indices, x, axis)
        return out

    def backward(self, grad):
        return TakeAlongDim.apply(grad, indices=self.indices, axis=self.axis)


# ----- the order itself ---------------------------------------------------------------------------
def order(array, axis, descending):
    """The stable sorting permutation along axis (int64); NaN counts as the largest value, as in
    PyTorch. Descending keeps equal values in their original order too: sort the reversed array
    ascending, read it backwards, and map the positions back."""
    if array.ndim == 0:
        return xp.zeros((), backend.int64)
    if not descending:
        return xp.argsort(array, axis=axis, kind="stable").astype(backend.int64, copy=False)
    backwards = xp.flip(xp.argsort(xp.flip(array, axis), axis=axis, kind="stable"), axis)
    return (array.shape[axis] - 1 - backwards).astype(backend.int64, copy=False)


def _take(x, indices, axis):
    """The values of x at indices along axis, as a differentiable Tensor."""
    return TakeAlongDim.apply(x, indices=indices, axis=axis)


# ----- the public functions -----------------------------------------------------------------------
def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices): x sorted along dim; equal values keep their order (stable or not)."""
    x = tensor_argument("sort", input)
    axis = normalize_dim("sort", dim, x.shape)
    indices = order(x.array, axis, descending)
    return RESULT_TYPES["sort"](_take(x, indices, axis), Tensor._make(indices))


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort x along dim (sort(x, dim).indices)."""
    x = tensor_argument("argsort", input)
    return Tensor._make(order(x.array, normalize_dim("argsort", dim, x.shape), descending))


def msort(input):
    """x sorted along dim 0: sort(x, 0).values."""
    return sort(input, 0).values


def _check_k(name, k, x, axis):
    try:
        k = operator.index(k)
    except TypeError:
        raise TypeError(f"{name}: k must be an int, got {k!r}") from None
    size = x.shape[axis] if x.ndim else 1
    low = 1 if name == "kthvalue" else 0
    if not low <= k <= size:
        raise RuntimeError(f"{name}: k = {k} is out of range for dim {axis} of size {size} (tensor "
                           f"of shape {x.shape}); k must be in [{low}, {size}]")
    return k


def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (smallest) entries along dim, largest first."""
    x = tensor_argument("topk", input)
    axis = normalize_dim("topk", dim, x.shape)
    k = _check_k("topk", k, x, axis)
    indices = order(x.array, axis, descending=largest)
    if x.ndim:
        indices = xp.ascontiguousarray(xp.take(indices, xp.arange(k), axis=axis))
    return RESULT_TYPES["topk"](_take(x, indices, axis), Tensor._make(indices))


def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest entry along dim (k counts from 1)."""
    x = tensor_argument("kthvalue", input)
    axis = normalize_dim("kthvalue", dim, x.shape)
    k = _check_k("kthvalue", k, x, axis)
    indices = order(x.array, axis, descending=False)
    if x.ndim:
        indices = xp.take(indices, [k - 1], axis=axis)  # keeps the dim, of size 1
    values = _take(x, indices, axis)
    if not keepdim and x.ndim:
        indices = indices.squeeze(axis)
        values = values.squeeze(axis)
    return RESULT_TYPES["kthvalue"](values, Tensor._make(indices))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values of x, ascending (of x flattened, or the distinct slices along dim);
    with return_inverse, where each entry of x went; with return_counts, how often each appears.
    Not differentiable (nor is PyTorch's)."""
    x = tensor_argument("unique", input)
    if dim is None:
        values, inverse, counts = xp.unique(x.array.reshape(-1), return_inverse=True,
                                            return_counts=True)
        inverse = inverse.reshape(x.shape)
    else:
        axis = normalize_dim("unique", dim, x.shape)
        if x.ndim == 0:
            raise IndexError(f"unique: dim {dim} given for a 0-d tensor; use dim=None")
        values, inverse, counts = xp.unique(x.array, return_inverse=True, return_counts=True,
                                            axis=axis)
        inverse = inverse.reshape(-1)
    results = [Tensor._make(values)]
    if return_inverse:
        results.append(Tensor._make(inverse.astype(backend.int64)))
    if return_counts:
        results.append(Tensor._make(counts.astype(backend.int64)))
    return tuple(results) if len(results) > 1 else results[0]


# ----- searching a sorted sequence: int64 positions, no gradient ----------------------------------
def _search_side(name, right, side):
    if side is None:
        return "right" if right else "left"
    if side not in ("left", "right"):
        raise RuntimeError(f"{name}: side must be 'left' or 'right', got {side!r}")
    if right and side == "left":
        raise RuntimeError(f"{name}: side and right can't be set to opposites, got side of left "
                           "while right was True")
    return side


def _positions(sequence, values, side):
    """np.searchsorted along the last dim, row by row when the sequence has leading dims."""
    if sequence.ndim == 1:
        return xp.searchsorted(sequence, values, side=side)
    rows = sequence.reshape(-1, sequence.shape[-1])
    found = [xp.searchsorted(row, value_row, side=side)
             for row, value_row in zip(rows, values.reshape(len(rows), -1))]
    return xp.stack(found).reshape(values.shape) if found else xp.zeros(values.shape, xp.intp)


def searchsorted(sorted_sequence, values, *, out_int32=False, right=False, side=None, out=None,
                 sorter=None):
    """For each value, the index at which inserting it keeps sorted_sequence sorted along its
    last dim: the first such index (side='left'), or the last (right=True, side='right'). A
    sequence with leading dims searches each row for the matching row of values."""
    sequence = tensor_argument("searchsorted", sorted_sequence)
    side = _search_side("searchsorted", right, side)
    scalar = not isinstance(values, Tensor)
    value_array = xp.asarray(values if scalar else values.array)
    if sequence.ndim == 0 or (sequence.ndim > 1 and (value_array.ndim != sequence.ndim or
                                                    value_array.shape[:-1] != sequence.shape[:-1])):
        raise RuntimeError(f"searchsorted: boundaries should be 1-D, or its leading dims should "
                           f"match the values' leading dims, got boundaries of shape "
                           f"{sequence.shape} and values of shape {tuple(value_array.shape)}")
    array = sequence.array
    if sorter is not None:
        array = xp.take_along_axis(array, tensor_argument("searchsorted", sorter).array, -1)
    positions = _positions(array, value_array, side)
    dtype = backend.int32 if out_int32 else backend.int64
    return Tensor._make(xp.asarray(positions).astype(dtype))


def bucketize(input, boundaries, *, out_int32=False, right=False, out=None):
    """The bucket of each entry of input among 1-D ascending boundaries: i such that
    boundaries[i-1] < x <= boundaries[i] (right=True: boundaries[i-1] <= x < boundaries[i])."""
    boundaries = tensor_argument("bucketize", boundaries)
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries tensor must be 1-D, got shape "
                           f"{boundaries.shape}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# torch.Tensor has no searchsorted or bucketize method
TENSOR_METHODS = {name: globals()[name] for name in __all__
                  if name not in ("searchsorted", "bucketize")}
