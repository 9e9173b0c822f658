"""Norms as torch.linalg computes them: vector_norm, matrix_norm, and norm, which picks one of the
two from `ord` and `dim` as PyTorch does. Compositions of ops (abs, powers, sums, extremes and the
singular values), so they differentiate through those."""
import math

from chainrule.ops import spectral
from chainrule.ops.decomposition import inv
from chainrule.ops.dims import normalize_dims, tensor_argument
from chainrule.ops.extremum import amax, amin
from chainrule.ops.reduce import norm as two_norm
from chainrule.ops.reduce import p_norm
from chainrule.ops.reduce import sum as reduce_sum
from chainrule.ops.shape import movedim, unsqueeze
from chainrule.ops.unary import abs as absolute
from chainrule.tensor import Tensor

__all__ = ["vector_norm", "matrix_norm", "norm", "cond"]

_MATRIX_ORDS = ("fro", "nuc", 2, -2, 1, -1, math.inf, -math.inf)


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """(Σ |x|^ord)^(1/ord) over dim (every dim if None); ord = ±inf the largest/smallest |x|,
    ord = 0 the count of nonzeros."""
    x = _floating("linalg.vector_norm", x, dtype)
    if isinstance(ord, str):
        raise RuntimeError(f"linalg.vector_norm: ord must be a number, got {ord!r} (matrix norms "
                           "such as 'fro' and 'nuc' are linalg.matrix_norm's)")
    if isinstance(dim, int):
        dim = (dim,)
    if ord == 2:
        return two_norm(x, 2, dim, keepdim)
    if ord == math.inf:
        return amax(absolute(x), () if dim is None else dim, keepdim)
    if ord == -math.inf:
        return amin(absolute(x), () if dim is None else dim, keepdim)
    if ord == 0:
        count = Tensor._make((x.array != 0).astype(x.array.dtype))   # no gradient, as torch
        return reduce_sum(count, dim, keepdim)
    if ord == 1:
        return reduce_sum(absolute(x), dim, keepdim)
    return p_norm(x, ord, dim, keepdim)


def matrix_norm(a, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """'fro' √Σ a², 'nuc' Σ σ, ±2 the largest/smallest σ, ±1 the largest/smallest column sum of
    |a|, ±inf the largest/smallest row sum of |a|, over the matrices in dims `dim`."""
    a = _floating("linalg.matrix_norm", a, dtype)
    if ord not in _MATRIX_ORDS:
        raise RuntimeError(f"linalg.matrix_norm: order {ord!r} not supported; use one of "
                           f"{_MATRIX_ORDS}")
    if a.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: the input must have at least 2 dimensions, got "
                           f"shape {a.shape}")
    rows, cols = normalize_dims("linalg.matrix_norm", tuple(dim), a.shape)
    if len(dim) != 2 or rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: dim must be 2 different dims, got {dim}")
    if ord == "fro":
        return two_norm(a, 2, (rows, cols), keepdim)
    matrices = movedim(a, (rows, cols), (-2, -1))
    result = _of_matrices(matrices, ord)
    if keepdim:
        for axis in sorted((rows, cols)):
            result = unsqueeze(result, axis)
    return result


def _of_matrices(a, ord):
    if ord in ("nuc", 2, -2):
        singular = spectral.svd(a, full_matrices=False)[1]
        if ord == "nuc":
            return reduce_sum(singular, -1)
        return amax(singular, -1) if ord == 2 else amin(singular, -1)
    pick = amax if ord > 0 else amin
    if abs(ord) == 1:
        return pick(reduce_sum(absolute(a), -2), -1)
    return pick(reduce_sum(absolute(a), -1), -1)


def norm(a, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm when dim is an int (or ord is None and dim None: of all elements), a matrix
    norm when dim is a pair (or ord is given, dim None and the input 2-D)."""
    if isinstance(dim, int) or (isinstance(dim, (tuple, list)) and len(dim) == 1):
        return vector_norm(a, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is not None:
        return matrix_norm(a, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if ord is None:
        return vector_norm(a, 2, None, keepdim, dtype=dtype)
    if a.ndim == 2:
        return matrix_norm(a, ord, (-2, -1), keepdim, dtype=dtype)
    if a.ndim == 1:
        return vector_norm(a, ord, None, keepdim, dtype=dtype)
    raise RuntimeError(f"linalg.norm: if dim is not given, the input must be 1-D or 2-D when ord "
                       f"is given, got shape {a.shape} with ord={ord!r} (pass dim)")


def cond(A, p=None):
    """The condition number ‖A‖ ‖A⁻¹‖ in the norm p: σ_max / σ_min for p None or 2 (any shape),
    σ_min / σ_max for p = -2, through the inverse otherwise (square A)."""
    A = _floating("linalg.cond", A, None)
    if A.ndim < 2:
        raise RuntimeError(f"linalg.cond: the input must have at least 2 dimensions, got shape "
                           f"{A.shape}")
    if p in (None, 2, -2):
        singular = spectral.svd(A, full_matrices=False)[1]
        ratio = amax(singular, -1) / amin(singular, -1)
        return 1 / ratio if p == -2 else ratio
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def _floating(name, x, dtype):
    tensor_argument(name, x)
    if dtype is not None:
        x = x.to(dtype)
    if x.array.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating-point tensor as input, got {x.dtype} "
                           f"(shape {x.shape}); convert it with .float()")
    return x



def legacy_norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """torch.norm (deprecated in torch, common in programs): 'fro' the 2-norm over dim (every
    element if None), a number p the vector p-norm over dim, 'nuc' the nuclear norm of the
    matrices in the two dims `dim` (the last two if None)."""
    if p == "fro" or p == 2:
        return two_norm(input, 2, dim, keepdim, dtype)
    if p == "nuc":
        return matrix_norm(input, "nuc", (-2, -1) if dim is None else dim, keepdim, dtype=dtype)
    if isinstance(p, str):
        raise RuntimeError(f"norm: p must be a number, 'fro' or 'nuc', got {p!r}")
    return vector_norm(input, p, dim, keepdim, dtype=dtype)
