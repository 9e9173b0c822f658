"""Matrix functions of (batches of) square matrices: inverse, determinant, log |det|, solve, the
Cholesky factor and the matrix exponential. Every backward is written with these same ops and
products, so gradients can be differentiated again.

Gradients assume what the formulas need: an invertible matrix for inv, slogdet and solve, a
positive-definite one for cholesky. det's gradient holds for singular matrices too (through the
SVD, as in PyTorch).
"""
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.broadcast import sum_to
from chainrule.ops.compare import where
from chainrule.ops.diagonal import diag_embed, diagonal
from chainrule.ops.index import narrow, tril
from chainrule.ops.join import cat
from chainrule.ops.linalg import matmul
from chainrule.ops.reduce import prod
from chainrule.ops.shape import matrix_transpose, reshape_to
from chainrule.tensor import Tensor

__all__ = ["inv", "det", "logabsdet", "solve", "matrix_exp", "cholesky_lower", "LinAlgError"]


class LinAlgError(RuntimeError):
    """A matrix the operation cannot work with: singular, not positive-definite (as
    torch.linalg.LinAlgError, a RuntimeError)."""


class Inv(Function):
    """Y = A⁻¹;  dA = -Yᵀ dY Yᵀ"""
    save_inputs = False
    save_output = True

    def forward(self, a):
        try:
            return xp.linalg.inv(a)
        except xp.linalg.LinAlgError:
            raise LinAlgError(f"linalg.inv: the input (shape {a.shape}) is singular: it has no "
                              "inverse (torch.linalg.pinv gives a pseudo-inverse)") from None

    def backward(self, grad):
        yt = matrix_transpose(self.output())
        return -matmul(yt, matmul(grad, yt))


class Det(Function):
    """y = det A;  dA = dy · y · A⁻ᵀ, or, when some A in the batch is (nearly) singular, dy times
    its cofactor matrix ± U diag(Π_{j≠i} σ_j) Vh from the SVD (as PyTorch)"""
    save_output = True

    @xp.errstate(over="ignore")   # a determinant beyond the dtype's range is inf, as in torch
    def forward(self, a):
        return xp.asarray(xp.linalg.det(a))

    def backward(self, grad):
        a = self.inputs[0]
        singular_values = xp.linalg.svd(a.array, compute_uv=False)
        floor = singular_values[..., :1] * xp.finfo(a.array.dtype).eps ** 0.5
        if xp.any(singular_values[..., -1:] <= floor):   # (nearly) singular: A⁻¹ is no use
            return reshape_to(grad, grad.shape + (1, 1)) * _cofactors(a)
        scale = reshape_to(grad * self.output(), grad.shape + (1, 1))
        return scale * matrix_transpose(Inv.apply(a))


def _cofactors(a):
    """The cofactor matrix of A (the gradient of det A), through the SVD: defined for singular A."""
    from chainrule.ops.spectral import svd   # spectral builds on this module
    u, s, vh = svd(a, full_matrices=False)
    eye = xp.eye(s.shape[-1], dtype=bool)
    others = where(Tensor._make(eye), Tensor._make(xp.ones((), dtype=s.array.dtype)),
                   reshape_to(s, s.shape[:-1] + (1, s.shape[-1])))
    sign = xp.linalg.det(u.array) * xp.linalg.det(vh.array)
    products = reshape_to(prod(others, -1), s.shape[:-1] + (1, s.shape[-1]))
    return matmul(u * (Tensor._make(sign[..., None, None]) * products), vh)


class LogAbsDet(Function):
    """y = log |det A|;  dA = dy · A⁻ᵀ"""

    def forward(self, a):
        return xp.asarray(xp.linalg.slogdet(a)[1])

    def backward(self, grad):
        a = self.inputs[0]
        return reshape_to(grad, grad.shape + (1, 1)) * matrix_transpose(Inv.apply(a))


class Solve(Function):
    """X = A⁻¹ B (batch dims broadcast);  dB = A⁻ᵀ dX,  dA = -dB Xᵀ"""
    save_output = True

    def forward(self, a, b):
        try:
            return xp.linalg.solve(a, b)
        except xp.linalg.LinAlgError:
            raise LinAlgError(f"linalg.solve: the matrix A (shape {a.shape}) is singular: "
                              "A X = B has no unique solution (torch.linalg.lstsq finds a "
                              "least-squares one)") from None

    def backward(self, grad):
        a, b = self.inputs
        grad_b = Solve.apply(matrix_transpose(a), grad)
        grad_a = None
        if self.needs_input_grad[0]:
            grad_a = sum_to(-matmul(grad_b, matrix_transpose(self.output())), a.shape)
        return grad_a, sum_to(grad_b, b.shape) if self.needs_input_grad[1] else None


