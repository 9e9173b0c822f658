"""Counting: bincount (how often each non-negative integer appears, or the sum of its weights),
histc (a histogram of equal-width bins) and count_nonzero. Counts are results outside the graph,
as in PyTorch.
"""
import math
import operator

from chainrule import backend
from chainrule.backend import xp
from chainrule.ops.dims import normalize_dims, tensor_argument
from chainrule.tensor import Tensor

__all__ = ["bincount", "histc", "count_nonzero"]


def bincount(input, weights=None, minlength=0):
    """out[n] = how many entries of input equal n (or the sum of their weights), for n up to
    max(input) or minlength - 1. int64 counts; weighted sums in float32 for float32 weights,
    float64 otherwise (as PyTorch)."""
    tensor_argument("bincount", input)
    minlength = operator.index(minlength)
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    if input.array.dtype.kind not in "iub":
        raise NotImplementedError(f"bincount: only supports integer inputs, got {input.dtype} "
                                  f"(shape {input.shape})")
    array = input.array
    if array.ndim != 1 or (array.size and array.min() < 0):
        lowest = f" with minimum {array.min()}" if array.size else ""
        raise RuntimeError(f"bincount: only supports 1-d non-negative integral inputs, got shape "
                           f"{input.shape}{lowest}")
    if weights is None:
        return Tensor._make(xp.bincount(array, minlength=minlength).astype(backend.int64))
    if not isinstance(weights, Tensor) or weights.shape != input.shape:
        got = weights.shape if isinstance(weights, Tensor) else type(weights).__name__
        raise RuntimeError(f"bincount: weights should be 1-d and have the same length as input, "
                           f"got input of shape {input.shape} and weights {got}")
    dtype = backend.float32 if weights.array.dtype == backend.float32 else backend.float64
    sums = xp.bincount(array, weights=weights.array.astype(xp.float64), minlength=minlength)
    return Tensor._make(sums.astype(dtype))


def histc(input, bins=100, min=0, max=0):
    """Counts of input's entries in `bins` equal bins spanning [min, max] (entries outside are
    ignored; max falls in the last bin). min = max: the data's own range. In input's dtype."""
    tensor_argument("histc", input)
    if not backend.is_floating(input.dtype):
        raise NotImplementedError(f"histc: only floating-point tensors are supported, got "
                                  f"{input.dtype} (shape {input.shape})")
    bins = operator.index(bins)
    if bins <= 0:
        raise RuntimeError(f"histc: bins must be > 0, but got {bins}")
    low, high = float(min), float(max)
    values = input.array.reshape(-1)
    if low == high and values.size:
        low, high = float(values.min()), float(values.max())
    if not (math.isfinite(low) and math.isfinite(high)):
        raise RuntimeError(f"histc: range of [{low:g}, {high:g}] is not finite (input of shape "
                           f"{input.shape})")
    if low == high:  # every value the same: a range of width 2 around it, as PyTorch
        low, high = low - 1, high + 1
    if low > high:
        raise RuntimeError(f"histc: max must be larger than min, got min={low} and max={high}")
    inside = values[(values >= low) & (values <= high)].astype(xp.float64)
    counts = xp.bincount(_bin_positions(inside, bins, low, high), minlength=bins)
    return Tensor._make(counts.astype(input.array.dtype))


def _bin_positions(values, bins, low, high):
    """The bin of each value in [low, high], max itself in the last bin."""
    if low == high:
        # |value| >= 2^53 (float64), where value ± 1 rounds back to value: torch's width-2 range
        # around it still puts it in the middle bin
        return xp.full(values.shape, bins // 2, dtype=xp.int64)
    width = high - low
    if math.isinf(width):   # a span beyond float64's range (-1e308 to 1e308): halves fit
        positions = (values / 2 - low / 2) / (high / 2 - low / 2) * bins
    else:
        positions = (values - low) * bins / width
    return xp.minimum(positions.astype(xp.int64), bins - 1)


def count_nonzero(input, dim=None):
    """How many entries are nonzero, over dim (an int or a tuple) or over all of them; int64."""
    tensor_argument("count_nonzero", input)
    axes = normalize_dims("count_nonzero", dim, input.shape)
    counts = xp.count_nonzero(input.array, axis=axes if input.ndim else None)
    return Tensor._make(xp.asarray(counts).astype(backend.int64))


TENSOR_METHODS = {"bincount": bincount, "histc": histc, "count_nonzero": count_nonzero}
