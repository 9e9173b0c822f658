"""Indexing: t[index] for every index PyTorch accepts, the scatter that is its gradient, and the ops
built on the two (index_put for slice assignment, select, narrow, index_select, gather, scatter_add,
index_add), plus the masking ops masked_fill, tril and triu.

Basic indices (ints, slices, None, Ellipsis) give views; integer arrays and bool masks give copies,
whose gradient scatters back into zeros with repeated indices accumulated (NumPy's add.at).

The backward formulas run on Tensors under create_graph and on arrays in a plain backward
(Function.operands), where a scatter is one NumPy assignment into new zeros.
"""
import operator

from chainrule import backend
from chainrule.autograd.engine import SliceGradient
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.grad_mode import state
from chainrule.ops.broadcast import expand, sum_to
from chainrule.ops.dims import normalize_dim
from chainrule.tensor import Tensor

__all__ = ["select", "narrow", "index_select", "gather", "scatter_add", "index_add", "index_put",
           "masked_fill", "tril", "triu"]


class Slice(Function):
    """y = x[index] for a basic index (a view);  dx = zeros(x.shape) with dx[index] = dy"""
    save_inputs = False
    is_view = True

    def forward(self, x, index):
        self.in_shape, self.index = x.shape, index
        return x[index]

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        if recording:
            return IndexScatter.apply(grad, shape=self.in_shape, index=self.index,
                                      accumulate=False)
        # the scatter left to the engine, which adds it into what the other slices sent
        return SliceGradient(self.in_shape, self.index, grad)


class Index(Function):
    """y = x[index] with integer arrays or bool masks (a copy);  dx = zeros, dx[index] += dy"""
    save_inputs = False

    def forward(self, x, index):
        self.in_shape, self.index = x.shape, index
        return xp.asarray(x[index])  # all-0-d integer indices make NumPy return a scalar

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        if recording:
            return IndexScatter.apply(grad, shape=self.in_shape, index=self.index,
                                      accumulate=_may_repeat(self.index))
        return _scatter(grad, self.in_shape, self.index, _may_repeat(self.index))


class IndexScatter(Function):
    """y = zeros(shape) with y[index] += x (or = x when no index repeats);  dx = dy[index]"""
    save_inputs = False

    def forward(self, x, shape, index, accumulate):
        self.index = index
        return _scatter(x, shape, index, accumulate)

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        return take(grad, self.index) if recording else grad[self.index]


class IndexPut(Function):
    """y = x with y[index] = v;  dx = dy with dx[index] = 0,  dv = dy[index] summed to v.shape"""
    save_inputs = False

    def forward(self, x, value, index):
        self.index, self.value_shape = index, value.shape
        out = x.copy()
        out[index] = value
        return out

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        need_x, need_value = self.needs_input_grad
        grad_x = grad_value = None
        if need_x:
            if recording:
                grad_x = IndexPut.apply(grad, _zero(grad), index=self.index)
            else:
                grad_x = grad.copy()
                grad_x[self.index] = 0
        if need_value:
            grad_value = _sum_to_value(take(grad, self.index) if recording
                                       else grad[self.index], self.value_shape)
        return grad_x, grad_value


class MaskedFill(Function):
    """y = where(mask, v, x);  dx = where(mask, 0, dy),  dv = sum(where(mask, dy, 0))"""
    save_inputs = False

    def forward(self, x, value, mask):
        self.mask = mask
        return xp.where(mask, value, x)

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        need_x, need_value = self.needs_input_grad
        grad_x = grad_value = None
        if not recording:
            if need_x:
                grad_x = xp.where(self.mask, 0, grad)
            if need_value:
                grad_value = xp.where(self.mask, grad, 0).sum()
            return grad_x, grad_value
        if need_x:
            grad_x = MaskedFill.apply(grad, _zero(grad), mask=self.mask)
        if need_value:
            grad_value = sum_to(MaskedFill.apply(grad, _zero(grad), mask=~self.mask), ())
        return grad_x, grad_value


