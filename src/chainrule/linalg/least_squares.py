"""torch.linalg's least squares and the Vandermonde matrix (the design matrix of a polynomial
fit): lstsq through the pseudo-inverse, vander through running products, both compositions of
differentiable ops, with torch's shapes, dtypes and errors."""
import collections

from chainrule.backend import xp
from chainrule.linalg.matrices import matrix_rank, pinv, svdvals
from chainrule.ops.dims import tensor_argument
from chainrule.ops.join import stack
from chainrule.ops.linalg import matmul
from chainrule.ops.reduce import sum as reduce_sum
from chainrule.ops.shape import reshape, squeeze, unsqueeze
from chainrule.tensor import Tensor

__all__ = ["lstsq", "vander"]

lstsq_result = collections.namedtuple("linalg_lstsq",
                                      ["solution", "residuals", "rank", "singular_values"])
LSTSQ_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def lstsq(A, B, rcond=None, *, driver=None):
    """X minimising ‖A X - B‖ (the least-norm one where A lacks full rank): X = A⁺ B, so its
    gradient is pinv's and matmul's. As torch's on the CPU (driver None is 'gelsy'), it returns
    (solution, residuals, rank, singular_values): the squared residuals ‖A X - B‖² per column
    when m > n (never from gelsy, and from gelsd or gelss only when every A has full rank), the
    rank (from all drivers but gels) and A's singular values (from gelsd and gelss). A B with one
    dimension fewer than A is a (batch of) vector(s), and so is its solution.

    Shape: A (*, m, n), B (*, m, k) or A's shape without its last dim; the solution (*, n, k) or
    (*, n); residuals (*, k), with k = 1 for vectors; rank and singular values follow A's own
    batch dims, (*) and (*, min(m, n)).
    """
    vector = _lstsq_operands(A, B)
    if driver is not None and driver not in LSTSQ_DRIVERS:
        raise RuntimeError(f"linalg.lstsq: driver must be one of ({', '.join(LSTSQ_DRIVERS)}), "
                           f"got {driver!r}")
    columns = unsqueeze(B, -1) if vector else B
    X = matmul(pinv(A, rtol=rcond), columns)
    m, n = A.shape[-2:]
    rank = matrix_rank(A, rtol=rcond) if driver != "gels" else _empty(xp.int64)
    residuals = _empty(A.array.dtype)
    # torch reads the residuals off LAPACK's output, which gelsy does not leave, and trusts gelsd's
    # and gelss's only at full rank
    full_rank = driver == "gels" or bool((rank.array == n).all())
    if m > n and driver not in (None, "gelsy") and full_rank:
        residuals = reduce_sum((matmul(A, X) - columns) ** 2, -2)
    singular_values = _empty(A.array.dtype)
    if driver in ("gelsd", "gelss"):   # torch's carry no gradient
        singular_values = svdvals(A).detach()
    return lstsq_result(squeeze(X, -1) if vector else X, residuals, rank, singular_values)


def _empty(dtype):
    return Tensor._make(xp.empty((0,), dtype=dtype))


def _lstsq_operands(A, B):
    """Whether B is a (batch of) vector(s) for A; the errors torch raises for operands it refuses,
    naming both shapes."""
    A, B = tensor_argument("linalg.lstsq", A, "A"), tensor_argument("linalg.lstsq", B, "B")

    def refuse(reason):
        raise RuntimeError(f"linalg.lstsq: A of shape {A.shape} and B of shape {B.shape} do not "
                           f"fit A X = B: {reason}")
    if A.ndim < 2:
        refuse("A needs at least 2 dimensions")
    if B.ndim < 1:
        refuse("B needs at least 1 dimension")
    if A.ndim - B.ndim not in (0, 1):
        refuse("B needs as many dimensions as A, or one fewer")
    vector, m = B.ndim == A.ndim - 1, A.shape[-2]
    if B.shape[-1 if vector else -2] != m:
        refuse(f"B needs A's {m} rows")
    if vector and B.shape != A.shape[:-1]:
        refuse(f"a B with one dimension fewer than A is a (batch of) vector(s) of shape "
               f"{tuple(A.shape[:-1])}")
    try:
        xp.broadcast_shapes(A.shape[:-2], B.shape[:-2])
    except ValueError:
        refuse(f"their batch dimensions {tuple(A.shape[:-2])} and {tuple(B.shape[:-2])} do not "
               "broadcast")
    if A.dtype != B.dtype:
        raise RuntimeError(f"linalg.lstsq: expected A and B to have the same dtype, but got "
                           f"{A.dtype} and {B.dtype}")
    if A.array.dtype not in (xp.float32, xp.float64):
        raise RuntimeError(f"linalg.lstsq: expected float32 or float64 tensors, got {A.dtype}")
    return vector


def vander(x, *, N=None):
    """The Vandermonde matrix of (a batch of) vectors in increasing powers,
    V[..., i, j] = x[..., i] ** j for j < N (N defaults to x's last size: V is square). Column j
    is column j - 1 times x, as in torch, so ∂V[..., i, j]/∂x[..., i] = j x^(j-1) holds at x = 0
    too. Integers give int64. torch.vander (chainrule.vander) is the older form: decreasing
    powers of one vector.

    Shape: x (*, n) -> V (*, n, N); a scalar x counts as a vector of one entry, as in torch.
    """
    x = tensor_argument("linalg.vander", x, "x")
    if x.array.dtype.kind not in "iuf" or x.array.dtype == xp.float16:
        raise RuntimeError(f"linalg.vander supports float32, float64 and integer tensors, but got "
                           f"{x.dtype}")
    if x.ndim == 0:
        x = reshape(x, 1)
    N = x.shape[-1] if N is None else N
    if isinstance(N, bool) or not isinstance(N, int):
        raise TypeError(f"linalg.vander: N must be an int, got {type(N).__name__}")
    if N <= 1:
        raise RuntimeError(f"linalg.vander: N must be greater than 1, got {N}")
    if x.array.dtype.kind in "iu":
        x = x.long()
    column = Tensor._make(xp.ones(x.shape, dtype=x.array.dtype))
    columns = [column]
    for _ in range(N - 1):
        column = column * x
        columns.append(column)
    return stack(columns, -1)
