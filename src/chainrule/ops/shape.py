"""Shape ops: reshape and its spellings (view, flatten, squeeze ...), permutations of dims, joining
(cat, stack) and cutting (split, chunk, unbind), padding, flip, repeat and copies.

Reshapes and permutations are views, as NumPy gives them; a reshape that NumPy cannot do without a
copy becomes a separate op that copies, so that only true views share the version counter.
"""
import math
import operator

from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.broadcast import expand
from chainrule.ops.index import dim_index, index_select, narrow, select
from chainrule.tensor import Tensor

__all__ = ["reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose", "swapaxes",
           "swapdims", "permute", "movedim", "t", "cat", "concatenate", "concat", "stack",
           "split", "chunk", "unbind", "pad", "flip", "repeat_interleave", "clone"]


class View(Function):
    """y = x reshaped, sharing memory;  dx = dy reshaped to x.shape"""
    save_inputs = False
    is_view = True

    def forward(self, x, shape):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        return _reshape(grad, self.in_shape)


class Reshape(View):
    """y = a reshaped copy of x (its strides allow no view);  dx = dy reshaped to x.shape"""
    is_view = False


class Permute(Function):
    """y = x with its dims reordered by p (a view);  dx = dy permuted by p's inverse"""
    save_inputs = False
    is_view = True

    def forward(self, x, dims):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, grad):
        inverse = tuple(sorted(range(len(self.dims)), key=self.dims.__getitem__))
        return Permute.apply(grad, dims=inverse)


class Cat(Function):
    """y = [x1, x2, ...] joined along dim;  dxi = the slice of dy that xi filled"""
    save_inputs = False

    def forward(self, *arrays, dim):
        # PyTorch skips 1-D empty tensors when joining tensors of more dims (legacy behaviour).
        kept = [a for a in arrays if a.shape != (0,)] or arrays[:1]
        self.dim = dim
        self.sizes = [None if a.shape == (0,) and a is not kept[0] else a.shape[dim]
                      for a in arrays]
        return xp.concatenate(kept, axis=dim)

    def backward(self, grad):
        grads, start = [], 0
        for size, need in zip(self.sizes, self.needs_input_grad):
            if size is None:
                grads.append(Tensor._make(xp.zeros((0,), grad.dtype)) if need else None)
                continue
            grads.append(narrow(grad, self.dim, start, size) if need else None)
            start += size
        return tuple(grads)


class Stack(Function):
    """y = [x1, x2, ...] stacked along a new dim;  dxi = dy[..., i, ...] at that dim"""
    save_inputs = False

    def forward(self, *arrays, dim):
        self.dim = dim
        return xp.stack(arrays, axis=dim)

    def backward(self, grad):
        return tuple(select(grad, self.dim, i) if need else None
                     for i, need in enumerate(self.needs_input_grad))


class ConstantPad(Function):
    """y = x padded with value (negative pads crop);  dx = dy padded by the negated pads"""
    save_inputs = False

    def forward(self, x, pads, value):
        self.pads = pads
        # pads pair up from the last dim, as in torch.nn.functional.pad
        widths = [(0, 0)] * (x.ndim - len(pads)) + list(reversed(pads))
        x = x[tuple(slice(max(-low, 0), n - max(-high, 0))
                    for n, (low, high) in zip(x.shape, widths))]
        shape = tuple(n + max(low, 0) + max(high, 0) for n, (low, high) in zip(x.shape, widths))
        out = xp.full(shape, value, dtype=x.dtype)
        out[tuple(slice(max(low, 0), max(low, 0) + n) for n, (low, _) in zip(x.shape, widths))] = x
        return out

    def backward(self, grad):
        return ConstantPad.apply(grad, pads=tuple((-low, -high) for low, high in self.pads),
                                 value=0)


class Flip(Function):
    """y = x reversed along dims;  dx = dy reversed along the same dims"""
    save_inputs = False

    def forward(self, x, dims):
        self.dims = dims
        # NumPy's flip is a view with negative strides; PyTorch's is a copy, so writes to the
        # result must not reach x: copy.
        return xp.flip(x, dims).copy()

    def backward(self, grad):
        return Flip.apply(grad, dims=self.dims)


class Clone(Function):
    """y = a C-contiguous copy of x;  dx = dy"""
    save_inputs = False

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad


# ----- reshaping ----------------------------------------------------------------------------------
def _sizes(sizes):
    """Sizes given as varargs or as one tuple/list, each an int."""
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = sizes[0]
    return tuple(operator.index(s) for s in sizes)


