"""Positions and grids: nonzero and argwhere (where the nonzero entries are), meshgrid and
cartesian_prod (coordinate grids from 1-D tensors, differentiable) and logspace (a creation
function).
"""
import warnings

from chainrule import backend
from chainrule.backend import xp
from chainrule.ops.broadcast import expand
from chainrule.ops.dims import tensor_argument
from chainrule.ops.join import stack
from chainrule.ops.shape import reshape
from chainrule.placement import check_placement
from chainrule.tensor import Tensor

__all__ = ["nonzero", "argwhere", "meshgrid", "cartesian_prod", "logspace"]


def nonzero(input, *, as_tuple=False):
    """The indices of the nonzero entries, in row-major order: an (N, ndim) int64 tensor, or with
    as_tuple a tuple of ndim 1-D tensors (a 0-d input counts as 1-D there, as in PyTorch)."""
    x = tensor_argument("nonzero", input)
    if as_tuple:
        array = x.array.reshape(1) if x.ndim == 0 else x.array
        return tuple(Tensor._make(i.astype(backend.int64)) for i in xp.nonzero(array))
    return Tensor._make(xp.argwhere(x.array).astype(backend.int64))


def argwhere(input):
    """The indices of the nonzero entries as an (N, ndim) int64 tensor: nonzero(input)."""
    tensor_argument("argwhere", input)
    return nonzero(input)


def meshgrid(*tensors, indexing=None):
    """Coordinate grids: output i holds tensors[i] along its own dim, repeated along the others.
    indexing='ij' gives shape (n0, n1, ...); 'xy' swaps the first two dims (n1, n0, ...), as
    NumPy's default. Without indexing, 'ij' with PyTorch's warning."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors:
        raise RuntimeError("meshgrid: expects a non-empty list of tensors")
    for position, t in enumerate(tensors):
        tensor_argument("meshgrid", t)
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expects 0-d or 1-d tensors, got shape {t.shape} at "
                               f"position {position}")
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError(f"meshgrid: expects all tensors to have the same dtype, got "
                           f"{[str(t.dtype) for t in tensors]}")
    sizes = [t.numel() for t in tensors]
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(tensors) > 1:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for axis, size in zip(axes, sizes):
        shape[axis] = size
    grids = []
    for axis, t, size in zip(axes, tensors, sizes):
        line = [1] * len(tensors)
        line[axis] = size
        grids.append(expand(reshape(t, tuple(line)), tuple(shape)))
    return tuple(grids)


def cartesian_prod(*tensors):
    """Every combination of one entry from each 1-D tensor, in row-major order: an (N, k) tensor
    (a single tensor is returned as it is, as in PyTorch)."""
    for position, t in enumerate(tensors):
        tensor_argument("cartesian_prod", t)
        if t.ndim != 1:
            raise RuntimeError(f"cartesian_prod: expects 1-D tensors, got shape {t.shape} at "
                               f"position {position}")
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return stack([reshape(grid, (-1,)) for grid in grids], 1)


def logspace(start, end, steps, base=10.0, *, dtype=None, layout=None, device=None,
             requires_grad=False):
    """steps values from base**start to base**end, their exponents evenly spaced."""
    check_placement("logspace", device, layout)
    steps = int(steps)
    if steps < 0:
        raise RuntimeError(f"logspace: number of steps must be non-negative, got {steps}")
    dtype = backend.default_float if dtype is None else backend.to_dtype(dtype)
    exponents = xp.linspace(float(start), float(end), steps, dtype=xp.float64)
    values = xp.power(float(base), exponents)
    result = Tensor._make(values.astype(dtype))
    if requires_grad:
        result.requires_grad_(True)
    return result


TENSOR_METHODS = {"nonzero": nonzero, "argwhere": argwhere}
