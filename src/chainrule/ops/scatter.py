"""Scatters and selections built on indexing: scatter (a src tensor or a value), scatter_reduce
(sum, prod, mean, amax, amin; include_self), index_copy, index_fill, put, masked_select,
masked_scatter, take, take_along_dim and index_reduce.

All are compositions of the indexing primitives (IndexPut, Index, IndexScatter), so their
gradients are those of torch: a scattered-over entry of the input gets no gradient, a written
entry of src gets the output's gradient there.
"""
import operator

from chainrule import backend
from chainrule.backend import xp
from chainrule.ops.broadcast import expand
from chainrule.ops.dims import normalize_dim, tensor_argument
from chainrule.ops.index import (_check_range, _grid, _index_array, _value, index_put,
                                 scatter_add, take as take_index)
from chainrule.tensor import Tensor

__all__ = ["scatter", "scatter_reduce", "index_copy", "index_fill", "index_reduce", "put",
           "masked_select", "masked_scatter", "take", "take_along_dim"]

_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


def _src(name, src, index, x):
    """src cut to index's shape (torch reads only that corner of it), in x's dtype."""
    if src.dtype != x.dtype:
        raise RuntimeError(f"{name}: src ({src.dtype}) must have the tensor's dtype ({x.dtype})")
    if src.shape == index.shape:
        return src
    if src.ndim != index.ndim or any(n > s for n, s in zip(index.shape, src.shape)):
        raise RuntimeError(f"{name}: index shape {index.shape} is larger than src shape "
                           f"{src.shape}")
    return take_index(src, tuple(slice(0, n) for n in index.shape))


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    """x with x[index[i][j]][j] = src[i][j] for dim 0 (src a tensor or a number), and likewise
    for the other dims; reduce="add" or "multiply" combines instead of writing."""
    x = tensor_argument("scatter", input)
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter: expected a src tensor or a value")
    dim = normalize_dim("scatter", dim, x.shape)
    array = _index_array("scatter", index)
    if x.ndim == 0 and array.ndim == 0:
        array = array.reshape(())
    grid = _grid("scatter", x.shape, dim, array)
    if not isinstance(src, Tensor):
        src = Tensor._make(xp.full(array.shape, src, dtype=x.array.dtype))
    else:
        src = _src("scatter", src, array, x)
    if reduce is not None:
        if reduce not in ("add", "multiply"):
            raise RuntimeError(f"scatter: reduce argument must be either add or multiply, got "
                               f"{reduce!r}")
        return scatter_reduce(x, dim, index, src, "sum" if reduce == "add" else "prod")
    return index_put(x, grid, src)


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """x with every src[i][j] combined into x[index[i][j]][j] (dim 0) by sum, prod, mean, amax or
    amin; include_self=False leaves x's own value out wherever something is scattered."""
    x = tensor_argument("scatter_reduce", input)
    src = tensor_argument("scatter_reduce", src, "src")
    if reduce not in _REDUCTIONS:
        raise RuntimeError(f"scatter_reduce: reduce argument must be one of {_REDUCTIONS}, got "
                           f"{reduce!r}")
    dim = normalize_dim("scatter_reduce", dim, x.shape)
    array = _index_array("scatter_reduce", index)
    grid = _grid("scatter_reduce", x.shape, dim, array)
    src = _src("scatter_reduce", src, array, x)
    hit = xp.zeros(x.shape, dtype=bool)
    hit[grid] = True
    hit = Tensor._make(hit)
    start = x if include_self else x.masked_fill(hit, _identity(reduce, x))
    if reduce in ("sum", "mean"):
        total = scatter_add(start, dim, index, src)
        if reduce == "sum":
            return total
        counts = xp.zeros(x.shape, dtype=x.array.dtype)
        xp.add.at(counts, grid, 1)
        counts = counts + (1 if include_self else 0)
        counts[counts == 0] = 1
        out = total / Tensor._make(counts)
        if x.array.dtype.kind in "iu":   # torch floors the integer mean
            out = out.floor().to(x.dtype)
        return out
    return _extreme_or_product(start, grid, src, reduce)


def _identity(reduce, x):
    if reduce in ("sum", "mean"):
        return 0
    if reduce == "prod":
        return 1
    kind = x.array.dtype.kind
    info = xp.finfo(x.array.dtype) if kind == "f" else xp.iinfo(x.array.dtype)
    if kind == "f":
        return -xp.inf if reduce == "amax" else xp.inf
    return info.min if reduce == "amax" else info.max