def _infer_shape(name, in_shape, requested):
    """requested with its one -1 filled in; RuntimeError naming both shapes if the counts differ
    (or if -1 is ambiguous: a request with a 0 in it)."""
    count, known = math.prod(in_shape), math.prod(n for n in requested if n != -1)
    free = [i for i, n in enumerate(requested) if n == -1]
    shape = requested
    if len(free) == 1 and known and count % known == 0:
        shape = shape[:free[0]] + (count // known,) + shape[free[0] + 1:]
    if len(free) > 1 or min(shape, default=0) < 0 or math.prod(shape) != count:
        raise RuntimeError(f"{name}: cannot reshape a tensor of shape {in_shape} ({count} "
                           f"elements) into shape {requested}")
    return shape


def _reshape(x, shape):
    """A view when NumPy can make one (always, for contiguous x), else a copy."""
    if x.shape == shape:
        return x
    array = x.array
    if not array.flags.c_contiguous:
        try:
            array.reshape(shape, copy=False)
        except ValueError:
            return Reshape.apply(x, shape=shape)
    return View.apply(x, shape=shape)


def reshape(x, *shape):
    """x with a new shape of as many elements; one size may be -1 (inferred)."""
    return _reshape(x, _infer_shape("reshape", x.shape, _sizes(shape)))


def view(x, *shape):
    """reshape that must not copy, as PyTorch's view: an error if x's strides allow no view."""
    shape = _infer_shape("view", x.shape, _sizes(shape))
    if x.shape != shape and not x.array.flags.c_contiguous:
        try:
            x.array.reshape(shape, copy=False)
        except ValueError:
            raise RuntimeError(f"view: a tensor of shape {x.shape} and strides "
                               f"{x.array.strides} cannot be viewed as shape {shape}; use "
                               ".reshape(...) instead") from None
    return _reshape(x, shape)


def flatten(x, start_dim=0, end_dim=-1):
    """Dims start_dim..end_dim merged into one."""
    if x.ndim == 0:
        return _reshape(x, (1,))
    start, end = dim_index("flatten", start_dim, x.shape), dim_index("flatten", end_dim, x.shape)
    if start > end:
        raise RuntimeError(f"flatten: start_dim ({start_dim}) cannot come after end_dim "
                           f"({end_dim}) for a tensor of shape {x.shape}")
    return _reshape(x, x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])


def unflatten(x, dim, sizes):
    """Dim `dim` split into `sizes` (one may be -1)."""
    dim = dim_index("unflatten", dim, x.shape)
    sizes = _infer_shape("unflatten", (x.shape[dim],), _sizes((sizes,)))
    return _reshape(x, x.shape[:dim] + sizes + x.shape[dim + 1:])


def squeeze(x, dim=None):
    """x without size-1 dims: all of them, or those of `dim` (an int or tuple) that are size 1."""
    if dim is None:
        dims = range(x.ndim)
    else:
        dims = dim if isinstance(dim, (tuple, list)) else (dim,)
        dims = {dim_index("squeeze", d, x.shape) for d in dims}
    shape = tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1))
    return _reshape(x, shape)


def unsqueeze(x, dim):
    """x with a size-1 dim inserted at `dim` (counted in the result)."""
    dim = dim_index("unsqueeze", dim, x.shape, extra=1)
    return _reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


# ----- permuting ----------------------------------------------------------------------------------
def permute(x, *dims):
    """x with dim i of the result being dim dims[i] of x (a view)."""
    dims = tuple(dim_index("permute", d, x.shape) for d in _sizes(dims))
    if sorted(dims) != list(range(x.ndim)):
        raise RuntimeError(f"permute: dims {dims} are not a permutation of the dims of a tensor "
                           f"of shape {x.shape}")
    if dims == tuple(range(x.ndim)):
        return x
    return Permute.apply(x, dims=dims)


def transpose(x, dim0, dim1):
    """x with dims dim0 and dim1 swapped (a view)."""
    dim0, dim1 = dim_index("transpose", dim0, x.shape), dim_index("transpose", dim1, x.shape)
    if dim0 == dim1 or x.ndim < 2:
        return x
    dims = list(range(x.ndim))
    dims[dim0], dims[dim1] = dim1, dim0
    return Permute.apply(x, dims=tuple(dims))


swapaxes = swapdims = transpose


def t(x):
    """The transpose of a matrix; 0-d and 1-d tensors come back as they are."""
    if x.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dims, got shape {x.shape}")
    return transpose(x, 0, -1) if x.ndim == 2 else x


