"""Stacking, splitting and tiling as NumPy-minded torch programs write them: hstack, vstack,
dstack, column_stack, row_stack, atleast_1d/2d/3d, tensor_split, hsplit, vsplit, dsplit, tile,
rot90, fliplr, flipud, broadcast_tensors, broadcast_shapes and Tensor.unfold (sliding windows).

All are compositions of cat, narrow, reshape, expand, flip and indexing: views where those give
views, differentiable through them.
"""
import operator

from chainrule.backend import xp
from chainrule.ops.broadcast import expand
from chainrule.ops.dims import int_args, normalize_dim
from chainrule.ops.index import narrow, take
from chainrule.ops.join import cat, flip, repeat
from chainrule.ops.shape import movedim, reshape_to, transpose
from chainrule.size import Size
from chainrule.tensor import Tensor

__all__ = ["hstack", "vstack", "dstack", "column_stack", "row_stack", "atleast_1d", "atleast_2d",
           "atleast_3d", "tensor_split", "hsplit", "vsplit", "dsplit", "tile", "rot90", "fliplr",
           "flipud", "broadcast_tensors", "broadcast_shapes"]


def _tensors(name, tensors):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (tuple, list)):
        raise TypeError(f"{name}: expected a tuple or list of tensors, got "
                        f"{type(tensors).__name__}")
    if not tensors:
        raise RuntimeError(f"{name}: expects a non-empty TensorList")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: entry {i} must be a Tensor, not {type(t).__name__}")
    return list(tensors)


def _at_least(tensors, ndim, place):
    """Each tensor with dims added by `place(shape)` until it has ndim."""
    single = isinstance(tensors, Tensor)
    items = [tensors] if single else list(tensors)
    out = tuple(t if t.ndim >= ndim else reshape_to(t, place(t.shape)) for t in items)
    return out[0] if single else out


def _args(tensors):
    return tensors[0] if len(tensors) == 1 else tensors


def atleast_1d(*tensors):
    """Each tensor with at least 1 dim (a 0-d one becomes shape (1,))."""
    return _at_least(_args(tensors), 1, lambda shape: (1,))


def atleast_2d(*tensors):
    """Each tensor with at least 2 dims: () -> (1, 1), (n,) -> (1, n)."""
    return _at_least(_args(tensors), 2, lambda shape: (1,) * (2 - len(shape)) + shape)


def atleast_3d(*tensors):
    """Each tensor with at least 3 dims: () -> (1, 1, 1), (n,) -> (1, n, 1), (m, n) -> (m, n, 1)."""
    def place(shape):
        return {0: (1, 1, 1), 1: (1,) + shape + (1,), 2: shape + (1,)}[len(shape)]
    return _at_least(_args(tensors), 3, place)


def hstack(tensors):
    """cat along dim 1 (dim 0 for 1-D tensors)."""
    tensors = atleast_1d(*_tensors("hstack", tensors))
    tensors = tensors if isinstance(tensors, tuple) else (tensors,)
    return cat(tensors, 0 if tensors[0].ndim == 1 else 1)


def vstack(tensors):
    """cat along dim 0 of the tensors made at least 2-D."""
    tensors = atleast_2d(*_tensors("vstack", tensors))
    return cat(tensors if isinstance(tensors, tuple) else (tensors,), 0)


row_stack = vstack


def dstack(tensors):
    """cat along dim 2 of the tensors made at least 3-D."""
    tensors = atleast_3d(*_tensors("dstack", tensors))
    return cat(tensors if isinstance(tensors, tuple) else (tensors,), 2)


