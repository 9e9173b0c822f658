"""Factorisations with several outputs: eigh (w, V), svd (U, S, Vh) and qr (Q, R).

A Function has one output, so each factorisation returns its factors packed side by side in one
array (..., total) and the public function unpacks them with views (narrow, reshape); backward
unpacks the packed gradient the same way. The backward formulas are PyTorch's (and the
textbooks'); where the vectors get a gradient they divide by differences of eigenvalues (or
squared singular values), so they hold only for distinct ones, as in PyTorch, whose gradients are
then inf or nan too. A gradient of the values alone (eigvalsh, svdvals, norms) divides by nothing
and holds for repeated ones.
"""
import math

from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.decomposition import Inv, matrices, square_matrices
from chainrule.ops.diagonal import diag_embed
from chainrule.ops.index import narrow, tril
from chainrule.ops.join import cat
from chainrule.ops.linalg import matmul
from chainrule.ops.shape import matrix_transpose, reshape_to, unsqueeze
from chainrule.tensor import Tensor

__all__ = ["eigh", "svd", "qr"]


def pack(arrays, batch):
    """The factors side by side in one array of shape batch + (total,)."""
    flat = [a.reshape(batch + (math.prod(a.shape[len(batch):]),)) for a in arrays]
    return xp.concatenate(flat, axis=-1)


def unpack(packed, shapes):
    """The factors of a packed tensor, as views of the given shapes (batch dims excluded)."""
    parts, start = [], 0
    for shape in shapes:
        size = math.prod(shape)
        parts.append(reshape_to(narrow(packed, -1, start, size), packed.shape[:-1] + shape))
        start += size
    return parts


class Eigh(Function):
    """A = V diag(w) Vᵀ (A symmetric, its lower or upper triangle read);
    dA = V (diag(dw) + skew(Vᵀ dV) / E) Vᵀ, E_ij = w_j - w_i, skew(X) = (X - Xᵀ)/2"""
    save_inputs = False
    save_output = True

    def forward(self, a, uplo):
        n = a.shape[-1]
        self.shapes = ((n,), (n, n))
        w, v = xp.linalg.eigh(a, UPLO=uplo)
        return pack([w, v], a.shape[:-2])

    def backward(self, grad):
        w, v = unpack(self.output(), self.shapes)
        grad_w, grad_v = unpack(grad, self.shapes)
        if not xp.any(grad_v.array):   # eigenvalues only: no gaps to divide by, as in PyTorch
            return matmul(v, matmul(diag_embed(grad_w), matrix_transpose(v)))
        vt_gv = matmul(matrix_transpose(v), grad_v)
        skew = 0.5 * (vt_gv - matrix_transpose(vt_gv))
        gaps = unsqueeze(w, -2) - unsqueeze(w, -1) + _identity(w)
        inner = skew / gaps + diag_embed(grad_w)
        return matmul(v, matmul(inner, matrix_transpose(v)))


class Svd(Function):
    """A = U diag(S) Vh;  with E_ij = S_j² - S_i² and skew(X) = X - Xᵀ,
    dA = U [(skew(Uᵀ dU) S + S skew(Vh dVhᵀ)) / E + diag(dS)] Vh, plus, for a non-square A, the
    parts of dU (or dVh) outside the span of U (or Vh), divided by S"""
    save_inputs = False
    save_output = True

    def forward(self, a, full_matrices):
        m, n = a.shape[-2:]
        k = min(m, n)
        u, s, vh = xp.linalg.svd(a, full_matrices=full_matrices)
        self.shapes = ((m, u.shape[-1]), (k,), (vh.shape[-2], n))
        return pack([u, s, vh], a.shape[:-2])

    def backward(self, grad):
        u, s, vh = unpack(self.output(), self.shapes)
        grad_u, grad_s, grad_vh = unpack(grad, self.shapes)
        m, k, n = u.shape[-2], s.shape[-1], vh.shape[-1]
        if u.shape[-1] != k:   # full_matrices: the extra columns do not depend on A
            u, grad_u = narrow(u, -1, 0, k), narrow(grad_u, -1, 0, k)
        if vh.shape[-2] != k:
            vh, grad_vh = narrow(vh, -2, 0, k), narrow(grad_vh, -2, 0, k)
        if not (xp.any(grad_u.array) or xp.any(grad_vh.array)):   # svdvals: no gaps
            return matmul(u, matmul(diag_embed(grad_s), vh))
        skew_u = _skew(matmul(matrix_transpose(u), grad_u))
        skew_v = _skew(matmul(vh, matrix_transpose(grad_vh)))
        s2 = s * s
        gaps = unsqueeze(s2, -2) - unsqueeze(s2, -1) + _identity(s)
        inner = (skew_u * unsqueeze(s, -2) + unsqueeze(s, -1) * skew_v) / gaps
        inner = inner + diag_embed(grad_s)
        if m > k:
            left = grad_u / unsqueeze(s, -2)
            outer = matmul(u, inner) + left - matmul(u, matmul(matrix_transpose(u), left))
            return matmul(outer, vh)
        if n > k:
            right = grad_vh / unsqueeze(s, -1)
            outer = matmul(inner, vh) + right - matmul(matmul(right, matrix_transpose(vh)), vh)
            return matmul(u, outer)
        return matmul(u, matmul(inner, vh))


