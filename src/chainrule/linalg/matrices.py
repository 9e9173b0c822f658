"""torch.linalg's functions of matrices, with PyTorch's signatures and result tuples. The
primitives (inv, det, solve, cholesky, eigh, svd, qr) are Functions in ops/decomposition.py and
ops/spectral.py; the rest (pinv, matrix_power, multi_dot ...) are compositions of them. lstsq and
vander are in least_squares.py."""
import collections

from chainrule.backend import xp
from chainrule.ops import decomposition, spectral
from chainrule.ops.decomposition import matrices, square_matrices
from chainrule.ops.compare import where
from chainrule.ops.diagonal import diag_embed
from chainrule.ops.diagonal import diagonal as _diagonal
from chainrule.ops.index import tril, triu
from chainrule.ops.geometry import cross as _cross
from chainrule.ops.linalg import matmul
from chainrule.ops.reduce import sum as reduce_sum
from chainrule.ops.shape import matrix_transpose, unsqueeze, squeeze
from chainrule.tensor import Tensor

__all__ = ["inv", "det", "slogdet", "solve", "solve_triangular", "cholesky", "qr", "svd", "svdvals", "eigh",
           "eigvalsh", "pinv", "matrix_power", "matrix_rank", "cross", "diagonal",
           "multi_dot", "vecdot", "matmul", "matrix_exp"]

slogdet_result = collections.namedtuple("linalg_slogdet", ["sign", "logabsdet"])
eigh_result = collections.namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
svd_result = collections.namedtuple("linalg_svd", ["U", "S", "Vh"])
qr_result = collections.namedtuple("linalg_qr", ["Q", "R"])


def inv(A):
    return decomposition.inv(A)


def matrix_exp(A):
    return decomposition.matrix_exp(A)


def det(A):
    return decomposition.det(A)


def slogdet(A):
    """(sign, logabsdet) with det A = sign · exp(logabsdet); sign carries no gradient."""
    logabsdet = decomposition.logabsdet(A)
    sign = Tensor._make(xp.asarray(xp.linalg.slogdet(A.array)[0]))
    return slogdet_result(sign, logabsdet)


def solve(A, B, *, left=True):
    """X with A X = B (left) or X A = B; B is a (batch of) vector(s) when it has shape (n,) or
    A's shape without the last dim."""
    A = square_matrices("linalg.solve", A)
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve: expected a Tensor as B, got {type(B).__name__}")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.solve: expected A and B to have the same dtype, but got "
                           f"{A.dtype} and {B.dtype}")
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1])
    if not left:
        if vector:
            raise RuntimeError("linalg.solve: left=False needs B to be a matrix, got shape "
                               f"{B.shape}")
        return matrix_transpose(solve(matrix_transpose(A), matrix_transpose(B)))
    columns = unsqueeze(B, -1) if vector else B
    if columns.ndim < 2 or columns.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: incompatible shapes of A and B for the equation "
                           f"AX = B: A {A.shape}, B {B.shape}")
    X = decomposition.solve(A, columns)
    return squeeze(X, -1) if vector else X


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A X = B (left) or X A = B, reading only A's upper or lower triangle (and taking its
    diagonal as ones if unitriangular)."""
    A = square_matrices("linalg.solve_triangular", A)
    triangle = triu(A) if upper else tril(A)
    if unitriangular:
        ones = Tensor._make(xp.ones(A.shape[:-1], dtype=A.array.dtype))
        triangle = triangle - diag_embed(_diagonal(triangle, 0, -2, -1)) + diag_embed(ones)
    if B.ndim < 2:
        raise RuntimeError(f"linalg.solve_triangular: B must be a matrix or a batch of them, got "
                           f"shape {B.shape}")
    _check_fits("linalg.solve_triangular", A, B, left)
    return solve(triangle, B, left=left)


def _check_fits(name, A, B, left=True):
    # checked here so that the error names the function called, not linalg.solve
    if B.ndim >= 2 and B.shape[-2 if left else -1] != A.shape[-1]:
        equation = "A X = B" if left else "X A = B"
        raise RuntimeError(f"{name}: incompatible shapes of A {A.shape} and B {B.shape} for "
                           f"{equation}")


def cholesky_solve(B, L, upper=False):
    """X with A X = B, given A's Cholesky factor L (A = L Lᵀ, or Uᵀ U if upper)."""
    lower = matrix_transpose(L) if upper else L
    _check_fits("cholesky_solve", L, B)
    y = solve_triangular(lower, B, upper=False)
    return solve_triangular(matrix_transpose(lower), y, upper=True)


