"""Pooling: the max or the average of each sliding window, over 1, 2 or 3 spatial dims.

Both loop over the kernel offsets (a handful), never over windows: offset k of every window at
once is one strided slice of the padded input. Window geometry is chainrule.ops.conv.Windows.
Results keep the input's memory layout (batch last after a convolution), so that no op here
works against the grain of another.
"""
import functools

from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.conv import (FoldFunction, as_tuple, cached_windows, fold_array,
                               is_batch_last, to_batch_last)
from chainrule.ops.unary import Mask
from chainrule.tensor import Tensor

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d", "avg_pool3d"]


class MaxPool(Function):
    """y[n, c, l] = max over kernel offsets k of x_padded[n, c, l·stride + k·dilation] (padding
    is -inf);  dx = dy routed to the first maximum of each window, in scan order as torch does.

    With `hits` given (one mask per offset saying which windows it wins), y takes x at those
    positions instead: the gradient of ScatterHits, so max pooling differentiates twice.
    """
    save_output = True

    def forward(self, x, windows, hits=None):
        self.windows, self.hits = windows, hits
        if hits is not None:
            padded = windows.pad(x, 0)  # hits never pick padding, and 0·(-inf) would be NaN
            out = xp.zeros_like(hits[0], dtype=x.dtype)  # in x's memory layout, as are hits
            for hit, where in zip(hits, windows.slices):
                out += hit * padded[where]
            return out
        padded = windows.pad(x, _lowest(x.dtype))
        out = padded[windows.slices[0]].copy(order="K")  # keeps x's layout (batch last or not)
        for where in windows.slices[1:]:
            xp.maximum(out, padded[where], out=out)  # NaN propagates, as in torch
        return out

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        if self.hits is None:
            x = self.inputs[0].array
            self.hits = first_hits(self.windows.pad(x, _lowest(x.dtype)), self.out, self.windows)
        if not recording:
            return scatter_hits(grad, self.windows, self.hits)
        grad_input = ScatterHits.apply(grad, windows=self.windows, hits=self.hits)
        # create_graph: keep x in the gradient's graph, as torch does (Mask)
        return grad_input + Mask.apply(self.inputs[0], mask=0)


class ScatterHits(Function):
    """y = zeros of the input's (padded) shape with y[the position offset k takes from window l]
    += x[l] wherever hits[k][l], padding cropped;  dx = MaxPool of dy with the same hits"""
    save_inputs = False

    def forward(self, grad, windows, hits):
        self.windows, self.hits = windows, hits
        return scatter_hits(grad, windows, hits)

    def backward(self, grad):
        return MaxPool.apply(grad, windows=self.windows, hits=self.hits)


def scatter_hits(grad, windows, hits):
    """ScatterHits on arrays."""
    if is_batch_last(grad) != is_batch_last(hits[0]):
        # one copy into the masks' layout: multiplying across layouts runs ~10x slower
        grad = _copy_as(grad, hits[0])
    out = windows.zeros_like(hits[0], grad.dtype)  # the layout of the pooled input
    overlapping = any(s < d * (k - 1) + 1 for s, d, k in
                      zip(windows.stride, windows.dilation, windows.kernel))
    for hit, where in zip(hits, windows.slices):
        target = out[where]
        if overlapping:   # windows share positions: add to what the others wrote
            target += hit * grad
        else:             # each position is in one window: write, skipping a temporary
            xp.multiply(hit, grad, out=target)
    return out[windows.crop] if windows.padded else out


def _copy_as(a, like):
    """A copy of a in like's memory layout."""
    out = xp.empty_like(like, dtype=a.dtype)
    out[...] = a
    return out


def first_hits(padded, out, windows):
    """For each kernel offset, a mask of the windows whose maximum it holds first in scan order
    (row-major over the kernel): on ties the gradient goes to one position only, as in torch."""
    hits, taken = [], None
    for where in windows.slices:
        hit = padded[where] == out
        if taken is None:
            taken = hit.copy(order="K")  # in the layout of the other masks
        else:
            xp.greater(hit, taken, out=hit)        # hit and not taken yet (True > False)
            xp.logical_or(taken, hit, out=taken)
        hits.append(hit)
    return hits


class AvgPool(Function):
    """y[n, c, l] = Σ_k x_padded[n, c, l·stride + k] / divisor[l] (padding is 0);
    dx = FoldFunction(dy / divisor, spread over every offset of each window), written once for
    arrays and Tensors (operands)"""
    save_inputs = False

    def forward(self, x, windows, divisor):
        self.windows, self.divisor = windows, divisor
        padded = windows.pad(x, 0)
        out = padded[windows.slices[0]].copy(order="K")
        for where in windows.slices[1:]:
            out += padded[where]
        out /= divisor
        return out

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        windows, divisor = self.windows, self.divisor
        if recording and not isinstance(divisor, (int, float)):
            divisor = Tensor._make(divisor)
        # FoldFunction's columns are (C, *kernel, *windows, N): each kernel offset gets one share
        batch, channels = grad.shape[:2]
        share = grad / divisor
        share = (share.movedim(0, -1) if recording else to_batch_last(share)).reshape(
            (channels,) + (1,) * len(windows.kernel) + windows.out_size + (batch,))
        cols_shape = (channels,) + windows.kernel + windows.out_size + (batch,)
        if recording:
            return FoldFunction.apply(share.expand(cols_shape), windows=windows)
        return fold_array(xp.broadcast_to(share, cols_shape), windows)


def _lowest(dtype):
    return -xp.inf if dtype.kind == "f" else xp.iinfo(dtype).min


