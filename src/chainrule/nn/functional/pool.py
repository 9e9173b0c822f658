"""Pooling: max and average pooling (primitives from chainrule.ops.pool) and adaptive average
pooling, written here as a composition: a mean over reshaped blocks, or two products with
constant averaging matrices where the blocks are uneven."""
import functools

from chainrule.backend import xp
from chainrule.ops.pool import (avg_pool1d, avg_pool2d, avg_pool3d, max_pool1d, max_pool2d,
                                max_pool3d)
from chainrule.tensor import Tensor

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "avg_pool1d", "avg_pool2d",
           "avg_pool3d", "max_pool1d", "max_pool2d", "max_pool3d"]


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


def _adaptive_avg_pool(name, input, output_size, dims):
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