class Cholesky(Function):
    """L lower-triangular with A = L Lᵀ;  dA = sym(L⁻ᵀ Φ(Lᵀ dL) L⁻¹), where Φ keeps the lower
    triangle with the diagonal halved and sym(X) = (X + Xᵀ)/2"""
    save_inputs = False
    save_output = True

    def forward(self, a):
        try:
            return xp.linalg.cholesky(a)
        except xp.linalg.LinAlgError:
            raise LinAlgError(f"linalg.cholesky: the input (shape {a.shape}) is not "
                              "positive-definite: the factorization could not be "
                              "completed") from None

    def backward(self, grad):
        lower = self.output()
        s = matmul(matrix_transpose(lower), grad)
        phi = tril(s) - 0.5 * diag_embed(diagonal(s, 0, -2, -1))
        inverse = Inv.apply(lower)
        grad_a = matmul(matrix_transpose(inverse), matmul(phi, inverse))
        return 0.5 * (grad_a + matrix_transpose(grad_a))


class MatrixExp(Function):
    """Y = exp(A) = Σ Aᵏ/k!;  dA = the upper-right block of exp([[Aᵀ, dY], [0, Aᵀ]]) (the
    derivative of exp in direction dY, by Van Loan's block formula)"""

    def forward(self, a):
        return matrix_exp_array(a)

    def backward(self, grad):
        at = matrix_transpose(self.inputs[0])
        n = at.shape[-1]
        zeros = Tensor._make(xp.zeros(at.shape, dtype=at.array.dtype))
        block = cat([cat([at, grad], -1), cat([zeros, at], -1)], -2)
        return narrow(narrow(MatrixExp.apply(block), -2, 0, n), -1, n, n)


@xp.errstate(over="ignore", invalid="ignore")   # exp of a large matrix: inf, then nan, as torch
def matrix_exp_array(a):
    """Scaling and squaring: A / 2ˢ has 1-norm at most 1/2, where 18 terms of the Taylor series
    leave an error below 1e-22; the result is then squared s times."""
    norm = xp.abs(a).sum(-2).max(initial=0.0)
    s = max(0, int(xp.ceil(xp.log2(norm / 0.5)))) if norm > 0.5 else 0
    x = a / 2.0 ** s
    term = xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.dtype), a.shape).copy()
    total = term.copy()
    for k in range(1, 19):
        term = xp.matmul(term, x) / k
        total += term
    for _ in range(s):
        total = xp.matmul(total, total)
    return total


# ----- checks ------------------------------------------------------------------------------------
def matrices(name, a):
    """a as a float tensor of shape (..., m, n), or a clear error naming `name` and the shape."""
    if not isinstance(a, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(a).__name__}")
    if a.ndim < 2:
        raise RuntimeError(f"{name}: the input must have at least 2 dimensions, got shape "
                           f"{a.shape}")
    return floating_matrix(name, a)


def square_matrices(name, a):
    """a as a float tensor of shape (..., n, n), or a clear error naming `name` and the shape."""
    a = matrices(name, a)
    if a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"{name}: A must be batches of square matrices, but they are "
                           f"{a.shape[-2]} by {a.shape[-1]} matrices (shape {a.shape})")
    return a


def floating_matrix(name, a):
    if a.array.dtype.kind != "f":
        raise RuntimeError(f"{name}: expected a floating-point tensor (float32 or float64), got "
                           f"{a.dtype} (shape {a.shape}); convert it with .float() or .double()")
    return a


# ----- the functions (linalg.py gives them PyTorch's signatures) ---------------------------------
def inv(a):
    return Inv.apply(square_matrices("linalg.inv", a))


def det(a):
    return Det.apply(square_matrices("linalg.det", a))


def logabsdet(a):
    return LogAbsDet.apply(square_matrices("linalg.slogdet", a))


def solve(a, b):
    """X with A X = B for matrices B (..., n, k); linalg.solve handles vectors."""
    return Solve.apply(a, b)


def matrix_exp(a):
    return MatrixExp.apply(square_matrices("linalg.matrix_exp", a))


def cholesky_lower(a):
    return Cholesky.apply(square_matrices("linalg.cholesky", a))


TENSOR_METHODS = {"inverse": inv, "det": det, "matrix_exp": matrix_exp}
