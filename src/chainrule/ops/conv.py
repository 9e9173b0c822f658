"""Sliding windows, the primitive under convolution: UnfoldFunction (im2col) copies every window
of the input into a column, FoldFunction (col2im) adds the columns back into their windows. Each is
the other's gradient. A convolution is one node, `Convolution` (im2col, one matrix product, the
bias; `TransposedConvolution` is its adjoint), whose backward under create_graph is written with
the two, so it differentiates any number of times.
`Windows` holds the geometry (kernel, stride, dilation, padding) that pooling shares.

Memory layout: the batch goes last. Columns are (C, *kernel, *windows, N) and the arrays these ops
allocate are (C, *spatial, N) in memory, handed out as (N, C, *spatial) views. NumPy copies and adds
fastest along long contiguous runs; with N last, each kernel offset moves runs of windows·N
numbers instead of one image row, which makes UnfoldFunction about 2x and FoldFunction about 3x
faster here.
"""
import functools
import itertools
import math
import operator

from chainrule.autograd.function import Function
from chainrule.backend import xp

__all__ = ["unfold", "fold"]


class Windows:
    """The windows of a sliding kernel over the spatial dims (all dims after N and C).

    Along each spatial dim, window l of the padded input covers positions l·stride + k·dilation,
    k = 0 .. kernel-1; `pads` are (before, after) per dim; `out_size` is the number of windows.
    """

    def __init__(self, in_size, kernel, stride, dilation, pads, out_size):
        self.in_size, self.kernel, self.stride = tuple(in_size), tuple(kernel), tuple(stride)
        self.dilation, self.pads, self.out_size = tuple(dilation), tuple(pads), tuple(out_size)
        self.padded_size = tuple(n + low + high for n, (low, high) in zip(in_size, pads))
        self.offsets = list(itertools.product(*(range(k) for k in kernel)))
        # the spatial basic index of the positions that kernel offset k takes from every window
        spatial = [tuple(slice(o * d, o * d + s * (n - 1) + 1, s)
                         for o, d, s, n in zip(offset, dilation, stride, out_size))
                   for offset in self.offsets]
        self.slices = [(Ellipsis,) + where for where in spatial]                 # (N, C, *S)
        self.batch_last_slices = [(slice(None),) + where + (slice(None),) for where in spatial]
        self.padded = any(low or high for low, high in pads)
        inside = tuple(slice(low, low + n) for n, (low, _) in zip(in_size, pads))
        self.crop = (Ellipsis,) + inside
        self.batch_last_crop = (slice(None),) + inside + (slice(None),)

    def pad_batch_last(self, x, value):
        """x (N, C, *S) as a C-contiguous (C, *padded S, N) array, padded with value."""
        batch_last = to_batch_last(x)
        if not self.padded:
            return xp.ascontiguousarray(batch_last)  # free when x is already batch-last
        shape = x.shape[1:2] + self.padded_size + x.shape[:1]
        # zeros (calloc) where it can: full took 4 µs more at MNIST-1D's sizes
        out = xp.zeros(shape, x.dtype) if value == 0 else xp.full(shape, value, x.dtype)
        out[self.batch_last_crop] = batch_last
        return out

    def pad(self, x, value):
        """x padded with value, (N, C, *padded S) in x's memory layout; x itself if no padding."""
        if not self.padded:
            return x
        if not is_batch_last(x):
            out = xp.full(x.shape[:2] + self.padded_size, value, dtype=x.dtype)
            out[self.crop] = x
            return out
        return to_batch_first(self.pad_batch_last(x, value))

    def zeros_like(self, like, dtype):
        """Zeros of the padded input's shape (N, C, *padded S), in `like`'s memory layout (ops
        that mix layouts iterate against the grain and run several times slower)."""
        batch, channels = like.shape[:2]
        if not is_batch_last(like):
            return xp.zeros((batch, channels) + self.padded_size, dtype)
        return to_batch_first(xp.zeros((channels,) + self.padded_size + (batch,), dtype))


# Layers build the same windows on every call: build them once (they never change after __init__).
cached_windows = functools.lru_cache(maxsize=512)(Windows)


def is_batch_last(x):
    """Whether an (N, C, ...) array has its batch dim innermost in memory (as conv leaves it)."""
    return x.ndim > 1 and x.shape[0] > 1 and x.strides[0] < x.strides[-1]


def to_batch_last(x):
    """(N, C, *S) seen as (C, *S, N), a view (a transpose with a cached order: moveaxis checks
    its arguments in 9 µs, a few times per layer)."""
    return x.transpose(_batch_last_order(x.ndim))


def to_batch_first(x):
    """(C, *S, N) seen as (N, C, *S), a view."""
    return x.transpose(_batch_first_order(x.ndim))


