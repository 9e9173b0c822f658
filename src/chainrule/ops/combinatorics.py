"""Tensors built from the entries of others: combinations, vander, unique_consecutive, and the
small numeric companions ldexp, frexp, renorm and chain_matmul. Differentiable ones compose
indexing, powers and products; unique_consecutive and frexp's exponents are not differentiable.
"""
import itertools
import math
from collections import namedtuple

from chainrule import backend
from chainrule.backend import xp
from chainrule.ops.compare import where
from chainrule.ops.dims import normalize_dim, tensor_argument
from chainrule.ops.extremum import amax
from chainrule.ops.index import take
from chainrule.ops.linalg import matmul
from chainrule.ops.reduce import norm, p_norm
from chainrule.ops.reduce import sum as reduce_sum
from chainrule.ops.stacking import column_stack
from chainrule.tensor import Tensor

__all__ = ["combinations", "vander", "unique_consecutive", "ldexp", "frexp", "renorm",
           "chain_matmul"]

# torch.return_types.frexp: (mantissa, exponent)
FrexpResult = namedtuple("frexp", ["mantissa", "exponent"])


def combinations(input, r=2, with_replacement=False):
    """The r-length combinations of a 1-D tensor's entries, one per row, in itertools' order."""
    x = tensor_argument("combinations", input)
    if x.ndim != 1:
        raise RuntimeError(f"combinations: expect a 1D vector, but got shape {x.shape}")
    if r < 0:
        raise RuntimeError(f"combinations: r must be non-negative, got {r}")
    pick = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    rows = list(pick(range(x.shape[0]), r))
    if not rows or r == 0:
        return Tensor._make(xp.zeros((0,) if r == 0 else (0, r), dtype=x.array.dtype))
    return take(x, (xp.asarray(rows, dtype=backend.int64),))


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix: column j is x ** j (increasing) or x ** (N - 1 - j)."""
    x = tensor_argument("vander", x, "x")
    if x.ndim != 1:
        raise RuntimeError(f"vander: x must be a one-dimensional tensor, got shape {x.shape}")
    N = x.shape[0] if N is None else N
    if N < 0:
        raise RuntimeError(f"vander: N must be non-negative, got {N}")
    if x.array.dtype.kind in "biu":   # torch computes integer and bool powers in int64
        x = x.long()
    if N == 0:
        return Tensor._make(xp.zeros((x.shape[0], 0), dtype=x.array.dtype))
    powers = [x ** j if j else x * 0 + 1 for j in range(N)]
    return column_stack(powers if increasing else powers[::-1])


def unique_consecutive(input, return_inverse=False, return_counts=False, dim=None):
    """x with each run of equal consecutive values (of x flattened, or slices along dim)
    collapsed to one; with return_inverse, each entry's run; with return_counts, run lengths."""
    x = tensor_argument("unique_consecutive", input)
    if dim is None:
        array, axis = x.array.reshape(-1), 0
    else:
        axis = normalize_dim("unique_consecutive", dim, x.shape)
        array = x.array
    moved = xp.moveaxis(array, axis, 0)
    n = moved.shape[0]
    changes = xp.ones(n, dtype=bool)
    if n > 1:
        differs = (moved[1:] != moved[:-1]).reshape(n - 1, -1).any(axis=1)
        changes[1:] = differs
    starts = xp.flatnonzero(changes)
    values = Tensor._make(xp.moveaxis(moved[starts], 0, axis))
    extras = []
    if return_inverse:
        inverse = (xp.cumsum(changes) - 1).astype(backend.int64)
        extras.append(Tensor._make(inverse.reshape(x.shape) if dim is None else inverse))
    if return_counts:
        extras.append(Tensor._make(xp.diff(xp.append(starts, n)).astype(backend.int64)))
    return (values, *extras) if extras else values


def ldexp(input, other):
    """a * 2 ** b."""
    exponent = other if isinstance(other, Tensor) else Tensor._make(xp.asarray(other))
    a = tensor_argument("ldexp", input)
    if a.array.dtype.kind != "f":
        a = a.to(backend.get_default_dtype())
    with xp.errstate(over="ignore"):   # 2 ** 2000 = inf, as in torch
        scale = xp.exp2(exponent.array.astype(a.array.dtype))
    return a * Tensor._make(scale)


def frexp(input):
    """(mantissa, exponent) with x = mantissa * 2 ** exponent, 0.5 <= |mantissa| < 1;
    the exponent is int32, as torch's."""
    x = tensor_argument("frexp", input)
    if x.array.dtype.kind != "f":
        raise RuntimeError(f"frexp: only supports floating-point dtypes, got {x.dtype}")
    mantissa, exponent = xp.frexp(x.array)
    return FrexpResult(Tensor._make(mantissa), Tensor._make(exponent.astype(backend.int32)))


def renorm(input, p, dim, maxnorm):
    """Each slice along dim with p-norm above maxnorm scaled down to norm maxnorm (torch's
    1e-7 guard in the divisor)."""
    x = tensor_argument("renorm", input)
    if x.ndim < 2:
        raise RuntimeError(f"renorm: input needs at least 2 dimensions, got shape {x.shape}")
    if not p > 0 or maxnorm < 0:
        raise RuntimeError(f"renorm: p must be positive and maxnorm non-negative, got p={p}, "
                           f"maxnorm={maxnorm}")
    dim = normalize_dim("renorm", dim, x.shape)
    others = tuple(d for d in range(x.ndim) if d != dim)
    # torch's: the vector norm (whose gradient is 0 at a zero slice), and where, which passes
    # no gradient to the scale of a slice left alone (a zero slice's gradient is 1, not NaN)
    if p == 1:
        norms = reduce_sum(x.abs(), others, keepdim=True)
    elif p == math.inf:
        norms = amax(x.abs(), others, keepdim=True)
    else:
        norms = norm(x, 2, others, keepdim=True) if p == 2 else p_norm(x, p, others, True)
    one = Tensor._make(xp.ones((), dtype=x.array.dtype))
    return x * where(Tensor._make(norms.array > maxnorm), maxnorm / (norms + 1e-7), one)


def chain_matmul(*matrices):
    """The product of the matrices, left to right (torch's deprecated name; linalg.multi_dot)."""
    if len(matrices) == 1 and isinstance(matrices[0], (tuple, list)):
        matrices = tuple(matrices[0])
    if not matrices:
        raise RuntimeError("chain_matmul: expected one or more matrices")
    for i, m in enumerate(matrices):
        if tensor_argument("chain_matmul", m, f"matrices[{i}]").ndim != 2:
            raise RuntimeError(f"chain_matmul: matrices[{i}] must be 2-D, got shape {m.shape}")
    out = matrices[0]
    for m in matrices[1:]:
        out = matmul(out, m)
    return out if len(matrices) > 1 else out.clone()


TENSOR_METHODS = {"unique_consecutive": unique_consecutive, "ldexp": ldexp, "frexp": frexp,
                  "renorm": renorm}