def _matrix_transpose(x):
    if x.ndim < 2:
        raise RuntimeError(f"mT: needs a matrix or a batch of matrices, got shape {x.shape}")
    return transpose(x, -2, -1)


def movedim(x, source, destination):
    """x with dims `source` moved to positions `destination` (ints or tuples), the rest in order."""
    source = source if isinstance(source, (tuple, list)) else (source,)
    destination = destination if isinstance(destination, (tuple, list)) else (destination,)
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: source {source} and destination {destination} must have "
                           "the same number of dims")
    source = [dim_index("movedim", d, x.shape) for d in source]
    destination = [dim_index("movedim", d, x.shape) for d in destination]
    if len(set(source)) != len(source) or len(set(destination)) != len(destination):
        raise RuntimeError(f"movedim: repeated dim in source {source} or destination {destination}")
    rest = iter(d for d in range(x.ndim) if d not in source)
    placed = dict(zip(destination, source))
    return permute(x, [placed[i] if i in placed else next(rest) for i in range(x.ndim)])


# ----- joining and cutting ------------------------------------------------------------------------
def _joinable(name, tensors):
    """The tensors cast to their common dtype as PyTorch promotes: floats win over integers."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name}: expected a non-empty list of tensors")
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) > 1:
        floats = [d for d in dtypes if d.kind == "f"]
        common = xp.result_type(*(floats or dtypes))
        tensors = [t.to(common) for t in tensors]
    return tensors


def cat(tensors, dim=0):
    """The tensors joined along an existing dim; all other dims must agree."""
    tensors = _joinable("cat", tensors)
    shapes = [t.shape for t in tensors]
    ref = next((s for s in shapes if s != (0,)), shapes[0])
    if not ref:
        raise RuntimeError("cat: zero-dimensional tensors cannot be concatenated")
    dim = dim_index("cat", dim, ref)
    rest = ref[:dim] + ref[dim + 1:]
    for s in shapes:
        if s != (0,) and (len(s) != len(ref) or s[:dim] + s[dim + 1:] != rest):
            raise RuntimeError(f"cat: tensors must have the same shape except in dim {dim}, got "
                               f"shapes {', '.join(map(str, shapes))}")
    return Cat.apply(*tensors, dim=dim)


concatenate = concat = cat


def stack(tensors, dim=0):
    """The tensors (all of one shape) joined along a new dim."""
    tensors = _joinable("stack", tensors)
    shapes = [t.shape for t in tensors]
    if any(s != shapes[0] for s in shapes):
        raise RuntimeError(f"stack: expects tensors of equal shape, got shapes "
                           f"{', '.join(map(str, shapes))}")
    return Stack.apply(*tensors, dim=dim_index("stack", dim, shapes[0], extra=1))


def split(x, split_size_or_sections, dim=0):
    """Pieces of `split_size` along dim (the last may be smaller), or of the listed sizes: views."""
    dim = dim_index("split", dim, x.shape)
    size = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0 and not (step == 0 and size == 0):
            raise RuntimeError(f"split: split_size must be positive, got {step}")
        sections = [min(step, size - start) for start in range(0, size, step)] if step else [0]
    else:
        sections = list(split_size_or_sections)
        if sum(sections) != size or any(n < 0 for n in sections):
            raise RuntimeError(f"split: sections {sections} do not add up to dim {dim} of a "
                               f"tensor of shape {x.shape}")
    starts = [sum(sections[:i]) for i in range(len(sections))]
    return tuple(narrow(x, dim, start, n) for start, n in zip(starts, sections))


def chunk(x, chunks, dim=0):
    """At most `chunks` pieces of ceil(size / chunks) along dim."""
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be positive, got {chunks}")
    dim = dim_index("chunk", dim, x.shape)
    size = x.shape[dim]
    if size == 0:  # PyTorch gives `chunks` empty pieces here, though split(0) would give one
        return tuple(narrow(x, dim, 0, 0) for _ in range(chunks))
    return split(x, -(-size // chunks), dim)


def unbind(x, dim=0):
    """The slices along dim, that dim removed."""
    dim = dim_index("unbind", dim, x.shape)
    return tuple(select(x, dim, i) for i in range(x.shape[dim]))


# ----- padding, flipping, repeating, copying ------------------------------------------------------
def pad(x, pad, mode="constant", value=None):
    """torch.nn.functional.pad: pad = (left, right) for the last dim, then the one before ...;
    negative pads crop. Modes: constant, reflect, replicate, circular."""
    pad = tuple(operator.index(p) for p in pad)
    if len(pad) % 2 or len(pad) > 2 * x.ndim:
        raise RuntimeError(f"pad: the pad {pad} must have an even length of at most twice the "
                           f"dims of the tensor, shape {x.shape}")
    pairs = tuple(zip(pad[::2], pad[1::2]))
    if mode == "constant":
        if not any(pad):
            return x
        return ConstantPad.apply(x, pads=pairs, value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: mode {mode!r} is not supported")
    for back, (low, high) in enumerate(pairs):
        dim = x.ndim - 1 - back
        x = index_select(x, dim, _pad_positions(mode, x.shape[dim], low, high, x.shape))
    return x


def _pad_positions(mode, size, low, high, shape):
    """Which entry of x each padded position copies: a gather, so the gradient comes for free."""
    limit = size - 1 if mode == "reflect" else size
    if mode != "replicate" and (low > limit or high > limit) or size == 0:
        raise RuntimeError(f"pad: {mode} padding of ({low}, {high}) is too large for a dim of "
                           f"size {size} (tensor shape {shape})")
    positions = xp.arange(-low, size + high)
    if mode == "replicate":
        return xp.clip(positions, 0, size - 1)
    if mode == "circular":
        return positions % size
    positions = xp.abs(positions)  # reflect about the first and the last entry
    return xp.where(positions > size - 1, 2 * (size - 1) - positions, positions)


def flip(x, *dims):
    """x reversed along dims (a copy, as in PyTorch)."""
    dims = tuple(dim_index("flip", d, x.shape) for d in _sizes(dims))
    if len(set(dims)) != len(dims):
        raise RuntimeError(f"flip: dim appears more than once in {dims}")
    return Flip.apply(x, dims=dims)


def repeat(x, *sizes):
    """PyTorch's repeat (NumPy's tile): x tiled sizes[i] times along dim i."""
    sizes = _sizes(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(f"repeat: the number of repeats ({len(sizes)}) must be at least the "
                           f"number of dims of the tensor, shape {x.shape}")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    if all(r == 1 for r in sizes):  # still a copy, as in PyTorch
        return clone(_reshape(x, shape))
    # tile = expand a size-1 dim before each dim, then merge the pairs; expand's gradient sums
    interleaved = tuple(n for size in shape for n in (1, size))
    tiled = expand(_reshape(x, interleaved),
                   tuple(n for r, size in zip(sizes, shape) for n in (r, size)))
    return _reshape(tiled, tuple(r * size for r, size in zip(sizes, shape)))


def repeat_interleave(x, repeats, dim=None):
    """Each entry repeated `repeats` times along dim (x flattened when dim is None)."""
    if dim is None:
        x, dim = flatten(x), 0
    dim = dim_index("repeat_interleave", dim, x.shape)
    if isinstance(repeats, int):
        # a new size-1 dim after dim, expanded and merged: the gradient sums each group
        spread = expand(unsqueeze(x, dim + 1), x.shape[:dim + 1] + (repeats,) + x.shape[dim + 1:])
        return _reshape(spread, x.shape[:dim] + (x.shape[dim] * repeats,) + x.shape[dim + 1:])
    counts = repeats.array if isinstance(repeats, Tensor) else xp.asarray(repeats)
    return index_select(x, dim, xp.repeat(xp.arange(x.shape[dim]), counts.reshape(-1)))


def clone(x):
    """A copy of x that records the gradient (the identity)."""
    return Clone.apply(x)


def contiguous(x):
    """x itself when its memory is already C-ordered, else a C-ordered copy."""
    return x if x.array.flags.c_contiguous else Clone.apply(x)


TENSOR_METHODS = {
    "reshape": reshape, "view": view, "flatten": flatten, "unflatten": unflatten,
    "squeeze": squeeze, "unsqueeze": unsqueeze, "permute": permute, "transpose": transpose,
    "swapaxes": swapaxes, "swapdims": swapdims, "t": t, "movedim": movedim,
    "T": property(lambda x: permute(x, tuple(reversed(range(x.ndim))))),
    "mT": property(_matrix_transpose),
    "view_as": lambda x, other: view(x, other.shape),
    "reshape_as": lambda x, other: reshape(x, other.shape),
    "split": split, "chunk": chunk, "unbind": unbind, "flip": flip, "repeat": repeat,
    "repeat_interleave": repeat_interleave, "clone": clone, "contiguous": contiguous,
}
