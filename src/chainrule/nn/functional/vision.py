"""Resampling images: pixel_shuffle and pixel_unshuffle (reshape and permute), and interpolate
(nearest, nearest-exact, linear, bilinear, trilinear, bicubic, area) with torch's index arithmetic,
written as gathers and weighted sums of gathers so that gradients of any order come for free.
"""
import math
import numbers
import warnings

from chainrule.autograd.function import NotATensorError, not_a_tensor_message
from chainrule.backend import xp
from chainrule.nn.functional.pool import adaptive_avg_pool1d, adaptive_avg_pool2d
from chainrule.tensor import Tensor

__all__ = ["interpolate", "pixel_shuffle", "pixel_unshuffle", "upsample", "upsample_bilinear",
           "upsample_nearest"]


# ----- pixel shuffle ------------------------------------------------------------------------------
def _check_factor(name, input, factor, what):
    if not isinstance(input, Tensor):
        raise NotATensorError(not_a_tensor_message(name, 0, input))
    if input.ndim < 3:
        raise RuntimeError(f"{name} expects input to have at least 3 dimensions, but got input "
                           f"of shape {input.shape}")
    if not isinstance(factor, numbers.Integral) or factor <= 0:
        raise RuntimeError(f"{name} expects a positive integer {what}, but got {factor!r}")


