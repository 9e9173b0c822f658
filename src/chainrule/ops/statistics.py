"""Order statistics and moments as torch names them: median, nanmedian, mode, quantile,
nanquantile, nansum, nanmean, aminmax, var_mean, std_mean, cov and corrcoef.

The order statistics pick entries through the sorting permutation (sort's TakeAlongDim), so the
gradient goes to the picked entry, as torch's does; the moments compose reduce's ops.
"""
from collections import namedtuple

from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.dims import normalize_dim, tensor_argument
from chainrule.ops.extremum import amax, amin
from chainrule.ops.linalg import matmul
from chainrule.ops.reduce import mean, std, sum, var
from chainrule.ops.shape import movedim, reshape_to
from chainrule.ops.sort import _take, order
from chainrule.ops.unary import Mask
from chainrule.tensor import Tensor

__all__ = ["median", "nanmedian", "mode", "quantile", "nanquantile", "nansum", "nanmean",
           "aminmax", "var_mean", "std_mean", "cov", "corrcoef"]

# torch.return_types.median / .nanmedian / .mode: (values, indices); aminmax: (min, max)
RESULT_TYPES = {name: namedtuple(name, ["values", "indices"])
                for name in ("median", "nanmedian", "mode")}
RESULT_TYPES["aminmax"] = namedtuple("aminmax", ["min", "max"])
_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _axis(name, x, dim):
    return normalize_dim(name, dim, x.shape)


