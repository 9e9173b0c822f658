"""Spatial transformers (Jaderberg et al. 2015): affine_grid builds sampling coordinates from
affine matrices, grid_sample reads an input at them. Both are compositions of Tensor ops (a
matmul; gathers and weighted sums), so they differentiate twice wherever the weights do."""
import itertools

from chainrule.backend import xp
from chainrule.ops.compare import where
from chainrule.tensor import Tensor

__all__ = ["affine_grid", "grid_sample"]

MODES = ("bilinear", "nearest", "bicubic")
# the cubic convolution kernel's free parameter, torch's choice (as OpenCV's; Keys 1981 has -0.5)
CUBIC_A = -0.75
PADDING_MODES = ("zeros", "border", "reflection")


def _base_coordinates(size, align_corners, dtype):
    """torch's normalized positions along one axis: -1..1 at pixel centers, or, without
    align_corners, shrunk by (size - 1) / size so that -1 and 1 are the outer pixel edges."""
    line = xp.linspace(-1.0, 1.0, size, dtype=dtype) if size > 1 else xp.zeros(1, dtype)
    return line if align_corners else line * ((size - 1) / size)


def affine_grid(theta, size, align_corners=None):
    """grid[n, ..., :] = theta[n] @ (x, y[, z], 1) at every output position: (N, 2, 3) with
    size (N, C, H, W) -> (N, H, W, 2); (N, 3, 4) with size (N, C, D, H, W) -> (N, D, H, W, 3)."""
    align_corners = bool(align_corners)
    size = tuple(size)
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid: only 4-D and 5-D sizes are supported, got size "
                                  f"{size}")
    dims = len(size) - 2
    if not theta.is_floating_point():
        raise ValueError(f"affine_grid: expected theta to have floating point type, got "
                         f"{theta.dtype}")
    if theta.shape != (size[0], dims, dims + 1):
        raise ValueError(f"affine_grid: expected a batch of {dims}-D affine matrices of shape "
                         f"Nx{dims}x{dims + 1} for size {size}, got theta of shape {theta.shape}")
    if min(size[2:]) <= 0:
        raise ValueError(f"affine_grid: expected non-zero, positive output size, got {size}")
    spatial = size[2:]
    dtype = theta.array.dtype
    # axes reversed: the last spatial dim (W) is the grid's x, its first channel
    axes = [_base_coordinates(n, align_corners, dtype) for n in reversed(spatial)]
    mesh = xp.meshgrid(*axes[::-1], indexing="ij")[::-1]
    base = xp.stack(list(mesh) + [xp.ones(spatial, dtype)], axis=-1)
    base = Tensor._make(base.reshape(1, -1, dims + 1))
    grid = base.matmul(theta.transpose(1, 2))
    return grid.reshape((size[0],) + spatial + (dims,))


def _unnormalize(coordinate, size, align_corners):
    """Normalized [-1, 1] to pixel indices: -1 is pixel 0's center with align_corners, else its
    outer edge (-0.5)."""
    if align_corners:
        return (coordinate + 1) * ((size - 1) / 2)
    return ((coordinate + 1) * size - 1) / 2


def _clip(coordinate, size):
    """Clamped into [0, size - 1]; as in torch, the borders themselves pass no gradient and a
    NaN coordinate becomes 0."""
    array = coordinate.array
    inside = Tensor._make((array > 0) & (array < size - 1))
    clamped = xp.where(xp.isnan(array), 0.0, xp.clip(array, 0, size - 1)).astype(array.dtype)
    return where(inside, coordinate, Tensor._make(clamped))


def _reflect(coordinate, twice_low, twice_high):
    """Folded back and forth into [low, high], as torch's reflect_coordinates."""
    if twice_low == twice_high:
        return coordinate * 0
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    shifted = coordinate - low
    distance = where(Tensor._make(shifted.array < 0), -shifted, shifted)
    flips = xp.floor(distance.array / span)
    extra = distance - Tensor._make(flips * span)
    even = Tensor._make(flips % 2 == 0)
    return where(even, extra + low, (span - extra) + low)


def _source_index(coordinate, size, padding_mode, align_corners):
    coordinate = _unnormalize(coordinate, size, align_corners)
    if padding_mode == "border":
        coordinate = _clip(coordinate, size)
    elif padding_mode == "reflection":
        if align_corners:
            coordinate = _reflect(coordinate, 0, 2 * (size - 1))
        else:
            coordinate = _reflect(coordinate, -1, 2 * size - 1)
        coordinate = _clip(coordinate, size)
    return coordinate


def _gather(flat, positions, spatial, shape):
    """flat (N, C, prod(spatial)) read at integer positions (one (N, P) array per spatial dim),
    zero where a position falls outside: (N, C, P)."""
    inside = xp.ones(positions[0].shape, bool)
    linear = xp.zeros(positions[0].shape, xp.int64)
    for position, size in zip(positions, spatial):
        inside &= (position >= 0) & (position < size)
        linear = linear * size + xp.clip(position, 0, size - 1).astype(xp.int64)
    index = xp.broadcast_to(linear[:, None, :], shape).copy()
    values = flat.gather(2, Tensor._make(index))
    return values * Tensor._make(inside[:, None, :].astype(flat.array.dtype))