def column_stack(tensors):
    """The tensors as columns: 0-d and 1-D ones become (n, 1), then cat along dim 1."""
    tensors = _tensors("column_stack", tensors)
    columns = [reshape_to(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in tensors]
    return cat(columns, 1)


# ----- splitting ----------------------------------------------------------------------------------
def tensor_split(input, indices_or_sections, dim=0):
    """Views of x along dim: `n` nearly equal pieces (the first size % n one longer), or the
    pieces between the listed indices (x[:i0], x[i0:i1], ..., x[ik:])."""
    x = input
    if x.ndim == 0:
        raise RuntimeError("tensor_split: expected at least a 1-dimensional tensor, got a 0-d one")
    dim = normalize_dim("tensor_split", dim, x.shape)
    size = x.shape[dim]
    sections = indices_or_sections
    if isinstance(sections, Tensor):
        sections = sections.tolist() if sections.ndim else int(sections.item())
    if isinstance(sections, (tuple, list)):
        bounds = [min(max(_wrap(operator.index(i), size), 0), size) for i in sections]
        starts, ends = [0] + bounds, bounds + [size]
    elif isinstance(sections, bool) or not isinstance(sections, int):
        raise TypeError(f"tensor_split: indices_or_sections must be an int, a tuple or list of "
                        f"ints or a Tensor, got {type(sections).__name__}")
    else:
        count = sections
        if count <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got "
                               f"{count}")
        lengths = [size // count + (1 if i < size % count else 0) for i in range(count)]
        ends = [sum(lengths[:i + 1]) for i in range(count)]
        starts = [0] + ends[:-1]
    return tuple(narrow(x, dim, start, max(end - start, 0)) for start, end in zip(starts, ends))


def _wrap(index, size):
    return index + size if index < 0 else index


def _split_along(name, x, sections, dim, min_ndim):
    if x.ndim < min_ndim:
        raise RuntimeError(f"{name}: requires a tensor with at least {min_ndim} dimension(s), "
                           f"but got a tensor with {x.ndim} (shape {x.shape})")
    if not isinstance(sections, (tuple, list)) and not isinstance(sections, Tensor):
        count = operator.index(sections)
        if count == 0 or x.shape[dim] % count:
            raise RuntimeError(f"{name}: dim {dim} of size {x.shape[dim]} (tensor of shape "
                               f"{x.shape}) is not divisible by the split size {count}")
    return tensor_split(x, sections, dim)


def hsplit(input, indices_or_sections):
    """tensor_split along dim 1 (dim 0 for a 1-D tensor); an int must divide that dim."""
    dim = 1 if input.ndim >= 2 else 0
    return _split_along("hsplit", input, indices_or_sections, dim, 1)


def vsplit(input, indices_or_sections):
    """tensor_split along dim 0 of a tensor of at least 2 dims."""
    return _split_along("vsplit", input, indices_or_sections, 0, 2)


def dsplit(input, indices_or_sections):
    """tensor_split along dim 2 of a tensor of at least 3 dims."""
    return _split_along("dsplit", input, indices_or_sections, 2, 3)


# ----- tiling, rotating, flipping -----------------------------------------------------------------
def tile(input, *dims):
    """x repeated dims[i] times along dim i; missing leading dims count as 1 (NumPy's tile)."""
    dims = int_args(dims)
    if any(n < 0 for n in dims):
        raise RuntimeError(f"tile: repetitions must be non-negative, got {dims} (tensor of shape "
                           f"{input.shape})")
    dims = (1,) * (input.ndim - len(dims)) + dims
    return repeat(input, *dims)


def rot90(input, k=1, dims=(0, 1)):
    """x rotated by k quarter turns in the plane of dims, from the first towards the second."""
    x = input
    dims = tuple(dims)
    if len(dims) != 2:
        raise RuntimeError(f"rot90: expected total rotation dims == 2, but got dims = {len(dims)}")
    if x.ndim < 2:
        raise RuntimeError(f"rot90: expected total dims >= 2, but got total dims = {x.ndim}")
    first, second = (normalize_dim("rot90", d, x.shape) for d in dims)
    if first == second:
        raise RuntimeError(f"rot90: expected rotation dims to be different, got {dims}")
    k = operator.index(k) % 4
    if k == 1:
        return transpose(flip(x, second), first, second)
    if k == 2:
        return flip(x, first, second)
    if k == 3:
        return transpose(flip(x, first), first, second)
    return x.clone()


def fliplr(input):
    """x reversed along dim 1 (left to right)."""
    if input.ndim < 2:
        raise RuntimeError(f"fliplr: input must be >= 2-d, got shape {input.shape}")
    return flip(input, 1)


def flipud(input):
    """x reversed along dim 0 (up to down)."""
    if input.ndim < 1:
        raise RuntimeError("flipud: input must be >= 1-d, got a 0-d tensor")
    return flip(input, 0)


# ----- broadcasting -------------------------------------------------------------------------------
def broadcast_shapes(*shapes):
    """The shape all these shapes broadcast to (a Size); RuntimeError if they do not."""
    try:
        shapes = [(operator.index(s),) if not isinstance(s, (tuple, list)) else
                  tuple(operator.index(n) for n in s) for s in shapes]
    except TypeError:
        raise TypeError(f"broadcast_shapes: expected shapes (ints or tuples of ints), got "
                        f"{shapes}") from None
    try:
        return Size(xp.broadcast_shapes(*shapes))
    except ValueError:
        raise RuntimeError(f"broadcast_shapes: shapes {', '.join(map(str, shapes))} cannot be "
                           "broadcast together") from None


def broadcast_tensors(*tensors):
    """The tensors expanded to their common shape (views)."""
    tensors = _tensors("broadcast_tensors", list(tensors))
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t if t.shape == shape else expand(t, shape) for t in tensors)


def unfold(input, dimension, size, step):
    """Sliding windows of `size` entries every `step` along `dimension`: that dim becomes the
    number of windows and a new last dim of `size` holds each window."""
    x = input
    dim = normalize_dim("unfold", dimension, x.shape)
    length = x.shape[dim] if x.ndim else 1
    size, step = operator.index(size), operator.index(step)
    if step <= 0:
        raise RuntimeError(f"unfold: step is {step} but must be > 0")
    if not 0 <= size <= length:
        raise RuntimeError(f"unfold: maximum size for tensor at dimension {dim} is {length} but "
                           f"size is {size} (tensor of shape {x.shape})")
    if x.ndim == 0:
        return reshape_to(x, (1,))
    count = (length - size) // step + 1
    windows = xp.arange(count)[:, None] * step + xp.arange(size)[None, :]
    picked = take(x, (slice(None),) * dim + (windows, Ellipsis))  # dims: ..., count, size, ...
    return movedim(picked, dim + 1, -1)


TENSOR_METHODS = {"tile": tile, "rot90": rot90, "fliplr": fliplr, "flipud": flipud,
                  "tensor_split": tensor_split, "hsplit": hsplit, "vsplit": vsplit,
                  "dsplit": dsplit, "unfold": unfold}
