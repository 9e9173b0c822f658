"""Joining and cutting tensors: cat (concatenate, concat) and stack; split and chunk, whose pieces
are views (unbind, which cuts a tensor into all its slices, has its own module, ops/unbind.py); and
the ops that make a larger tensor from one (pad, repeat and repeat_interleave) or rearrange one
(flip and roll).
"""
import operator

from chainrule.autograd.function import Function, NotATensorError, not_a_tensor_message
from chainrule.backend import xp
from chainrule.ops.broadcast import expand
from chainrule.ops.dims import int_args, normalize_dim, normalize_dims
from chainrule.ops.index import index_select, narrow, select
from chainrule.ops.shape import clone, flatten, reshape_to, unsqueeze
from chainrule.tensor import Tensor

__all__ = ["cat", "concatenate", "concat", "stack", "split", "chunk", "pad", "flip", "roll",
           "repeat", "repeat_interleave"]


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
        grad, _, recording = self.operands(grad)
        grads, start = [], 0
        lead = (slice(None),) * self.dim
        for size, need in zip(self.sizes, self.needs_input_grad):
            if size is None:
                grads.append(xp.zeros((0,), grad.dtype) if need else None)
                continue
            if need:   # the slice of dy: a view (of the array, in a plain backward)
                grads.append(narrow(grad, self.dim, start, size) if recording
                             else grad[lead + (slice(start, start + size),)])
            else:
                grads.append(None)
            start += size
        return tuple(grads)


class Stack(Function):
    """y = [x1, x2, ...] stacked along a new dim;  dxi = dy[..., i, ...] at that dim"""
    save_inputs = False

    def forward(self, *arrays, dim):
        self.dim = dim
        return xp.stack(arrays, axis=dim)

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        lead = (slice(None),) * self.dim
        return tuple([(select(grad, self.dim, i) if recording else grad[lead + (i,)])
                      if need else None for i, need in enumerate(self.needs_input_grad)])


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