class Triangle(Function):
    """y = tril(x, k) or triu(x, k): zero the other side of diagonal k;  dx = the same of dy"""
    save_inputs = False

    def forward(self, x, diagonal, upper):
        self.diagonal, self.upper = diagonal, upper
        return xp.triu(x, diagonal) if upper else xp.tril(x, diagonal)

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        if recording:
            return Triangle.apply(grad, diagonal=self.diagonal, upper=self.upper)
        return (xp.triu if self.upper else xp.tril)(grad, self.diagonal)


def _scatter(x, shape, index, accumulate):
    """zeros(shape) with [index] = x, or += x where an index may repeat (NumPy's add.at)."""
    out = xp.zeros(shape, dtype=x.dtype)
    if accumulate:
        xp.add.at(out, index, x)
    else:
        out[index] = x
    return out


# ----- the index itself ---------------------------------------------------------------------------
def to_array_index(index):
    """The index as a tuple NumPy understands: Tensors inside it become arrays (integer or bool),
    lists and ranges become arrays, NumPy integers become ints. Raises IndexError for other types
    and ValueError for slice steps below 1, as PyTorch does."""
    items = index if isinstance(index, tuple) else (index,)
    return tuple(_index_item(item) for item in items)


def _index_item(item):
    if item is None or item is Ellipsis or isinstance(item, int):
        return item
    if isinstance(item, slice):
        if item.step is not None and operator.index(item.step) <= 0:
            raise ValueError(f"index: slice step must be greater than zero, got {item}")
        return item
    if isinstance(item, Tensor):
        array = item.array
    elif isinstance(item, backend.ndarray):
        array = item
    elif isinstance(item, xp.integer):
        return int(item)
    elif isinstance(item, range):  # a list of ints to PyTorch: a copy, not a view
        array = xp.arange(item.start, item.stop, item.step, dtype=backend.int64)
    elif isinstance(item, (xp.bool_, list, tuple)):
        array = xp.asarray(item)
        if array.size == 0:  # an empty list selects nothing, as in PyTorch
            array = array.astype(backend.int64)
    else:
        raise IndexError(f"index: only integers, slices, None, Ellipsis and integer or bool "
                         f"tensors are valid indices, got {type(item).__name__}")
    if array.dtype.kind not in "iub":
        raise IndexError(f"index: tensors used as indices must be integer or bool, got "
                         f"{array.dtype}")
    if array.ndim == 0 and array.dtype.kind != "b":
        return int(array)  # PyTorch treats a 0-d integer tensor as an int: a view
    return array


def _may_repeat(index):
    """Integer arrays can name a position twice, whose gradients must then add up (add.at);
    bool masks and basic indices cannot, and plain assignment is much faster."""
    return any(isinstance(item, backend.ndarray) and item.dtype.kind != "b" for item in index)


def _is_basic(index):
    return all(item is None or item is Ellipsis or type(item) is int or type(item) is slice
               for item in index)


def getitem(x, index):
    """x[index]: a view for basic indices, a copy for integer arrays and bool masks."""
    return take(x, to_array_index(index))


def take(x, index):
    """x[index] for an index already made by to_array_index."""
    try:
        if _is_basic(index):
            # a trailing Ellipsis keeps the result an array (a view) when every dim is indexed away
            if not any(item is Ellipsis for item in index):
                index = index + (Ellipsis,)
            return Slice.apply(x, index=index)
        return Index.apply(x, index=index)
    except IndexError as error:
        raise IndexError(f"index {_describe(index)} on a tensor of shape {x.shape}: "
                         f"{error}") from None


def _describe(index):
    return "[" + ", ".join(f"<{item.dtype} array of shape {item.shape}>"
                           if isinstance(item, backend.ndarray) else repr(item)
                           for item in index) + "]"


def index_put(x, index, value, accumulate=False):
    """x with x[index] = value (or += value when accumulate), out of place and differentiable:
    what `x[index] = value` records when a gradient is wanted."""
    index = to_array_index(index)
    value = _value(value, x)
    try:
        if accumulate:
            value = expand(value, x.array[index].shape)
            return x + IndexScatter.apply(value, shape=x.shape, index=index,
                                          accumulate=_may_repeat(index))
        return IndexPut.apply(x, value, index=index)
    except (IndexError, ValueError) as error:
        raise type(error)(f"index_put: index {_describe(index)} on a tensor of shape {x.shape}: "
                          f"{error}") from None