class Qr(Function):
    """A = Q R;  for m >= n, with M = R dRᵀ - dQᵀ Q and copyltu(M) its lower triangle mirrored,
    dA = (dQ + Q copyltu(M)) R⁻ᵀ; a wide A = [X | Y] is X = Q U (square) and Y = Q V, so
    dY = Q dV and dX is the square formula with dQ + Y dVᵀ"""
    save_inputs = False
    save_output = True

    def forward(self, a, mode):
        q, r = xp.linalg.qr(a, mode=mode)
        self.shapes = (q.shape[-2:], r.shape[-2:])
        return pack([q, r], a.shape[:-2])

    def backward(self, grad):
        q, r = unpack(self.output(), self.shapes)
        grad_q, grad_r = unpack(grad, self.shapes)
        m, k, n = q.shape[-2], q.shape[-1], r.shape[-1]
        if k == n:
            return _qr_backward(q, r, grad_q, grad_r)
        if k != m:
            raise NotImplementedError(
                f"linalg.qr backward: not implemented for mode 'complete' with m > n (Q of shape "
                f"{q.shape}, R of shape {r.shape}); use mode 'reduced'")
        u, v = narrow(r, -1, 0, m), narrow(r, -1, m, n - m)
        grad_u, grad_v = narrow(grad_r, -1, 0, m), narrow(grad_r, -1, m, n - m)
        y = matmul(q, v)
        grad_x = _qr_backward(q, u, grad_q + matmul(y, matrix_transpose(grad_v)), grad_u)
        return cat([grad_x, matmul(q, grad_v)], -1)


def _qr_backward(q, r, grad_q, grad_r):
    """dA of A = Q R for a square R."""
    mm = matmul(r, matrix_transpose(grad_r)) - matmul(matrix_transpose(grad_q), q)
    copyltu = tril(mm) + matrix_transpose(tril(mm, -1))
    return matmul(grad_q + matmul(q, copyltu), matrix_transpose(Inv.apply(r)))


def _identity(vector):
    """The identity the size of vector's last dim, in its dtype: fills the zero diagonal of E."""
    n = vector.shape[-1]
    return Tensor._make(xp.eye(n, dtype=vector.array.dtype))


def _skew(x):
    return x - matrix_transpose(x)


# ----- the functions -----------------------------------------------------------------------------
def eigh(a, uplo="L"):
    """(w, V): eigenvalues ascending and eigenvectors (columns) of symmetric matrices."""
    a = square_matrices("linalg.eigh", a)
    if uplo not in ("L", "U"):
        raise RuntimeError(f"linalg.eigh: UPLO must be 'L' or 'U', got {uplo!r}")
    n = a.shape[-1]
    return tuple(unpack(Eigh.apply(a, uplo=uplo), ((n,), (n, n))))


def svd(a, full_matrices=True):
    """(U, S, Vh) with A = U diag(S) Vh, S descending."""
    a = matrices("linalg.svd", a)
    m, n = a.shape[-2:]
    k = min(m, n)
    packed = Svd.apply(a, full_matrices=bool(full_matrices))
    shapes = ((m, m if full_matrices else k), (k,), (n if full_matrices else k, n))
    return tuple(unpack(packed, shapes))


def qr(a, mode="reduced"):
    """(Q, R) with A = Q R, Q orthonormal columns, R upper-triangular."""
    a = matrices("linalg.qr", a)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    m, n = a.shape[-2:]
    k = min(m, n)
    if mode == "r":
        _, r = unpack(Qr.apply(a.detach(), mode="reduced"), ((m, k), (k, n)))
        return Tensor._make(xp.empty((0,), dtype=a.array.dtype)), r
    rows = m if mode == "complete" else k
    return tuple(unpack(Qr.apply(a, mode=mode), ((m, rows), (rows, n))))