class Roll(Function):
    """y = x shifted cyclically by shifts along dims (x flattened when dims is None);
    dx = dy shifted back"""
    save_inputs = False

    def forward(self, x, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return xp.roll(x, shifts, axis=dims)

    def backward(self, grad):
        return Roll.apply(grad, shifts=tuple(-shift for shift in self.shifts), dims=self.dims)


# ----- joining ------------------------------------------------------------------------------------
def _joinable(name, tensors):
    """The tensors cast to their common dtype as PyTorch promotes: floats win over integers."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError(f"{name}: expected a non-empty list of tensors")
    for position, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise NotATensorError(not_a_tensor_message(name, position, t, "element"))
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
    dim = normalize_dim("cat", dim, ref)
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
    return Stack.apply(*tensors, dim=normalize_dim("stack", dim, shapes[0], extra=1))


# ----- cutting: each piece a view -----------------------------------------------------------------
def split(x, split_size_or_sections, dim=0):
    """Pieces of `split_size` along dim (the last may be smaller), or of the listed sizes: views."""
    dim = normalize_dim("split", dim, x.shape)
    size = x.shape[dim]
    if not isinstance(split_size_or_sections, (tuple, list)):
        split_size_or_sections = _as_int("split", "split_size_or_sections",
                                         split_size_or_sections, " or a list of ints")
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


def _as_int(name, what, value, alternative=""):
    try:
        return operator.index(value)
    except TypeError:
        raise TypeError(f"{name}: {what} must be an int{alternative}, got {value!r}") from None


def chunk(x, chunks, dim=0):
    """At most `chunks` pieces of ceil(size / chunks) along dim."""
    chunks = _as_int("chunk", "chunks", chunks)
    if chunks <= 0:
        raise RuntimeError(f"chunk: chunks must be positive, got {chunks}")
    dim = normalize_dim("chunk", dim, x.shape)
    size = x.shape[dim]
    if size == 0:  # PyTorch gives `chunks` empty pieces here, though split(0) would give one
        return tuple(narrow(x, dim, 0, 0) for _ in range(chunks))
    return split(x, -(-size // chunks), dim)


# ----- padding, flipping, repeating ---------------------------------------------------------------
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
            return clone(x)   # a new tensor, as in torch: changing it must not change x
        return ConstantPad.apply(x, pads=pairs, value=0 if value is None else value)
    if mode not in ("reflect", "replicate", "circular"):
        raise NotImplementedError(f"pad: mode {mode!r} is not supported")
    if x.ndim not in (len(pairs) + 1, len(pairs) + 2):   # torch: (C, *) or (N, C, *) only
        raise NotImplementedError(
            f"pad: {mode} padding of {len(pairs)} dim(s) (pad {pad}) needs an input of "
            f"{len(pairs) + 1} or {len(pairs) + 2} dims, got shape {x.shape}")
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


def flip(x, *args, dims=None):
    """x reversed along dims (a copy, as in PyTorch): flip(x, (0, 1)), x.flip(0, 1),
    x.flip([0, 1]) and x.flip(dims=(0, 1)) all read the same."""
    if dims is None:
        if not args:
            raise TypeError(f"flip: missing the dims to flip (tensor of shape {x.shape})")
        dims = args
    elif args:
        raise TypeError(f"flip: dims given both by position {args} and as dims={dims!r}")
    elif not isinstance(dims, (tuple, list)):
        dims = (dims,)
    return Flip.apply(x, dims=normalize_dims("flip", int_args(dims), x.shape))


def roll(x, shifts, dims=None):
    """x shifted cyclically: by shifts[i] along dims[i]; without dims, x flattened is shifted
    and its shape restored."""
    shifts = _int_tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"roll: without dims, shifts must be one int, got {shifts} "
                               f"(tensor of shape {x.shape})")
        return Roll.apply(x, shifts=shifts, dims=None)
    if x.ndim == 0:
        raise IndexError(f"roll: dims {dims!r} given for a 0-d tensor, which has none; "
                         "leave dims out")
    dims = tuple(normalize_dim("roll", dim, x.shape) for dim in _int_tuple(dims))
    if len(shifts) != len(dims):
        raise RuntimeError(f"roll: shifts {shifts} and dims {dims} must have the same length "
                           f"(tensor of shape {x.shape})")
    return Roll.apply(x, shifts=shifts, dims=dims)


def _int_tuple(values):
    if isinstance(values, (tuple, list)):
        return tuple(operator.index(value) for value in values)
    return (operator.index(values),)


def repeat(x, *sizes):
    """PyTorch's repeat (NumPy's tile): x tiled sizes[i] times along dim i."""
    sizes = int_args(sizes)
    if len(sizes) < x.ndim:
        raise RuntimeError(f"repeat: the number of repeats ({len(sizes)}) must be at least the "
                           f"number of dims of the tensor, shape {x.shape}")
    if any(r < 0 for r in sizes):
        raise RuntimeError(f"repeat: repeats must be non-negative, got {sizes} (tensor of shape "
                           f"{x.shape})")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    if all(r == 1 for r in sizes):  # still a copy, as in PyTorch
        return clone(reshape_to(x, shape))
    # tile = expand a size-1 dim before each dim, then merge the pairs; expand's gradient sums
    interleaved = tuple(n for size in shape for n in (1, size))
    tiled = expand(reshape_to(x, interleaved),
                   tuple(n for r, size in zip(sizes, shape) for n in (r, size)))
    return reshape_to(tiled, tuple(r * size for r, size in zip(sizes, shape)))


def repeat_interleave(x, repeats, dim=None):
    """Each entry repeated `repeats` times along dim (x flattened when dim is None)."""
    if dim is None:
        x, dim = flatten(x), 0
    dim = normalize_dim("repeat_interleave", dim, x.shape)
    if isinstance(repeats, int):
        _check_repeat_counts(x, dim, xp.asarray(repeats))
        # a new size-1 dim after dim, expanded and merged: the gradient sums each group
        spread = expand(unsqueeze(x, dim + 1), x.shape[:dim + 1] + (repeats,) + x.shape[dim + 1:])
        return reshape_to(spread, x.shape[:dim] + (x.shape[dim] * repeats,) + x.shape[dim + 1:])
    counts = repeats.array if isinstance(repeats, Tensor) else xp.asarray(repeats)
    _check_repeat_counts(x, dim, counts)
    return index_select(x, dim, xp.repeat(xp.arange(x.shape[dim]), counts.reshape(-1)))


def _check_repeat_counts(x, dim, counts):
    # NumPy's own messages name neither the op nor the shapes
    if counts.dtype.kind not in "iub":
        raise RuntimeError(f"repeat_interleave: repeats must be integers, got {counts.dtype}")
    if counts.ndim > 1 or (counts.size != 1 and counts.size != x.shape[dim]):
        raise RuntimeError(f"repeat_interleave: repeats must be one int or one per entry of dim "
                           f"{dim} (size {x.shape[dim]}) of a tensor of shape {x.shape}, got "
                           f"repeats of shape {counts.shape}")
    if counts.size and counts.min() < 0:
        raise RuntimeError(f"repeat_interleave: repeats must be non-negative, got a minimum of "
                           f"{counts.min()} (tensor of shape {x.shape})")


TENSOR_METHODS = {
    "split": split, "chunk": chunk, "flip": flip, "roll": roll, "repeat": repeat,
    "repeat_interleave": repeat_interleave,
}