def _extreme_or_product(start, grid, src, reduce):
    """The result R computed on arrays; amax/amin's gradient by the linearisation
    R + (L - L.detach()), sharing it evenly among the entries equal to R (torch's rule)."""
    if reduce == "prod":
        return _product(start, grid, src)
    result = start.array.copy()
    (xp.maximum if reduce == "amax" else xp.minimum).at(result, grid, src.array)
    constant = Tensor._make(result)
    if not (start.requires_grad or src.requires_grad):
        return constant
    at_src = result[grid]
    self_mask = (start.array == result)
    src_mask = (src.array == at_src)
    counts = self_mask.astype(result.dtype)
    xp.add.at(counts, grid, src_mask)
    counts[counts == 0] = 1
    weight_self = Tensor._make(self_mask / counts)
    weight_src = Tensor._make(src_mask / counts[grid])
    # include_self=False put +-inf where src lands: weight 0 there, but 0 * inf is NaN
    finite = start.masked_fill(Tensor._make(~xp.isfinite(start.array)), 0) \
        if start.array.dtype.kind == "f" else start
    linear = finite * weight_self + _scatter_sum(src * weight_src, grid, start.shape)
    return constant + (linear - linear.detach())


def _product(start, grid, src):
    """start times every src entry scattered onto it, as a product of factors: round k multiplies
    each target by its k-th src entry (or 1), so every derivative, at zeros too, is exact."""
    shape = start.shape
    targets = xp.ravel_multi_index([xp.broadcast_to(g, src.shape) for g in grid],
                                   shape).reshape(-1)
    order = xp.argsort(targets, kind="stable")
    first = xp.searchsorted(targets[order], targets[order], side="left")
    rank = xp.empty_like(order)
    rank[order] = xp.arange(order.size) - first     # the how-manieth entry for its target
    flat_src = src.reshape(-1)
    ones = Tensor._make(xp.ones(shape, dtype=start.array.dtype))
    out = start
    for k in range(int(rank.max()) + 1 if rank.size else 0):
        picked = xp.flatnonzero(rank == k)
        at = xp.unravel_index(targets[picked], shape)
        out = out * index_put(ones, tuple(at), take_index(flat_src, (picked,)))
    return out


def _scatter_sum(values, grid, shape):
    zeros = Tensor._make(xp.zeros(shape, dtype=values.array.dtype))
    return index_put(zeros, grid, values, accumulate=True)


def _dim_index(name, x, dim, index):
    dim = normalize_dim(name, dim, x.shape)
    array = _index_array(name, index)
    if array.ndim > 1:
        raise IndexError(f"{name}: the index must be 0-d or 1-d, got shape {array.shape}")
    array = array.reshape(-1)
    _check_range(name, array, x.shape, dim)
    return dim, array


def index_copy(input, dim, index, source):
    """x with x[..., index[i], ...] = source[..., i, ...] along dim."""
    x = tensor_argument("index_copy", input)
    dim, array = _dim_index("index_copy", x, dim, index)
    source = tensor_argument("index_copy", source, "source")
    expected = x.shape[:dim] + array.shape + x.shape[dim + 1:]
    if source.shape != expected and not (x.ndim == 0 and source.numel() == 1):
        raise RuntimeError(f"index_copy: source shape {source.shape} does not match the expected "
                           f"shape {expected} (tensor shape {x.shape}, {array.size} indices)")
    if source.dtype != x.dtype:
        raise RuntimeError(f"index_copy: source ({source.dtype}) must have the tensor's dtype "
                           f"({x.dtype})")
    return index_put(x, (slice(None),) * dim + (array,), source)


def index_fill(input, dim, index, value):
    """x with x[..., index[i], ...] = value (a number or a 0-d tensor) along dim."""
    x = tensor_argument("index_fill", input)
    dim, array = _dim_index("index_fill", x, dim, index)
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"index_fill: only a 0-d value tensor is supported, got shape "
                           f"{value.shape}")
    return index_put(x, (slice(None),) * dim + (array,), _value(value, x))


def put(input, index, source, accumulate=False):
    """x flattened, with x[index] = source (or += with accumulate), in x's shape."""
    x = tensor_argument("put", input)
    array = _index_array("put", index).reshape(-1)
    source = tensor_argument("put", source, "source")
    if source.numel() != array.size:
        raise RuntimeError(f"put: index ({array.size} entries) and source (shape "
                           f"{source.shape}) must have the same number of elements")
    size = x.numel()
    if array.size and (array.min() < -size or array.max() >= size):
        raise IndexError(f"put: index out of range for a tensor of {size} elements (shape "
                         f"{x.shape})")
    # the flat positions as a full index: no view of x, so put_ may record (a view would count
    # as another tensor sharing x's memory)
    index = xp.unravel_index(array % max(size, 1), x.shape) if x.ndim else ()
    return index_put(x, tuple(index), source.reshape(-1) if x.ndim else source.reshape(()),
                     accumulate)