def setitem(x, index, value):
    """Slice assignment, `x[index] = value`, as in NumPy and PyTorch: written into x's array, or,
    when a gradient is wanted, recorded as index_put through Tensor._update."""
    value_requires_grad = isinstance(value, Tensor) and value.requires_grad
    if state.enabled and (x.requires_grad or value_requires_grad):
        x._update("__setitem__", index_put, index, value)
        return
    try:
        x.array[to_array_index(index)] = value.array if isinstance(value, Tensor) else value
    except (IndexError, ValueError, TypeError) as error:
        raise type(error)(f"__setitem__ on a tensor of shape {x.shape}: {error}") from None
    x._version[0] += 1


def _value(value, like):
    """value as a Tensor of like's dtype (PyTorch casts the value being written)."""
    if not isinstance(value, Tensor):
        return Tensor._make(xp.asarray(value, dtype=like.dtype))
    return value if value.dtype == like.dtype else value.to(like.dtype)


def _zero(like):
    return Tensor._make(xp.zeros((), dtype=like.dtype))


def _sum_to_value(grad, shape):
    """A written value's gradient: summed to its shape, which NumPy lets have extra leading 1s."""
    lead = len(shape) - grad.ndim
    if lead <= 0:
        return sum_to(grad, shape)
    if not isinstance(grad, Tensor):   # a plain backward's array
        return sum_to(grad, shape[lead:]).reshape(shape)
    return take(sum_to(grad, shape[lead:]), (None,) * lead + (Ellipsis,))


# ----- ops along one dim --------------------------------------------------------------------------
def select(x, dim, index):
    """x[..., index, ...] with the index at `dim`: that dim removed (a view)."""
    dim = normalize_dim("select", dim, x.shape)
    return take(x, (slice(None),) * dim + (operator.index(index), Ellipsis))


def narrow(x, dim, start, length):
    """x[..., start:start + length, ...] along `dim` (a view)."""
    dim = normalize_dim("narrow", dim, x.shape)
    size = x.shape[dim]
    start = operator.index(start)
    start = start + size if start < 0 else start
    if not (0 <= start <= size and 0 <= length <= size - start):
        raise IndexError(f"narrow: start {start} and length {length} do not fit dim {dim} of a "
                         f"tensor of shape {x.shape}")
    return take(x, (slice(None),) * dim + (slice(start, start + length), Ellipsis))


def _index_array(name, index):
    array = index.array if isinstance(index, Tensor) else xp.asarray(index)
    if array.dtype.kind not in "iu":
        raise RuntimeError(f"{name}: expected an integer index, got {array.dtype}")
    return array


def _check_range(name, index, shape, dim):
    """PyTorch's gather/scatter/index_select accept no negative indices, unlike t[index]."""
    size = shape[dim] if shape else 1
    if index.size and (index.min() < 0 or index.max() >= size):
        bad = index.min() if index.min() < 0 else index.max()
        raise IndexError(f"{name}: index {bad} is out of bounds for dimension {dim} with size "
                         f"{size}")


def index_select(x, dim, index):
    """The entries of x at positions `index` (a 1-D integer tensor) along dim."""
    dim = normalize_dim("index_select", dim, x.shape)
    array = _index_array("index_select", index)
    if array.ndim > 1:
        raise IndexError(f"index_select: the index must be 0-d or 1-d, got shape {array.shape}")
    _check_range("index_select", array, x.shape, dim)
    return take(x, (slice(None),) * dim + (array.reshape(-1),))


def _grid(name, x_shape, dim, index):
    """The full index that picks x[..., index[i, j, k], ...] at dim for every (i, j, k)."""
    if index.ndim != len(x_shape):
        raise RuntimeError(f"{name}: the index must have as many dims as the tensor: index shape "
                           f"{index.shape}, tensor shape {x_shape}")
    for d, (n, size) in enumerate(zip(index.shape, x_shape)):
        if d != dim and n > size:
            raise RuntimeError(f"{name}: index shape {index.shape} is larger than tensor shape "
                               f"{x_shape} in dim {d}")
    _check_range(name, index, x_shape, dim)
    ndim = index.ndim
    return tuple(index if d == dim else
                 xp.arange(n).reshape((n,) + (1,) * (ndim - d - 1))
                 for d, n in enumerate(index.shape))