def pixel_shuffle(input, upscale_factor):
    """(*, C·r², H, W) -> (*, C, H·r, W·r): each group of r² channels tiles an r×r block
    (Shi et al. 2016, sub-pixel convolution)."""
    _check_factor("pixel_shuffle", input, upscale_factor, "upscale_factor")
    r = int(upscale_factor)
    *batch, channels, height, width = input.shape
    if channels % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be divisible "
                           f"by the square of upscale_factor ({r * r}), but input.size(-3)="
                           f"{channels} is not (input shape {input.shape})")
    lead = len(batch)
    blocks = input.reshape(*batch, channels // (r * r), r, r, height, width)
    # (C, r, r, H, W) -> (C, H, r, W, r): row offsets sit beside rows, column offsets beside columns
    order = tuple(range(lead)) + tuple(lead + i for i in (0, 3, 1, 4, 2))
    return blocks.permute(order).reshape(*batch, channels // (r * r), height * r, width * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H·r, W·r) -> (*, C·r², H, W), the inverse of pixel_shuffle."""
    _check_factor("pixel_unshuffle", input, downscale_factor, "downscale_factor")
    r = int(downscale_factor)
    *batch, channels, height, width = input.shape
    for what, size, dim in (("height", height, -2), ("width", width, -1)):
        if size % r:
            raise RuntimeError(f"pixel_unshuffle expects {what} to be divisible by "
                               f"downscale_factor ({r}), but input.size({dim})={size} is not "
                               f"(input shape {input.shape})")
    lead = len(batch)
    blocks = input.reshape(*batch, channels, height // r, r, width // r, r)
    order = tuple(range(lead)) + tuple(lead + i for i in (0, 2, 4, 1, 3))
    return blocks.permute(order).reshape(*batch, channels * r * r, height // r, width // r)


# ----- interpolate: arguments ---------------------------------------------------------------------
_LINEAR_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}
_OTHER_MODES = ("nearest", "nearest-exact", "area")


def _check_mode(input, mode, align_corners, antialias):
    """The align_corners to use; refuses modes, dims and dtypes torch refuses."""
    if not isinstance(input, Tensor):
        raise NotATensorError(not_a_tensor_message("interpolate", 0, input))
    if mode not in _OTHER_MODES and mode not in _LINEAR_DIMS:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; use one of "
                                  f"{', '.join(_OTHER_MODES + tuple(_LINEAR_DIMS))}")
    if antialias:
        raise NotImplementedError("interpolate: antialias=True is not implemented in chainrule")
    if input.ndim not in (3, 4, 5):
        raise NotImplementedError(f"interpolate: expected a 3-D, 4-D or 5-D input (N, C, ...), "
                                  f"got shape {input.shape} (mode {mode!r})")
    if mode in _OTHER_MODES:
        if align_corners is not None:
            raise ValueError(f"interpolate: align_corners can only be set with the interpolating "
                             f"modes linear | bilinear | bicubic | trilinear, not {mode!r}")
        return None
    wanted = _LINEAR_DIMS[mode] + 2
    if input.ndim != wanted:
        raise NotImplementedError(f"interpolate: mode {mode!r} needs a {wanted}-D input, got shape "
                                  f"{input.shape}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"interpolate: mode {mode!r} needs a floating input, got {input.dtype}")
    return bool(align_corners)


def _as_list(name, value, dims, input):
    if not isinstance(value, (list, tuple)):
        return [value] * dims
    if len(value) != dims:
        raise ValueError(f"interpolate: the input has {dims} spatial dims "
                         f"{list(input.shape[2:])} but {name} has {len(value)} entries: {value}")
    return list(value)


def _output_size(input, size, scale_factor, recompute_scale_factor):
    """The output's spatial sizes, and the scale factors torch passes on (None: from the sizes)."""
    dims = input.ndim - 2
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor, got "
                         + ("both" if size is not None else "neither"))
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with an "
                             "explicit size")
        sizes = _as_list("size", size, dims, input)
        if not all(isinstance(n, numbers.Integral) and not isinstance(n, bool) for n in sizes):
            raise TypeError(f"interpolate: size must be an int or a tuple of {dims} ints, got "
                            f"{size!r}")
        sizes, scales = [int(n) for n in sizes], [None] * dims
    else:
        scales = [float(s) for s in _as_list("scale_factor", scale_factor, dims, input)]
        if not all(math.isfinite(s) for s in scales):
            raise ValueError(f"interpolate: scale_factor must be finite, got {scale_factor!r}")
        sizes = [math.floor(n * s) for n, s in zip(input.shape[2:], scales)]
        if recompute_scale_factor:
            scales = [None] * dims
    if min(input.shape[2:]) <= 0 or min(sizes) <= 0:
        raise RuntimeError(f"interpolate: input and output sizes should be greater than 0, but "
                           f"got input spatial size {list(input.shape[2:])} and output size "
                           f"{sizes}")
    return sizes, scales


# ----- interpolate: which input entries each output entry reads -----------------------------------
def _nearest_indices(in_size, out_size, scale, exact, dtype, vectorized):
    """torch's nearest (floor(dst · s)) and nearest-exact (floor((dst + 0.5) · s)) source indices,
    clamped, with s = 1 / scale_factor (or in / out). torch has two CPU kernels that round
    differently, so both are copied: the generic one computes s in the input's precision and
    floors in float32; the vectorized one (2-D outputs with H + W <= 128) computes s in float32
    and copies (out = in) or halves (out = 2 in, nearest only) the index exactly."""
    dst = xp.arange(out_size)
    if vectorized:
        if not exact and out_size == in_size:
            return dst
        if not exact and out_size == 2 * in_size:
            return dst // 2
        ratio = xp.float32(1.0 / scale) if scale else xp.float32(in_size) / xp.float32(out_size)
        source = ((dst + 0.5) * xp.float64(ratio) if exact else dst.astype(xp.float32) * ratio)
    else:
        ratio = dtype.type(1.0 / scale) if scale else dtype.type(in_size) / dtype.type(out_size)
        half = dtype.type(0.5)
        # nearest-exact: the linear modes' source position, rounded to the nearest entry
        source = (xp.maximum(ratio * (dst.astype(dtype) + half) - half, 0) + half if exact
                  else ratio * dst.astype(dtype))
    return xp.minimum(xp.floor(source.astype(xp.float32)).astype(xp.int64), in_size - 1)


def _source_positions(in_size, out_size, scale, align_corners, cubic, dtype):
    """torch's area_pixel_compute_source_index, in the input's precision: the (fractional) input
    position that output position dst samples."""
    one = dtype.type(1)
    dst = xp.arange(out_size).astype(dtype)
    if align_corners:
        ratio = (dtype.type(in_size - 1) / dtype.type(out_size - 1) if out_size > 1
                 else dtype.type(0))
        return ratio * dst
    ratio = dtype.type(1.0 / scale) if scale else dtype.type(in_size) / dtype.type(out_size)
    source = ratio * (dst + one / 2) - one / 2
    # linear modes clamp at the first entry (OpenCV's rule); cubic reads a clamped neighbour instead
    return source if cubic else xp.maximum(source, 0)


def _floor_and_fraction(source, in_size):
    """torch's guard_index_and_lambda: floorf (in float32) of the position, and the fraction in
    [0, 1]."""
    low = xp.minimum(xp.floor(source.astype(xp.float32)).astype(xp.int64), in_size - 1)
    return low, xp.clip(source - low, 0, 1).astype(source.dtype)


def _linear_taps(in_size, out_size, scale, align_corners, dtype):
    """[(indices, weights)] of the two inputs each output mixes."""
    if in_size == out_size:   # torch copies
        return [(xp.arange(out_size), xp.ones(out_size, dtype))]
    source = _source_positions(in_size, out_size, scale, align_corners, False, dtype)
    low, fraction = _floor_and_fraction(source, in_size)
    high = low + (low < in_size - 1)
    return [(low, 1 - fraction), (high, fraction)]


def _cubic_taps(in_size, out_size, scale, align_corners, dtype):
    """[(indices, weights)] of the four inputs each output mixes: Keys' cubic convolution with
    A = -0.75 (as torch and OpenCV), neighbours beyond the edge replaced by the edge."""
    source = _source_positions(in_size, out_size, scale, align_corners, True, dtype)
    low, t = _floor_and_fraction(source, in_size)
    a = dtype.type(-0.75)

    def near(x):   # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):    # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    return [(xp.clip(low - 1 + j, 0, in_size - 1), w) for j, w in enumerate(weights)]


def _resample(input, dim, taps):
    """sum over taps of input gathered at the tap's indices along dim, times its weights."""
    shape = [1] * input.ndim
    shape[dim] = -1
    out = None
    for indices, weights in taps:
        term = input.index_select(dim, indices)
        if not (weights == 1).all():
            term = term * Tensor._make(weights.reshape(shape))
        out = term if out is None else out + term
    return out


# ----- interpolate --------------------------------------------------------------------------------
def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resample the spatial dims of (N, C, L), (N, C, H, W) or (N, C, D, H, W) to `size` or by
    `scale_factor`, as torch.nn.functional.interpolate (the same output sizes, source positions
    and weights); each spatial dim is resampled in turn, which is the same weighted sum."""
    align_corners = _check_mode(input, mode, align_corners, antialias)
    sizes, scales = _output_size(input, size, scale_factor, recompute_scale_factor)
    if mode == "area":
        return _area(input, sizes)
    for axis, (out_size, scale) in enumerate(zip(sizes, scales)):
        dim, in_size = axis + 2, input.shape[axis + 2]
        if mode in ("nearest", "nearest-exact"):
            vectorized = input.ndim == 4 and sum(sizes) <= 128
            indices = _nearest_indices(in_size, out_size, scale, mode == "nearest-exact",
                                       input.dtype, vectorized)
            input = input.index_select(dim, indices)
            continue
        taps = _cubic_taps if mode == "bicubic" else _linear_taps
        input = _resample(input, dim, taps(in_size, out_size, scale, align_corners, input.dtype))
    return input


def _area(input, sizes):
    """Mode area is adaptive average pooling to the output size."""
    if input.ndim == 3:
        return adaptive_avg_pool1d(input, sizes[0])
    if input.ndim == 4:
        return adaptive_avg_pool2d(input, sizes)
    raise NotImplementedError(f"interpolate: mode 'area' of a 5-D input is not implemented in "
                              f"chainrule, got shape {input.shape}")


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """Deprecated in torch in favour of interpolate, which it calls."""
    warnings.warn("nn.functional.upsample is deprecated. Use nn.functional.interpolate instead.",
                  stacklevel=2)
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input, size=None, scale_factor=None):
    """Deprecated in torch: interpolate(input, size, scale_factor, mode='nearest')."""
    warnings.warn("nn.functional.upsample_nearest is deprecated. Use nn.functional.interpolate "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input, size=None, scale_factor=None):
    """Deprecated in torch: interpolate(input, size, scale_factor, mode='bilinear',
    align_corners=True)."""
    warnings.warn("nn.functional.upsample_bilinear is deprecated. Use nn.functional.interpolate "
                  "instead.", stacklevel=2)
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)