def _mask(name, mask):
    mask = tensor_argument(name, mask, "mask").array
    if mask.dtype != backend.bool_:
        raise RuntimeError(f"{name}: expected a bool mask, got {mask.dtype}")
    return mask


def _broadcast(name, x, mask):
    try:
        shape = xp.broadcast_shapes(x.shape, mask.shape)
    except ValueError:
        raise RuntimeError(f"{name}: the mask of shape {mask.shape} cannot be broadcast with the "
                           f"tensor's shape {x.shape}") from None
    return (expand(x, shape) if x.shape != shape else x), xp.broadcast_to(mask, shape)


def masked_select(input, mask):
    """The entries of x where mask is True (the two broadcast), as a 1-D tensor."""
    x, mask = _broadcast("masked_select", tensor_argument("masked_select", input),
                         _mask("masked_select", mask))
    return take_index(x, (mask,)).reshape(-1)


def masked_scatter(input, mask, source):
    """x with the entries where mask is True replaced, in order, by source's first entries."""
    x = tensor_argument("masked_scatter", input)
    mask = _mask("masked_scatter", mask)
    try:
        mask = xp.broadcast_to(mask, x.shape)
    except ValueError:
        raise RuntimeError(f"masked_scatter: the mask of shape {mask.shape} cannot be broadcast "
                           f"to the tensor's shape {x.shape}") from None
    source = tensor_argument("masked_scatter", source, "source")
    count = int(mask.sum())
    if source.numel() < count:
        raise RuntimeError(f"masked_scatter: source has {source.numel()} elements (shape "
                           f"{source.shape}) but the mask selects {count}")
    if source.dtype != x.dtype:
        raise RuntimeError(f"masked_scatter: source ({source.dtype}) must have the tensor's "
                           f"dtype ({x.dtype})")
    return index_put(x, (mask,), source.reshape(-1)[:count])


def take(input, index):
    """x flattened, read at index: the result has index's shape."""
    x = tensor_argument("take", input)
    array = _index_array("take", index)
    size = x.numel()
    if array.size and (array.min() < -size or array.max() >= size):
        raise IndexError(f"take: index out of range for a tensor of {size} elements (shape "
                         f"{x.shape})")
    return take_index(x.reshape(-1), (array,))


def take_along_dim(input, indices, dim=None):
    """gather(x, dim, indices) with x and indices broadcast (except along dim); with dim None,
    x and indices flattened."""
    x = tensor_argument("take_along_dim", input)
    array = _index_array("take_along_dim", indices)
    if dim is None:
        return take(x.reshape(-1), array.reshape(-1))
    dim = normalize_dim("take_along_dim", operator.index(dim), x.shape)
    if x.ndim != array.ndim:
        raise RuntimeError(f"take_along_dim: input {x.shape} and indices {array.shape} should "
                           "have the same number of dimensions")
    x_shape, index_shape = list(x.shape), list(array.shape)
    x_shape[dim] = index_shape[dim] = 1
    try:
        common = list(xp.broadcast_shapes(tuple(x_shape), tuple(index_shape)))
    except ValueError:
        raise RuntimeError(f"take_along_dim: input {x.shape} and indices {array.shape} cannot be "
                           f"broadcast outside dim {dim}") from None
    x = expand(x, tuple(common[:dim] + [x.shape[dim]] + common[dim + 1:]))
    array = xp.broadcast_to(array, tuple(common[:dim] + [array.shape[dim]] + common[dim + 1:]))
    size = x.shape[dim]
    _check_range("take_along_dim", array % size if size else array, x.shape, dim)
    return take_index(x, _grid("take_along_dim", x.shape, dim, array % max(size, 1)))


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """x with source[..., i, ...] combined into x[..., index[i], ...] along dim by prod, mean,
    amax or amin (scatter_reduce with the index spread over source's shape)."""
    x = tensor_argument("index_reduce", input)
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce: reduce argument must be one of prod, mean, amax or "
                           f"amin, got {reduce!r}")
    dim, array = _dim_index("index_reduce", x, dim, index)
    source = tensor_argument("index_reduce", source, "source")
    expected = x.shape[:dim] + array.shape + x.shape[dim + 1:]
    if source.shape != expected:
        raise RuntimeError(f"index_reduce: source shape {source.shape} does not match the "
                           f"expected shape {expected} (tensor shape {x.shape})")
    spread = [1] * source.ndim
    spread[dim] = array.size
    full = xp.ascontiguousarray(xp.broadcast_to(array.reshape(spread), source.shape))
    return scatter_reduce(x, dim, full, source, reduce, include_self=include_self)


TENSOR_METHODS = {name: globals()[name] for name in __all__}