# ----- medians ------------------------------------------------------------------------------------
def _median_positions(sorted_array, ignore_nan):
    """Per row (last axis), where in the sorted row the median sits: the lower median of the
    non-NaN entries; without ignore_nan a row holding a NaN gives its first NaN."""
    n = sorted_array.shape[-1]
    nans = xp.isnan(sorted_array).sum(-1) if sorted_array.dtype.kind == "f" else \
        xp.zeros(sorted_array.shape[:-1], dtype=int)
    count = n - nans
    if ignore_nan:
        return xp.maximum(count - 1, 0) // 2
    return xp.where(nans > 0, count, (n - 1) // 2)


def _median(name, input, dim, keepdim, ignore_nan):
    x = tensor_argument(name, input)
    if dim is None:
        if x.numel() == 0:
            return Tensor._make(xp.asarray(xp.nan, dtype=x.array.dtype))
        flat = reshape_to(x, (x.numel(),))
        indices = order(flat.array, 0, False)
        k = _median_positions(flat.array[indices], ignore_nan)
        return _take(flat, indices[k:k + 1], 0).reshape(())
    axis = _axis(name, x, dim)
    if x.ndim == 0:
        return RESULT_TYPES[name](x.clone(), Tensor._make(xp.zeros((), backend.int64)))
    if x.shape[axis] == 0:
        raise IndexError(f"{name}: cannot take the median of an empty dim {axis} (tensor of "
                         f"shape {x.shape})")
    indices = xp.moveaxis(order(x.array, axis, False), axis, -1)
    rows = xp.take_along_axis(xp.moveaxis(x.array, axis, -1), indices, -1)
    k = _median_positions(rows, ignore_nan)[..., None]
    picked = xp.moveaxis(xp.take_along_axis(indices, k, -1), -1, axis)
    return _picked(name, x, picked, axis, keepdim)


def _picked(name, x, picked, axis, keepdim):
    """(x at the int64 indices `picked`, which keep axis with size 1; the indices)."""
    values = _take(x, picked, axis)
    if not keepdim:
        picked = picked.squeeze(axis)
        values = values.squeeze(axis)
    return RESULT_TYPES[name](values, Tensor._make(picked))


def median(input, dim=None, keepdim=False):
    """The lower median (of x, or (values, indices) along dim); NaN where a NaN is present."""
    return _median("median", input, dim, keepdim, ignore_nan=False)


def nanmedian(input, dim=None, keepdim=False):
    """median ignoring NaNs (NaN only where all entries are NaN)."""
    return _median("nanmedian", input, dim, keepdim, ignore_nan=True)


def mode(input, dim=-1, keepdim=False):
    """(values, indices): the most frequent value along dim (the smallest of equally frequent
    ones) and the last position where it occurs, as torch."""
    x = tensor_argument("mode", input)
    axis = _axis("mode", x, dim)
    if x.ndim == 0:
        return RESULT_TYPES["mode"](x.clone(), Tensor._make(xp.zeros((), backend.int64)))
    if x.shape[axis] == 0:
        raise IndexError(f"mode: expected reduction dim {axis} to have non-zero size (tensor of "
                         f"shape {x.shape})")
    rows = xp.moveaxis(x.array, axis, -1)
    flat = rows.reshape(-1, rows.shape[-1])
    picked = xp.zeros(flat.shape[0], dtype=backend.int64)
    for r, row in enumerate(flat):
        values, counts = xp.unique(row, return_counts=True)
        value = values[xp.argmax(counts)]   # unique sorts: the first maximum is the smallest
        picked[r] = xp.flatnonzero(row == value)[-1]
    picked = xp.moveaxis(picked.reshape(rows.shape[:-1] + (1,)), -1, axis)
    return _picked("mode", x, picked, axis, keepdim)


# ----- quantiles ----------------------------------------------------------------------------------
def _quantile(name, input, q, dim, keepdim, interpolation, ignore_nan):
    x = tensor_argument(name, input)
    if x.array.dtype.kind != "f":
        raise RuntimeError(f"{name}: input tensor must be either float or double dtype, got "
                           f"{x.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise ValueError(f"{name}: interpolation must be one of {_INTERPOLATIONS}, got "
                         f"{interpolation!r}")
    if not isinstance(q, (Tensor, int, float)) or isinstance(q, bool):
        raise TypeError(f"{name}: q must be a float or a Tensor, got {type(q).__name__}")
    scalar_q = not isinstance(q, Tensor) or q.ndim == 0
    q_array = (q.array if isinstance(q, Tensor) else xp.asarray(q, dtype=x.array.dtype))
    if isinstance(q, Tensor) and q.dtype != x.dtype:
        raise RuntimeError(f"{name}: q tensor must be same dtype as the input tensor, got "
                           f"{q.dtype} and {x.dtype}")
    if q_array.ndim > 1:
        raise RuntimeError(f"{name}: q must be a scalar or 1D tensor, got shape {q_array.shape}")
    if q_array.size and (q_array.min() < 0 or q_array.max() > 1):
        raise RuntimeError(f"{name}: q values must be in the range [0, 1], got {q_array}")
    q_array = q_array.reshape(-1).astype(x.array.dtype)
    if dim is None:
        rows, out_shape = reshape_to(x, (x.numel(),)), ((1,) * x.ndim if keepdim else ())
    else:
        axis = _axis(name, x, dim)
        rows = movedim(x, axis, -1) if x.ndim else reshape_to(x, (1,))
        out_shape = list(x.shape)
        if keepdim:
            out_shape[axis] = 1
        elif x.ndim:
            del out_shape[axis]
        out_shape = tuple(out_shape)
    if rows.shape[-1] == 0:
        raise IndexError(f"{name}: input tensor must be non-empty (shape {x.shape})")
    result = _interpolate(rows, q_array, interpolation, ignore_nan)   # (..., len(q))
    result = movedim(result, -1, 0)
    return reshape_to(result, (() if scalar_q else (q_array.size,)) + out_shape)


def _interpolate(rows, q, interpolation, ignore_nan):
    """The q-quantiles of each row (last dim) by torch's ranks: q * (count - 1)."""
    indices = order(rows.array, -1, False)
    ordered = _take(rows, indices, rows.ndim - 1)
    sorted_array = ordered.array
    n = sorted_array.shape[-1]
    nans = xp.isnan(sorted_array).sum(-1, keepdims=True)
    if ignore_nan:
        last = xp.maximum(n - nans - 1, 0).astype(sorted_array.dtype)
        ranks = q * last
        ranks = xp.where(nans == n, n - 1, ranks)   # all NaN: the result is NaN
    else:
        ranks = q * sorted_array.dtype.type(n - 1) + xp.zeros_like(nans, dtype=sorted_array.dtype)
        ranks = xp.where(nans > 0, n - 1, ranks)    # a NaN present: NaN
    if interpolation == "lower":
        ranks = xp.floor(ranks)
    elif interpolation == "higher":
        ranks = xp.ceil(ranks)
    elif interpolation == "nearest":
        ranks = xp.rint(ranks)
    below = ranks.astype(backend.int64)
    values_below = _take(ordered, below, ordered.ndim - 1)
    if interpolation not in ("linear", "midpoint"):
        return values_below
    above = xp.ceil(ranks).astype(backend.int64)
    values_above = _take(ordered, above, ordered.ndim - 1)
    weights = xp.full_like(ranks, 0.5) if interpolation == "midpoint" else ranks - below
    weights = Tensor._make(weights.astype(sorted_array.dtype))
    return values_below + weights * (values_above - values_below)


def quantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """The q-th quantiles of x (flattened, or along dim): sorted x at rank q * (n - 1),
    interpolated between the neighbours (linear, lower, higher, midpoint, nearest)."""
    return _quantile("quantile", input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(input, q, dim=None, keepdim=False, *, interpolation="linear"):
    """quantile ignoring NaNs (NaN only where all entries are NaN)."""
    return _quantile("nanquantile", input, q, dim, keepdim, interpolation, ignore_nan=True)


# ----- NaN-ignoring sums, extremes, moments -------------------------------------------------------
class NanZeroed(Function):
    """y = x with NaNs replaced by 0;  dx = dy · (x is not NaN), a product as torch's nansum
    backward (so an inf or nan upstream gives nan at a NaN entry, as nanmean of an all-NaN slice
    has in torch: dy / 0 · 0), not a masked copy"""

    def forward(self, x):
        return xp.where(xp.isnan(x), xp.zeros((), x.dtype), x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad * Mask.apply(x, mask=~xp.isnan(x.array))


def _nan_zeroed(x):
    if x.array.dtype.kind != "f":
        return x
    return NanZeroed.apply(x)


def nansum(input, dim=None, keepdim=False, *, dtype=None):
    """sum(x) with NaNs counted as zero;  dx = dy where x is not NaN, 0 there."""
    x = tensor_argument("nansum", input)
    return sum(_nan_zeroed(x), dim, keepdim, dtype=dtype)


def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    """The mean of the non-NaN entries."""
    x = tensor_argument("nanmean", input if dtype is None else input.to(dtype))
    if x.array.dtype.kind != "f":
        raise RuntimeError(f"nanmean: expected a floating point tensor as input, got {x.dtype}")
    count = sum(Tensor._make((~xp.isnan(x.array)).astype(x.array.dtype)), dim, keepdim)
    return sum(_nan_zeroed(x), dim, keepdim) / count


def aminmax(input, *, dim=None, keepdim=False):
    """(min, max) of x, or along dim."""
    x = tensor_argument("aminmax", input)
    if x.numel() == 0 and dim is None:
        raise RuntimeError(f"aminmax: cannot compute on an empty tensor (shape {x.shape}) "
                           "without a dim")
    dims = () if dim is None else dim
    return RESULT_TYPES["aminmax"](amin(x, dims, keepdim), amax(x, dims, keepdim))


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) along dim, with var's correction (1 unless unbiased=False or correction=)."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (var(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) along dim, with std's correction."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return (std(input, dim, unbiased, keepdim, correction=correction),
            mean(input, dim, keepdim))


# ----- covariance ---------------------------------------------------------------------------------
def _weights(fweights, aweights, n):
    w = None
    for name, weights in (("fweights", fweights), ("aweights", aweights)):
        if weights is None:
            continue
        if not isinstance(weights, Tensor) or weights.ndim > 1 or weights.numel() != n:
            shape = weights.shape if isinstance(weights, Tensor) else type(weights).__name__
            raise RuntimeError(f"cov: expected {name} to have one element per observation "
                               f"({n}), got {shape}")
        if (weights.array < 0).any():
            raise RuntimeError(f"cov: {name} cannot be negative")
        w = weights if w is None else w * weights
    return w


def cov(input, *, correction=1, fweights=None, aweights=None):
    """The covariance matrix of the variables in the rows of x (observations in its columns):
    sum_k w_k (x_ik - m_i)(x_jk - m_j) / (sum w - correction * <normalization>)."""
    x = tensor_argument("cov", input)
    if x.ndim > 2:
        raise RuntimeError(f"cov: expected input to have two or fewer dimensions but got an input "
                           f"with {x.ndim} dimensions (shape {x.shape})")
    x = reshape_to(x, (1, x.numel())) if x.ndim < 2 else x
    if x.array.dtype.kind != "f":
        x = x.to(backend.get_default_dtype())
    n = x.shape[1]
    w = _weights(fweights, aweights, n)
    if w is None:
        centered = x - mean(x, 1, keepdim=True)
        norm = n - correction
        product = matmul(centered, centered.transpose(0, 1))
    else:
        w = w.to(x.dtype)
        w_sum = w.sum()
        centered = x - (x * w).sum(1, keepdim=True) / w_sum
        if aweights is None:
            norm = w_sum - correction
        else:
            norm = w_sum - correction * (w * aweights.to(x.dtype)).sum() / w_sum
        product = matmul(centered * w, centered.transpose(0, 1))
    if not isinstance(norm, Tensor):
        norm = max(norm, 0)
    out = product / norm
    return out.reshape(()) if input.ndim < 2 else out


def corrcoef(input):
    """Pearson's correlation coefficients of the rows of x: cov(x) scaled by the rows' stds,
    clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal()
    s = d.sqrt()
    out = c / s[:, None] / s[None, :]
    return out.clamp(-1, 1)


TENSOR_METHODS = {name: globals()[name] for name in __all__ if name not in ("var_mean",
                                                                             "std_mean")}
