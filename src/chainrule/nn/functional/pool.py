"""Pooling: max and average pooling (primitives from chainrule.ops.pool); adaptive average
pooling, written here as a composition: a mean over reshaped blocks, or two products with
constant averaging matrices where the blocks are uneven; adaptive max pooling (a max over gathered
windows), power-average pooling and max unpooling (a scatter), compositions as well."""
import functools
import math

from chainrule.backend import xp
from chainrule.ops.pool import (avg_pool1d, avg_pool2d, avg_pool3d, max_pool1d, max_pool2d,
                                max_pool3d)
from chainrule.ops.compare import where
from chainrule.ops.conv import as_tuple
from chainrule.tensor import Tensor

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "avg_pool1d",
           "avg_pool2d", "avg_pool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d", "max_pool1d",
           "max_pool2d",
           "max_pool3d", "max_unpool1d", "max_unpool2d", "max_unpool3d"]


@functools.lru_cache(maxsize=64)
def averaging_matrix(size, out, dtype):
    """A (out, size) matrix whose row i averages input positions floor(i·size/out) up to
    ceil((i+1)·size/out), torch's adaptive windows (which overlap where size/out is not whole)."""
    rows = xp.arange(out)
    start, end = rows * size // out, -(-(rows + 1) * size // out)
    positions = xp.arange(size)
    inside = (positions >= start[:, None]) & (positions < end[:, None])
    matrix = (inside / (end - start)[:, None]).astype(dtype)
    matrix.flags.writeable = False
    return matrix


def _output_size(name, input, output_size, dims):
    if input.ndim not in (dims + 1, dims + 2) or 0 in input.shape[-dims - 1:]:
        raise RuntimeError(f"{name}: expected a {dims + 1}-D or {dims + 2}-D (batched) input "
                           f"with non-zero channel and spatial sizes, got shape {input.shape}")
    requested = (output_size,) * dims if output_size is None or isinstance(output_size, int) \
        else tuple(output_size)
    if len(requested) != dims:
        raise RuntimeError(f"{name}: output_size must have {dims} entries, got {output_size!r}")
    size = input.shape[-dims:]
    out = tuple(n if o is None else o for n, o in zip(size, requested))
    if min(out) <= 0:
        raise RuntimeError(f"{name}: output_size must be positive, got {output_size!r}")
    return size, out