@functools.cache
def _batch_last_order(ndim):
    return tuple(range(1, ndim)) + (0,)


@functools.cache
def _batch_first_order(ndim):
    return (ndim - 1,) + tuple(range(ndim - 1))


def sliding_size(size, kernel, stride, dilation, pads):
    """floor((n + before + after - dilation·(kernel - 1) - 1) / stride) + 1 along each dim."""
    return tuple((n + low + high - d * (k - 1) - 1) // s + 1
                 for n, k, s, d, (low, high) in zip(size, kernel, stride, dilation, pads))


def window_view(padded, windows):
    """The columns (C, *kernel, *windows, N) as a strided view of a batch-last padded input."""
    shape, strides = _view_geometry(windows, padded.shape, padded.strides)
    # an ndarray over padded's memory: as_strided does the same in 10x the time (9 µs)
    view = xp.ndarray(shape, padded.dtype, padded, 0, strides)
    view.flags.writeable = False
    return view


@functools.lru_cache(maxsize=512)
def _view_geometry(windows, shape, strides):
    channel, *spatial, batch = strides
    strides = ((channel,) + tuple(d * step for d, step in zip(windows.dilation, spatial)) +
               tuple(s * step for s, step in zip(windows.stride, spatial)) + (batch,))
    return shape[:1] + windows.kernel + windows.out_size + shape[-1:], strides


def unfold_array(x, windows):
    """im2col on arrays: (N, C, *S) -> the C-contiguous columns (C, *kernel, *windows, N)."""
    # the one copy of im2col: every window laid out for a single matrix product
    return xp.ascontiguousarray(window_view(windows.pad_batch_last(x, 0), windows))


# A convolution makes and uses its columns a block at a time: a block, written by the copy and read
# at once by the product, stays in the core's cache (L2: 2 MB here). Made whole (5 MB for LeNet's
# first layer) they went out to memory and back, and unfold + product ran ~2x slower.
BLOCK_BYTES = 512 * 1024