def gather(x, dim, index):
    """y[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (and likewise for the other dims)."""
    dim = normalize_dim("gather", dim, x.shape)
    array = _index_array("gather", index)
    if x.ndim == 0:
        return x
    return take(x, _grid("gather", x.shape, dim, array))


def scatter_add(x, dim, index, src):
    """x with src[i][j][k] added at x[index[i][j][k]][j][k] for dim 0; repeated indices add up."""
    dim = normalize_dim("scatter_add", dim, x.shape)
    array = _index_array("scatter_add", index)
    grid = _grid("scatter_add", x.shape, dim, array)
    if src.dtype != x.dtype:
        raise RuntimeError(f"scatter_add: src ({src.dtype}) must have the tensor's dtype "
                           f"({x.dtype})")
    if src.shape != array.shape:
        if src.ndim != array.ndim or any(n > s for n, s in zip(array.shape, src.shape)):
            raise RuntimeError(f"scatter_add: index shape {array.shape} is larger than src "
                               f"shape {src.shape}")
        src = take(src, tuple(slice(0, n) for n in array.shape))
    return x + IndexScatter.apply(src, shape=x.shape, index=grid, accumulate=True)


def index_add(x, dim, index, source, alpha=1):
    """x with alpha * source[..., i, ...] added at x[..., index[i], ...] along dim."""
    dim = normalize_dim("index_add", dim, x.shape)
    array = _index_array("index_add", index).reshape(-1)
    _check_range("index_add", array, x.shape, dim)
    expected = x.shape[:dim] + array.shape + x.shape[dim + 1:]
    if source.shape != expected:
        raise RuntimeError(f"index_add: source shape {source.shape} does not match the expected "
                           f"shape {expected} (tensor shape {x.shape}, {array.size} indices)")
    if alpha != 1:
        source = source * alpha
    return x + IndexScatter.apply(source, shape=x.shape, index=(slice(None),) * dim + (array,),
                                  accumulate=True)


# ----- masks --------------------------------------------------------------------------------------
def masked_fill(x, mask, value):
    """x with value where mask is True; mask broadcasts, value is a scalar or a 0-d tensor."""
    mask = mask.array if isinstance(mask, Tensor) else xp.asarray(mask)
    if mask.dtype != backend.bool_:
        raise RuntimeError(f"masked_fill: the mask must be bool, got {mask.dtype}")
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"masked_fill: only a 0-d value tensor is supported, got shape "
                           f"{value.shape}")
    if mask.shape != x.shape:
        try:
            shape = xp.broadcast_shapes(x.shape, mask.shape)
        except ValueError:
            raise RuntimeError(f"masked_fill: the mask of shape {mask.shape} cannot be broadcast "
                               f"to the tensor's shape {x.shape}") from None
        x = expand(x, shape)
    return MaskedFill.apply(x, _value(value, x), mask=mask)


def tril(x, diagonal=0):
    """The lower triangle of the last two dims, on and below diagonal k; the rest zero."""
    return _triangle("tril", x, diagonal, upper=False)


def triu(x, diagonal=0):
    """The upper triangle of the last two dims, on and above diagonal k; the rest zero."""
    return _triangle("triu", x, diagonal, upper=True)


def _triangle(name, x, diagonal, upper):
    if x.ndim < 2:
        raise RuntimeError(f"{name}: the tensor must have at least 2 dims, got shape {x.shape}")
    return Triangle.apply(x, diagonal=operator.index(diagonal), upper=upper)


TENSOR_METHODS = {
    "__getitem__": getitem, "__setitem__": setitem, "select": select, "narrow": narrow, "index_select": index_select,
    "gather": gather, "scatter_add": scatter_add, "index_add": index_add, "index_put": index_put,
    "masked_fill": masked_fill, "tril": tril, "triu": triu,
}