def cholesky_inverse(L, upper=False):
    """A⁻¹ given A's Cholesky factor."""
    eye = Tensor._make(xp.broadcast_to(xp.eye(L.shape[-1], dtype=L.array.dtype), L.shape).copy())
    return cholesky_solve(eye, L, upper)


def cholesky(A, *, upper=False):
    lower = decomposition.cholesky_lower(A)
    return matrix_transpose(lower) if upper else lower


def qr(A, mode="reduced"):
    return qr_result(*spectral.qr(A, mode))


def svd(A, full_matrices=True, *, driver=None):
    return svd_result(*spectral.svd(A, full_matrices))


def svdvals(A, *, driver=None):
    return spectral.svd(A, full_matrices=False)[1]


def eigh(A, UPLO="L"):
    return eigh_result(*spectral.eigh(A, UPLO))


def eigvalsh(A, UPLO="L"):
    return spectral.eigh(A, UPLO)[0]


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """A⁺ = V diag(1/σ) Uᵀ over the singular values above max(atol, rtol · σ_max) (rtol defaults
    to eps · max(m, n) when neither is given)."""
    if A.ndim < 2:   # checked here so that the error names pinv, not the svd it uses
        raise RuntimeError(f"linalg.pinv: expected a matrix or a batch of them, got shape "
                           f"{A.shape}")
    U, S, Vh = spectral.svd(A, full_matrices=False)
    keep = Tensor._make((S.array > _cutoff(A, S.array, atol, rtol)).astype(S.array.dtype))
    inverse = keep / (S + (1 - keep))
    return matmul(matrix_transpose(Vh), unsqueeze(inverse, -1) * matrix_transpose(U))


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """The number of singular values above max(atol, rtol · σ_max) (no gradient)."""
    A = matrices("linalg.matrix_rank", A)
    S = xp.linalg.svd(A.array, compute_uv=False)
    return Tensor._make(xp.asarray((S > _cutoff(A, S, atol, rtol)).sum(-1), dtype=xp.int64))


def _cutoff(A, S, atol, rtol):
    if rtol is None:
        rtol = 0.0 if atol else xp.finfo(A.array.dtype).eps * max(A.shape[-2:])
    atol = 0.0 if atol is None else atol
    largest = S.max(-1, keepdims=True) if S.shape[-1] else xp.zeros(S.shape[:-1] + (1,))
    return xp.maximum(atol, rtol * largest)


def matrix_power(A, n):
    """A multiplied by itself n times (by repeated squaring); A⁰ = I, A⁻ⁿ = (A⁻¹)ⁿ."""
    A = square_matrices("linalg.matrix_power", A)
    if int(n) != n:
        raise TypeError(f"linalg.matrix_power: n must be an integer, got {n!r}")
    n = int(n)
    if n == 0:
        eye = xp.broadcast_to(xp.eye(A.shape[-1], dtype=A.array.dtype), A.shape)
        # the identity, still in A's graph (with a zero gradient), as in PyTorch
        return where(Tensor._make(xp.ones(A.shape, dtype=bool)), Tensor._make(eye.copy()), A)
    base, result = (inv(A) if n < 0 else A), None
    n = abs(n)
    while n:
        if n & 1:
            result = base if result is None else matmul(result, base)
        n >>= 1
        if n:
            base = matmul(base, base)
    return result


def cross(input, other, *, dim=-1):
    return _cross(input, other, dim=dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return _diagonal(A, offset, dim1, dim2)


def multi_dot(tensors):
    """tensors[0] @ tensors[1] @ ...; a 1-D first (last) one is a row (column)."""
    if len(tensors) < 2:
        raise RuntimeError(f"linalg.multi_dot: expected at least 2 tensors, got {len(tensors)}")
    result = tensors[0]
    for t in tensors[1:]:
        result = matmul(result, t)
    return result


def vecdot(x, y, *, dim=-1):
    """Σ x · y along dim (both broadcast)."""
    return reduce_sum(x * y, dim)


# ----- torch's top-level spellings ---------------------------------------------------------------
def inverse(input):
    return inv(input)


def logdet(input):
    """log det A: nan where det A < 0, -inf where it is 0."""
    sign, logabsdet = slogdet(input)
    with xp.errstate(invalid="ignore", divide="ignore"):
        return logabsdet + Tensor._make(xp.log(sign.array))


def pinverse(input, rcond=1e-15):
    return pinv(input, rtol=rcond)