def column_blocks(view, groups):
    """(columns, block) for consecutive blocks of the im2col view (C, *kernel, *windows, N): each
    a whole number of steps along the first window dim, `columns` its range in the flattened
    (windows, N), `block` its copy as (rows, width) or per group (groups, rows/groups, width).
    One buffer serves every block: use each before asking for the next."""
    kernel_dims = (view.ndim - 2) // 2
    rows = math.prod(view.shape[:1 + kernel_dims])
    shape = ((groups, rows // groups) if groups > 1 else (rows,)) + (-1,)
    if view.nbytes <= BLOCK_BYTES:   # one block: no buffer to carve (MNIST-1D's layers)
        yield slice(None), xp.ascontiguousarray(view).reshape(shape)
        return
    height, per_step = view.shape[1 + kernel_dims], math.prod(view.shape[2 + kernel_dims:])
    step = max(1, BLOCK_BYTES // (rows * per_step * view.itemsize))
    buffer = xp.empty(rows * min(step, height) * per_step, view.dtype)
    for start in range(0, height, step):
        part = view[(slice(None),) * (1 + kernel_dims) + (slice(start, start + step),)]
        block = buffer[:part.size].reshape(part.shape)
        xp.copyto(block, part)
        stop = start + part.shape[1 + kernel_dims]
        yield slice(start * per_step, stop * per_step), block.reshape(shape)


def fold_array(cols, windows):
    """col2im on arrays: columns (C, *kernel, *windows, N) -> (N, C, *S), overlaps added."""
    out = xp.zeros(cols.shape[:1] + windows.padded_size + cols.shape[-1:], dtype=cols.dtype)
    # one strided add per kernel offset, each covering every window at once
    for offset, where in zip(windows.offsets, windows.batch_last_slices):
        out[where] += cols[(slice(None),) + offset]
    out = out[windows.batch_last_crop] if windows.padded else out
    return to_batch_first(out)


class UnfoldFunction(Function):
    """cols[c, k, l, n] = x_padded[n, c, l·stride + k·dilation] for every kernel offset k and
    window l (each a tuple over the spatial dims);  dx = FoldFunction(dcols)"""
    save_inputs = False

    def forward(self, x, windows):
        self.windows = windows
        return unfold_array(x, windows)

    def backward(self, grad):
        return FoldFunction.apply(grad, windows=self.windows)


class FoldFunction(Function):
    """x[n, c, p] = Σ cols[c, k, l, n] over the (k, l) with l·stride + k·dilation = p, padding
    cropped (the adjoint of UnfoldFunction: overlapping windows add up);
    dcols = UnfoldFunction(dx)"""
    save_inputs = False

    def forward(self, cols, windows):
        self.windows = windows
        return fold_array(cols, windows)

    def backward(self, grad):
        return UnfoldFunction.apply(grad, windows=self.windows)


class Convolution(Function):
    """y[o, l, n] = b[o] + Σ_r w[o, r] cols[r, l, n], cols = UnfoldFunction(x) with r = (c, k)
    (each group of channels on its own);  dw = dy colsᵀ,  db = Σ_{l, n} dy,  dx = fold(wᵀ dy).

    Convolution as one node: im2col, the product and the bias add in forward. On arrays the
    columns are made a block at a time (column_blocks) and never kept: backward makes them again.
    The backward formula is written once, on arrays in a plain backward (no Tensor per term) and
    on Tensors under create_graph (the columns by UnfoldFunction, so that the weight gradient
    stays differentiable in x)."""

    def forward(self, x, w, b=None, windows=None, groups=1):
        self.windows, self.groups = windows, groups
        self.padded = windows.pad_batch_last(x, 0)
        lead = (groups,) if groups > 1 else ()
        w_rows = w.reshape(lead + (w.shape[0] // groups, -1))
        out = xp.empty(w_rows.shape[:-1] + (math.prod(windows.out_size) * x.shape[0],), x.dtype)
        for columns, block in column_blocks(window_view(self.padded, windows), groups):
            xp.matmul(w_rows, block, out=out[..., columns])
        if b is not None:
            out += b.reshape(out.shape[:-1] + (1,))
        # (O, *out, N) in memory, seen as (N, O, *out): the next layer's unfold needs no copy
        return to_batch_first(out.reshape(w.shape[:1] + windows.out_size + x.shape[:1]))

    def backward(self, grad):
        grad, inputs, recording = self.operands(grad)
        x, w = inputs[0], inputs[1]
        needs, groups, windows = self.needs_input_grad, self.groups, self.windows
        # dy as (O, L·N), or (groups, O/groups, L·N): free when dy is batch-last, as conv makes it
        dy = (grad.movedim(0, -1) if recording else to_batch_last(grad)).reshape(
            ((groups,) if groups > 1 else ()) + (w.shape[0] // groups, -1))
        grad_x = grad_w = grad_b = None
        if needs[0]:
            cols_shape = x.shape[1:2] + windows.kernel + windows.out_size + x.shape[:1]
            dcols = (w.reshape(dy.shape[:-1] + (-1,)).mT @ dy).reshape(cols_shape)
            grad_x = FoldFunction.apply(dcols, windows=windows) if recording else fold_array(
                dcols, windows)
        if needs[1] and recording:
            cols = UnfoldFunction.apply(x, windows=windows)
            grad_w = (dy @ cols.reshape(dy.shape[:-2] + (-1, dy.shape[-1])).mT).reshape(w.shape)
        elif needs[1]:
            grad_w = self._weight_grad(dy, w.shape)
        if len(needs) == 3 and needs[2]:
            grad_b = dy.sum(-1).reshape(w.shape[:1])
        return grad_x, grad_w, grad_b

    def _weight_grad(self, dy, shape):
        """dy colsᵀ on arrays, summed over the column blocks; each as (block dyᵀ)ᵀ, which
        OpenBLAS ran 1.5-3x faster than dy blockᵀ here."""
        total = None
        for columns, block in column_blocks(window_view(self.padded, self.windows), self.groups):
            part = xp.matmul(block, dy[..., columns].mT)
            total = part if total is None else xp.add(total, part, out=total)
        return total.mT.reshape(shape)


class TransposedConvolution(Function):
    """cols[r, l, n] = Σ_c w[c, r] x[n, c, l] with r = (o, k);  y = fold(cols) + b (each group
    of channels on its own): the adjoint of Convolution in its input;
    dx = w · unfold(dy),  dw = x unfold(dy)ᵀ,  db = Σ_{n, l} dy.

    One node, as Convolution; here `windows` are those of the output, whose windows the input's
    positions are. The backward is written once, on arrays and on Tensors (operands)."""

    def forward(self, x, w, b=None, windows=None, groups=1):
        self.windows, self.groups = windows, groups
        pixels = _pixels(x, groups, False)
        cols = xp.matmul(w.reshape(pixels.shape[:-2] + (w.shape[0] // groups, -1)).mT, pixels)
        out = fold_array(cols.reshape((w.shape[1] * groups,) + w.shape[2:] + x.shape[2:] +
                                      x.shape[:1]), windows)
        if b is not None:
            out += b.reshape(b.shape + (1,) * len(windows.kernel))
        return out

    def backward(self, grad):
        grad, inputs, recording = self.operands(grad)
        x, w = inputs[0], inputs[1]
        needs, groups, windows = self.needs_input_grad, self.groups, self.windows
        pixels_shape = ((groups,) if groups > 1 else ()) + (w.shape[0] // groups, -1)
        dcols = (UnfoldFunction.apply(grad, windows=windows) if recording else
                 unfold_array(grad, windows)).reshape(pixels_shape[:-2] + (
                     math.prod(w.shape[1:]), -1))
        w_rows = w.reshape(pixels_shape[:-1] + (-1,))
        grad_x = grad_w = grad_b = None
        if needs[0]:
            grad_x = (w_rows @ dcols).reshape(x.shape[1:2] + x.shape[2:] + x.shape[:1])
            grad_x = grad_x.movedim(-1, 0) if recording else to_batch_first(grad_x)
        if needs[1]:
            grad_w = (_pixels(x, groups, recording) @ dcols.mT).reshape(w.shape)
        if len(needs) == 3 and needs[2]:
            grad_b = grad.sum((0,) + tuple(range(2, grad.ndim)))
        return grad_x, grad_w, grad_b


def _pixels(x, groups, recording):
    """(N, C, *S) as (C, S·N) or (groups, C/groups, S·N) matrices, batch last."""
    moved = x.movedim(0, -1) if recording else to_batch_last(x)
    return moved.reshape(((groups,) if groups > 1 else ()) + (x.shape[1] // groups, -1))


# ----- the public functions ----------------------------------------------------------------------
def as_tuple(name, value, dims, what, minimum=0):
    """An int or a sequence of `dims` ints, as a tuple; a clear error otherwise."""
    values = (value,) * dims if isinstance(value, int) else tuple(value)
    if len(values) != dims or not all(isinstance(v, int) for v in values):
        raise ValueError(f"{name}: {what} must be an int or a tuple of {dims} ints, got {value!r}")
    if any(v < minimum for v in values):
        raise ValueError(f"{name}: {what} must be at least {minimum}, got {value!r}")
    return values


def _window_args(name, kernel_size, dilation, padding, stride, dims=2):
    kernel = as_tuple(name, kernel_size, dims, "kernel_size", 1)
    dilation = as_tuple(name, dilation, dims, "dilation", 1)
    pads = tuple((p, p) for p in as_tuple(name, padding, dims, "padding"))
    return kernel, dilation, pads, as_tuple(name, stride, dims, "stride", 1)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """torch.nn.functional.unfold: (N, C, H, W) -> (N, C·kH·kW, L), every sliding window of the
    zero-padded input as a column, L = the number of windows; an unbatched (C, H, W) gives
    (C·kH·kW, L), as torch."""
    if input.ndim == 3:
        return unfold(input.unsqueeze(0), kernel_size, dilation, padding, stride).squeeze(0)
    if input.ndim != 4:
        raise RuntimeError(f"unfold: expected a 3-D (C, H, W) or 4-D (N, C, H, W) input, got "
                           f"shape {input.shape}")
    kernel, dilation, pads, stride = _window_args("unfold", kernel_size, dilation, padding, stride)
    out = sliding_size(input.shape[2:], kernel, stride, dilation, pads)
    if min(out) <= 0:
        raise RuntimeError(f"unfold: input of shape {input.shape} padded by {padding} is smaller "
                           f"than the dilated kernel {kernel} (dilation {dilation})")
    windows = cached_windows(input.shape[2:], kernel, stride, dilation, pads, out)
    cols = UnfoldFunction.apply(input, windows=windows)
    batch, channels = input.shape[:2]
    return cols.movedim(-1, 0).reshape(batch, channels * math.prod(kernel), math.prod(out))


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """torch.nn.functional.fold: (N, C·kH·kW, L) -> (N, C, *output_size), each column added back
    into its window (overlaps sum); the inverse arrangement of unfold. An unbatched
    (C·kH·kW, L) gives (C, *output_size), as torch."""
    if input.ndim == 2:
        return fold(input.unsqueeze(0), output_size, kernel_size, dilation, padding,
                    stride).squeeze(0)
    size = tuple(map(operator.index, (output_size,) * 2 if isinstance(output_size, int)
                     else output_size))
    kernel, dilation, pads, stride = _window_args("fold", kernel_size, dilation, padding, stride)
    out = sliding_size(size, kernel, stride, dilation, pads)
    count = math.prod(kernel)
    if input.ndim != 3 or input.shape[1] % count or input.shape[2] != math.prod(out):
        raise RuntimeError(f"fold: expected input of shape (N, C·{count}, {math.prod(out)}) for "
                           f"output_size {size} and kernel_size {kernel}, got {input.shape}")
    batch, channels = input.shape[0], input.shape[1] // count
    cols = input.reshape((batch, channels) + kernel + out).movedim(0, -1)
    windows = cached_windows(size, kernel, stride, dilation, pads, out)
    return FoldFunction.apply(cols, windows=windows)