# ----- geometry as torch computes it -------------------------------------------------------------
def pooled_size(n, kernel, stride, padding, dilation, ceil_mode):
    """torch's pooling_output_shape: windows that start in the input or its left padding."""
    reach = n + 2 * padding - dilation * (kernel - 1) - 1
    out = (reach + (stride - 1 if ceil_mode else 0)) // stride + 1
    if ceil_mode and (out - 1) * stride >= n + padding:
        out -= 1
    return out


def pool_windows(name, x, dims, kernel_size, stride, padding, dilation, ceil_mode):
    """Check pooling arguments as torch does and return the Windows (padding on the right is
    extended where ceil_mode lets the last window hang over the edge)."""
    if x.ndim not in (dims + 1, dims + 2) or 0 in x.shape[-dims - 1:]:
        raise RuntimeError(f"{name}: expected a {dims + 1}-D or {dims + 2}-D (batched) input with "
                           f"non-zero channel and spatial sizes, got shape {x.shape}")
    kernel = as_tuple(name, kernel_size, dims, "kernel_size", 1)
    stride = kernel if stride is None or stride == [] else as_tuple(name, stride, dims,
                                                                    "stride", 1)
    padding = as_tuple(name, padding, dims, "padding")
    dilation = as_tuple(name, dilation, dims, "dilation", 1)
    for k, p, d in zip(kernel, padding, dilation):
        if p > ((k - 1) * d + 1) // 2:
            raise RuntimeError(f"{name}: pad should be at most half of effective kernel size, but "
                               f"got pad={p}, kernel_size={k} and dilation={d}")
    size = x.shape[-dims:]
    out = tuple(pooled_size(*args, ceil_mode) for args in zip(size, kernel, stride, padding,
                                                              dilation))
    if min(out) <= 0:
        raise RuntimeError(f"{name}: input of spatial size {size} gives an output of size {out}, "
                           f"which is too small (kernel_size={kernel}, stride={stride}, "
                           f"padding={padding}, dilation={dilation})")
    pads = tuple((p, max(p, (o - 1) * s + d * (k - 1) + 1 - n - p))
                 for n, k, s, p, d, o in zip(size, kernel, stride, padding, dilation, out))
    return cached_windows(size, kernel, stride, dilation, pads, out)


def _batched(x, dims):
    return x if x.ndim == dims + 2 else x.unsqueeze(0)


def _unbatched(y, x, dims):
    return y if x.ndim == dims + 2 else y.squeeze(0)


def _max_pool(name, dims, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    windows = pool_windows(name, x, dims, kernel_size, stride, padding, dilation, ceil_mode)
    batched = _batched(x, dims)
    out = MaxPool.apply(batched, windows=windows)
    if not return_indices:
        return _unbatched(out, x, dims)
    padded = windows.pad(batched.array, _lowest(x.dtype))
    indices = _flat_indices(first_hits(padded, out.array, windows), windows)
    return _unbatched(out, x, dims), _unbatched(Tensor._make(indices), x, dims)


def _flat_indices(hits, windows):
    """Where each window's winner lies in the flattened (unpadded) spatial dims, as torch's
    return_indices gives it."""
    indices = xp.zeros(hits[0].shape, dtype=xp.int64)
    for hit, offset in zip(hits, windows.offsets):
        flat = 0
        for axis, (k, n, o, s, d, (low, _)) in enumerate(zip(
                offset, windows.in_size, windows.out_size, windows.stride, windows.dilation,
                windows.pads)):
            position = xp.arange(o) * s - low + k * d
            flat = flat * n + position.reshape((o,) + (1,) * (len(offset) - axis - 1))
        xp.copyto(indices, flat, where=hit)
    return indices


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum of each window: (N, C, L) -> (N, C, L_out), or (C, L) -> (C, L_out)."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum of each window: (N, C, H, W) -> (N, C, H_out, W_out), or unbatched."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum of each window: (N, C, D, H, W) -> (N, C, D_out, H_out, W_out), or unbatched."""
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def _avg_pool(name, dims, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    if x.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating-point input, got {x.dtype}")
    windows = pool_windows(name, x, dims, kernel_size, stride, padding, 1, ceil_mode)
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError(f"{name}: divisor_override must be non-zero")
    divisor = divisor_override or _divisor(windows, count_include_pad, x.dtype)
    return _unbatched(AvgPool.apply(_batched(x, dims), windows=windows, divisor=divisor), x, dims)


@functools.lru_cache(maxsize=256)
def _divisor(windows, count_include_pad, dtype):
    """What each window's sum is divided by, as torch counts it: the window clipped to the
    input and its padding (count_include_pad) or to the input alone; a number if all agree.
    (Cached: `windows` are cached too, so a layer computes this once.)"""
    divisor = 1
    for axis, (n, k, s, (low, _), o) in enumerate(zip(
            windows.in_size, windows.kernel, windows.stride, windows.pads, windows.out_size)):
        start = xp.arange(o) * s - low
        end = xp.minimum(start + k, n + low)  # ceil_mode's overhang past the padding: not counted
        if not count_include_pad:
            start, end = xp.maximum(start, 0), xp.minimum(end, n)
        divisor = divisor * (end - start).reshape((o,) + (1,) * (len(windows.kernel) - axis - 1))
    if (divisor == divisor.flat[0]).all():
        return int(divisor.flat[0])
    divisor = divisor.astype(dtype)
    divisor.flags.writeable = False  # shared by every call through the cache
    return divisor


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """The mean of each window: (N, C, L) -> (N, C, L_out), or (C, L) -> (C, L_out)."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The mean of each window: (N, C, H, W) -> (N, C, H_out, W_out), or unbatched."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The mean of each window: (N, C, D, H, W) -> (N, C, D_out, H_out, W_out), or unbatched."""
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)