def _adaptive_avg_pool(name, input, output_size, dims):
    size, out = _output_size(name, input, output_size, dims)
    lead = input.shape[:-dims]
    if all(n % o == 0 for n, o in zip(size, out)):
        # even blocks: the windows are the blocks of a reshape, each a plain mean
        blocks = lead + sum(((o, n // o) for n, o in zip(size, out)), ())
        return input.reshape(blocks).mean(tuple(range(len(lead) + 1, len(blocks), 2)))
    # uneven windows: average along each dim in turn with a constant matrix
    for axis, (n, o) in enumerate(zip(size, out)):
        matrix = Tensor._make(averaging_matrix(n, o, input.dtype))
        moved = input.movedim(input.ndim - dims + axis, -1)
        input = moved.matmul(matrix.mT).movedim(-1, input.ndim - dims + axis)
    return input


def adaptive_avg_pool1d(input, output_size):
    """The mean of torch's adaptive windows: (N, C, L) -> (N, C, output_size), or unbatched."""
    return _adaptive_avg_pool("adaptive_avg_pool1d", input, output_size, 1)


def adaptive_avg_pool2d(input, output_size):
    """The mean of torch's adaptive windows: (N, C, H, W) -> (N, C, *output_size), or unbatched;
    an int is used for both dims, None keeps that dim's size."""
    return _adaptive_avg_pool("adaptive_avg_pool2d", input, output_size, 2)


def adaptive_avg_pool3d(input, output_size):
    """The mean of torch's adaptive windows: (N, C, D, H, W) -> (N, C, *output_size)."""
    return _adaptive_avg_pool("adaptive_avg_pool3d", input, output_size, 3)


def _window_positions(size, out):
    """(out, width) input positions of torch's adaptive windows along one dim, and whether each
    is inside its window (the windows differ in length by one at most)."""
    rows = xp.arange(out)
    start, end = rows * size // out, -(-(rows + 1) * size // out)
    width = int((end - start).max())
    positions = start[:, None] + xp.arange(width)
    return xp.minimum(positions, size - 1), positions < end[:, None]


def _adaptive_max_pool(name, input, output_size, return_indices, dims):
    """The maximum of each adaptive window, gathered from the flattened spatial dims; its
    gradient goes to the window's first maximum, and the indices are flat, as torch's."""
    size, out = _output_size(name, input, output_size, dims)
    lead = input.shape[:-dims]
    per_dim = [_window_positions(n, o) for n, o in zip(size, out)]
    flat_index, valid = xp.zeros((), xp.int64), xp.ones((), bool)
    for k, ((positions, inside), n) in enumerate(zip(per_dim, size)):
        # output dims first, then window dims, both in (D, H, W) order: a row-major scan
        shape = [1] * (2 * dims)
        shape[k], shape[dims + k] = positions.shape
        flat_index = flat_index * n + positions.reshape(shape)
        valid = valid & inside.reshape(shape)
    flat_index = flat_index.reshape(-1)
    window = int(valid.size // math.prod(out))
    flat = input.reshape(lead + (-1,))
    index = xp.broadcast_to(flat_index, lead + flat_index.shape).copy()
    values = flat.gather(-1, Tensor._make(index)).reshape(lead + (math.prod(out), window))
    mask = Tensor._make(xp.broadcast_to(valid.reshape(-1, window), values.shape))
    values = where(mask, values, float("-inf"))
    result = values.max(-1)
    pooled = result.values.reshape(lead + out)
    if not return_indices:
        return pooled
    picked = flat_index.reshape(-1, window)[xp.arange(math.prod(out)), result.indices.array]
    return pooled, Tensor._make(picked.reshape(lead + out))


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """The maximum over torch's adaptive windows: (N, C, L) -> (N, C, output_size)."""
    return _adaptive_max_pool("adaptive_max_pool1d", input, output_size, return_indices, 1)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """The maximum over torch's adaptive windows: (N, C, H, W) -> (N, C, *output_size)."""
    return _adaptive_max_pool("adaptive_max_pool2d", input, output_size, return_indices, 2)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """The maximum over torch's adaptive windows: (N, C, D, H, W) -> (N, C, *output_size)."""
    return _adaptive_max_pool("adaptive_max_pool3d", input, output_size, return_indices, 3)


def _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, dims, average):
    kernel = as_tuple(f"lp_pool{dims}d", kernel_size, dims, "kernel_size", 1)
    if math.isinf(norm_type):   # the limits: the largest |x|, or (p = -inf) the smallest
        largest = (max_pool1d, max_pool2d, max_pool3d)[dims - 1]
        stride = kernel_size if stride is None else stride
        if norm_type > 0:
            return largest(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
        return -largest(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    pooled = average(input.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    # torch's formula is sign(s) relu(|s|) k, then the 1/p-th power: the sign survives (an odd
    # power of a negative sum is not NaN-free), and relu's backward zeroes the gradient where
    # s = 0, the pole of the root (0, not inf * 0 = nan); where does both
    zero = pooled.array == 0
    if zero.any():
        pooled = where(Tensor._make(zero), Tensor._make(xp.zeros((), pooled.array.dtype)), pooled)
    return pooled.mul(math.prod(kernel)).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x^p)^(1/p), p = norm_type: (N, C, L) -> (N, C, L_out)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 1, avg_pool1d)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x^p)^(1/p), p = norm_type: (N, C, H, W) -> (N, C, H_out, W_out)."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 2, avg_pool2d)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x^p)^(1/p), p = norm_type: (N, C, D, H, W) -> pooled."""
    return _lp_pool(input, norm_type, kernel_size, stride, ceil_mode, 3, avg_pool3d)


def _unpool_size(name, input, kernel, stride, padding, output_size, dims):
    default = tuple((n - 1) * s - 2 * p + k
                    for n, k, s, p in zip(input.shape[-dims:], kernel, stride, padding))
    if output_size is None:
        return default
    requested = tuple(output_size)[-dims:]
    if len(requested) != dims:
        raise ValueError(f"{name}: output_size must have {dims} or {dims + 2} entries, got "
                         f"{tuple(output_size)}")
    for got, near, s in zip(requested, default, stride):
        if not near - s < got < near + s:
            raise ValueError(f"{name}: invalid output_size {tuple(output_size)} (dim sizes "
                             f"must be between {tuple(d - s + 1 for d in default)} and "
                             f"{tuple(d + s - 1 for d in default)})")
    return requested


def _max_unpool(name, input, indices, kernel_size, stride, padding, output_size, dims):
    """Each value written at its flat spatial index into zeros: the inverse of max pooling."""
    kernel = as_tuple(name, kernel_size, dims, "kernel_size", 1)
    stride = kernel if stride is None else as_tuple(name, stride, dims, "stride", 1)
    padding = as_tuple(name, padding, dims, "padding")
    if input.ndim not in (dims + 1, dims + 2) or indices.shape != input.shape:
        raise RuntimeError(f"{name}: expected a {dims + 1}-D or {dims + 2}-D input and indices "
                           f"of its shape, got input {input.shape} and indices {indices.shape}")
    out = _unpool_size(name, input, kernel, stride, padding, output_size, dims)
    lead = input.shape[:-dims]
    index = indices.array.reshape(lead + (-1,))
    if index.size and (index.min() < 0 or index.max() >= math.prod(out)):
        raise RuntimeError(f"{name}: found an invalid max index {index.max()} (output volume "
                           f"of size {out})")
    zeros = Tensor._make(xp.zeros(lead + (math.prod(out),), input.array.dtype))
    values = input.reshape(lead + (-1,))
    flat = zeros.scatter_add(-1, Tensor._make(index), values)
    overwritten = _overwritten(index, math.prod(out))
    if overwritten.any():
        # overlapping windows repeat an index: torch keeps the last write, yet its backward
        # gathers the gradient for every copy, so the surplus copies are removed as constants
        surplus = values.detach() * Tensor._make(overwritten.astype(input.array.dtype))
        flat = flat - zeros.scatter_add(-1, Tensor._make(index), surplus)
    return flat.reshape(lead + out)


def _overwritten(index, size):
    """True where a later entry of the same row writes to the same place."""
    rows = index.reshape(-1, index.shape[-1]) + xp.arange(
        index.size // max(index.shape[-1], 1))[:, None] * size
    backwards = rows.reshape(-1)[::-1]
    _, last = xp.unique(backwards, return_index=True)
    keep = xp.zeros(backwards.size, bool)
    keep[backwards.size - 1 - last] = True
    return ~keep.reshape(index.shape)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Zeros of the pre-pooling length with input written at indices (from max_pool1d)."""
    return _max_unpool("max_unpool1d", input, indices, kernel_size, stride, padding,
                       output_size, 1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Zeros of the pre-pooling size with input written at indices (from max_pool2d)."""
    return _max_unpool("max_unpool2d", input, indices, kernel_size, stride, padding,
                       output_size, 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Zeros of the pre-pooling size with input written at indices (from max_pool3d)."""
    return _max_unpool("max_unpool3d", input, indices, kernel_size, stride, padding,
                       output_size, 3)
