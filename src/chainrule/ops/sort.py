"""Ordering: sort, argsort, msort, topk and kthvalue, and unique.

Values taken in sorted order are a gather, differentiable: each gradient goes back to the position
its value came from. Indices, counts and unique values are results outside the graph.
"""
import operator
from collections import namedtuple

from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.dims import normalize_dim
from chainrule.tensor import Tensor

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue", "unique"]

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
def _tensor(name, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    return x


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
    x = _tensor("sort", input)
    axis = normalize_dim("sort", dim, x.shape)
    indices = order(x.array, axis, descending)
    return RESULT_TYPES["sort"](_take(x, indices, axis), Tensor._make(indices))


def argsort(input, dim=-1, descending=False, stable=False):
    """The indices that sort x along dim (sort(x, dim).indices)."""
    x = _tensor("argsort", input)
    return Tensor._make(order(x.array, normalize_dim("argsort", dim, x.shape), descending))


def msort(input):
    """x sorted along dim 0: sort(x, 0).values."""
    return sort(input, 0).values


def _check_k(name, k, x, axis):
    k = operator.index(k)
    size = x.shape[axis] if x.ndim else 1
    low = 1 if name == "kthvalue" else 0
    if not low <= k <= size:
        raise RuntimeError(f"{name}: k = {k} is out of range for dim {axis} of size {size} (tensor "
                           f"of shape {x.shape}); k must be in [{low}, {size}]")
    return k


def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (smallest) entries along dim, largest first."""
    x = _tensor("topk", input)
    axis = normalize_dim("topk", dim, x.shape)
    k = _check_k("topk", k, x, axis)
    indices = order(x.array, axis, descending=largest)
    if x.ndim:
        indices = xp.ascontiguousarray(xp.take(indices, xp.arange(k), axis=axis))
    return RESULT_TYPES["topk"](_take(x, indices, axis), Tensor._make(indices))


def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices) of the k-th smallest entry along dim (k counts from 1)."""
    x = _tensor("kthvalue", input)
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
    x = _tensor("unique", input)
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


TENSOR_METHODS = {name: globals()[name] for name in __all__}