def _check_grid_sample(input, grid, mode, padding_mode):
    if mode not in MODES:
        raise ValueError(f"grid_sample: expected mode to be one of {MODES}, got {mode!r}")
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"grid_sample: expected padding_mode to be one of {PADDING_MODES}, got "
                         f"{padding_mode!r}")
    if input.ndim not in (4, 5) or grid.ndim != input.ndim:
        raise RuntimeError(f"grid_sample: expected a 4-D or 5-D input and a grid with as many "
                           f"dims, got input of shape {input.shape} and grid of shape "
                           f"{grid.shape}")
    dims = input.ndim - 2
    if mode == "bicubic" and dims != 2:
        raise RuntimeError(f"grid_sample: bicubic interpolation only supports 4D input, got "
                           f"input of shape {input.shape}")
    if grid.shape[0] != input.shape[0] or grid.shape[-1] != dims:
        raise RuntimeError(f"grid_sample: expected grid of shape (N, ..., {dims}) with N = "
                           f"{input.shape[0]} for input of shape {input.shape}, got grid of "
                           f"shape {grid.shape}")
    if input.dtype != grid.dtype:
        raise RuntimeError(f"grid_sample: expected input and grid to have the same dtype, got "
                           f"input {input.dtype} and grid {grid.dtype}")
    if 0 in input.shape[2:]:
        raise RuntimeError(f"grid_sample: expected input to have non-empty spatial dims, got "
                           f"shape {input.shape}")


@xp.errstate(invalid="ignore")   # a nan coordinate, cast to an index, reads nothing (as torch)
def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """out[n, c, p] = sum over the 2^d neighbours q of grid[n, p] of input[n, c, q] times the
    (bi/tri)linear weight prod(1 - |x - q|); mode='nearest' reads the rounded position,
    mode='bicubic' (4-D only) weighs the 4 x 4 neighbours by the cubic convolution kernel.
    input (N, C, H, W) with grid (N, H_out, W_out, 2) -> (N, C, H_out, W_out); grid[..., 0] is
    x (along W), in [-1, 1]; likewise 5-D with (x, y, z)."""
    align_corners = bool(align_corners)
    _check_grid_sample(input, grid, mode, padding_mode)
    # the coordinates the padding modes give are computed below for bilinear and nearest;
    # bicubic pads each of its 16 taps instead, as torch
    batch, channels, spatial = input.shape[0], input.shape[1], input.shape[2:]
    out_spatial = grid.shape[1:-1]
    dims = len(spatial)
    flat_grid = grid.reshape(batch, -1, dims)
    # the grid lists x first: spatial dim k (of D, H, W) reads grid channel dims - 1 - k
    coordinates = [] if mode == "bicubic" else [
        _source_index(flat_grid[..., dims - 1 - k], spatial[k], padding_mode, align_corners)
        for k in range(dims)]
    flat = input.reshape(batch, channels, -1)
    shape = (batch, channels, flat_grid.shape[1])
    if mode == "bicubic":
        raw = [_unnormalize(flat_grid[..., dims - 1 - k], spatial[k], align_corners)
               for k in range(dims)]
        out = _bicubic(flat, raw, spatial, shape, padding_mode, align_corners)
    elif mode == "nearest":  # rint rounds half to even, as torch's nearbyint
        positions = [xp.rint(c.array).astype(xp.int64) for c in coordinates]
        # + an exact 0 that depends on the grid: its gradient is zeros, as torch's, not None
        untouched = where(Tensor._make(xp.zeros(flat_grid.shape, bool)), flat_grid, 0.0)
        out = _gather(flat, positions, spatial, shape) + untouched.sum(-1)[:, None, :]
    else:
        lower = [xp.floor(c.array) for c in coordinates]
        fractions = [c - Tensor._make(low) for c, low in zip(coordinates, lower)]
        out = None
        for corner in itertools.product((0, 1), repeat=dims):
            weight = None
            for fraction, bit in zip(fractions, corner):
                factor = fraction if bit else 1 - fraction
                weight = factor if weight is None else weight * factor
            positions = [low.astype(xp.int64) + bit for low, bit in zip(lower, corner)]
            term = _gather(flat, positions, spatial, shape) * weight[:, None, :]
            out = term if out is None else out + term
    return out.reshape((batch, channels) + out_spatial)


def _cubic_weights(t):
    """The cubic convolution weights of the taps at -1, 0, 1, 2 for a fraction t in [0, 1)."""
    a = CUBIC_A

    def near(x):     # |x| <= 1
        return ((a + 2) * x - (a + 3)) * x * x + 1

    def far(x):      # 1 < |x| < 2
        return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return [far(t + 1), near(t), near(1 - t), far(2 - t)]


def _tap_positions(lower, offset, size, padding_mode, align_corners):
    """The integer position of a tap, moved inside by the padding mode (zeros: left outside)."""
    position = Tensor._make(lower + offset)
    if padding_mode == "border":
        position = _clip(position, size)
    elif padding_mode == "reflection":
        twice = (0, 2 * (size - 1)) if align_corners else (-1, 2 * size - 1)
        position = _clip(_reflect(position, *twice), size)
    return position.array.astype(xp.int64)


def _bicubic(flat, coordinates, spatial, shape, padding_mode, align_corners):
    """Σ over the 4 x 4 taps around each point of the cubic weights in y times those in x."""
    (y, x), (height, width) = coordinates, spatial
    lower = [xp.floor(c.array) for c in (y, x)]
    weights_y, weights_x = (_cubic_weights(c - Tensor._make(low))
                            for c, low in zip((y, x), lower))
    rows = [_tap_positions(lower[0], i - 1, height, padding_mode, align_corners)
            for i in range(4)]
    columns = [_tap_positions(lower[1], j - 1, width, padding_mode, align_corners)
               for j in range(4)]
    out = None
    for i in range(4):
        for j in range(4):
            weight = (weights_y[i] * weights_x[j])[:, None, :]
            term = _gather(flat, [rows[i], columns[j]], spatial, shape) * weight
            out = term if out is None else out + term
    return out
