"""nn.utils.parametrizations: weight normalization (Salimans & Kingma 2016), spectral
normalization (Miyato et al. 2018) and orthogonal matrices (Lezcano-Casado & Martínez-Rubio 2019)
as parametrizations, with torch's state_dict names (parametrizations.weight.original0/original1;
parametrizations.weight.original, ...0._u/_v, ...0.base)."""
from chainrule import creation, linalg
from chainrule.grad_mode import no_grad
from chainrule.backend import xp
from chainrule.ops.join import cat
from chainrule.tensor import Tensor
from chainrule.nn.functional.norm import normalize
from chainrule.nn.module import Module
from chainrule.nn.utils import parametrize
from chainrule.nn.utils.weight_norm import _weight_norm, norm_except_dim

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]

ORTHOGONAL_MAPS = ("matrix_exp", "cayley", "householder")


class _WeightNorm(Module):
    """w = g · v / ‖v‖, the norm over every dim but `dim` (None: over all of v)."""

    def __init__(self, dim=0):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return _weight_norm(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, 2, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """module.<name> = g · v / ‖v‖ from two parameters, parametrizations.<name>.original0 (g, the
    norms) and original1 (v, the direction). Returns module."""
    return parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


def _as_matrix(weight, dim):
    """weight with `dim` moved first and the rest flattened: (size of dim, everything else)."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim))
    return weight.flatten(1)


class _SpectralNorm(Module):
    """w / σ(w), σ estimated by power iteration on buffers _u and _v (updated in place, in
    training only); a 1-D weight is just divided by its norm."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of "
                             f"[-{ndim}, {ndim - 1}] but got {dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            matrix = _as_matrix(weight.detach(), self.dim)
            height, width = matrix.shape
            u = creation.empty(height, dtype=weight.dtype).normal_(0, 1)
            v = creation.empty(width, dtype=weight.dtype).normal_(0, 1)
            self.register_buffer("_u", normalize(u, dim=0, eps=self.eps))
            self.register_buffer("_v", normalize(v, dim=0, eps=self.eps))
            self._power_method(matrix, 15)   # torch starts from 15 iterations too

    def _power_method(self, matrix, iterations):
        with no_grad():
            matrix = matrix.detach()
            for _ in range(iterations):
                self._u.copy_(normalize(matrix.matmul(self._v), dim=0, eps=self.eps))
                self._v.copy_(normalize(matrix.mT.matmul(self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        matrix = _as_matrix(weight, self.dim)
        if self.training:
            self._power_method(matrix, self.n_power_iterations)
        u, v = self._u.clone(), self._v.clone()
        sigma = (u * matrix.matmul(v)).sum()
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """module.<name> divided by its largest singular value, estimated by power iteration each
    training forward; dim (default 0, 1 for transposed convolutions) is the output dim. Returns
    module."""
    weight = getattr(module, name, None)
    if weight is None:
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    return parametrize.register_parametrization(
        module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))


def _householder_product(reflectors, tau):
    """The first k columns of H_1 ··· H_k, H_i = I - tau_i v_i v_iᵀ, v_i column i of the (n, k)
    reflectors below the diagonal with a 1 on it (torch.linalg.householder_product)."""
    n, k = reflectors.shape[-2:]
    eye = Tensor._make(xp.eye(n, dtype=reflectors.array.dtype))
    product = eye.expand(reflectors.shape[:-2] + (n, n))
    for i in range(k):
        v = (reflectors[..., :, i] + eye[i]).unsqueeze(-1)                 # (..., n, 1)
        product = product - (product.matmul(v) * tau[..., i, None, None]).matmul(v.mT)
    return product[..., :k]


def _make_orthogonal(a):
    """The Q of a = QR with diag(R) >= 0: unique, so it agrees with torch's geqrf route."""
    q, r = linalg.qr(a)
    return q * r.diagonal(dim1=-2, dim2=-1).sign().unsqueeze(-2)


def _is_orthogonal(q):
    n, k = q.shape[-2:]
    eps = 10.0 * n * float(xp.finfo(q.array.dtype).eps)
    return bool(xp.allclose(q.array.swapaxes(-1, -2) @ q.array, xp.eye(k), atol=eps))


class _Orthogonal(Module):
    """Q(X): an orthogonal matrix (orthonormal columns, or rows if wide) from an unconstrained X,
    by the exponential or Cayley map of the skew-symmetric part of X, or Householder
    reflections; with use_trivialization, Q = base · Q(X), base set by right_inverse."""

    def __init__(self, weight, orthogonal_map, *, use_trivialization=True):
        super().__init__()
        self.shape, self.orthogonal_map = weight.shape, orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X):
        n, k = X.shape[-2:]
        transposed = n < k
        if transposed:
            X, n, k = X.mT, k, n
        if self.orthogonal_map == "householder":
            A = X.tril(diagonal=-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = _householder_product(A, tau)
            # the signs on X's diagonal (±1, never trained: torch casts them to int)
            signs = xp.trunc(X.diagonal(dim1=-2, dim2=-1).array).astype(X.array.dtype)
            Q = Q * Tensor._make(signs).unsqueeze(-2)
        else:
            X = X.tril()
            if n != k:
                zeros = Tensor._make(xp.zeros(X.shape[:-2] + (n, n - k), X.array.dtype))
                X = cat([X, zeros], -1)
            A = X - X.mT
            if self.orthogonal_map == "matrix_exp":
                Q = linalg.matrix_exp(A)
            else:
                eye = Tensor._make(xp.eye(n, dtype=A.array.dtype))
                Q = linalg.solve(eye - A * 0.5, eye + A * 0.5)
            if n != k:
                Q = Q[..., :k]
        if "base" in self._buffers:
            Q = self.base.matmul(Q)
        return Q.mT if transposed else Q

    def right_inverse(self, Q):
        with no_grad():
            if Q.shape != self.shape:
                raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. "
                                 f"Got a tensor of shape {Q.shape}.")
            original = Q
            n, k = Q.shape[-2:]
            if n < k:
                Q, n, k = Q.mT, k, n
            if "base" not in self._buffers:
                raise NotImplementedError("orthogonal: assigning to the parametrized tensor needs "
                                          "use_trivialization=True")
            if n == k:
                Q = Q.clone() if _is_orthogonal(Q) else _make_orthogonal(Q)
            else:   # completed to a square orthogonal matrix with random columns, as torch
                extra = creation.randn(*(Q.shape[:-2] + (n, n - k)), dtype=Q.dtype)
                Q = _make_orthogonal(cat([Q, extra], -1))
            self.base = Q
            # -I: the Householder map sends it to the identity (and the others ignore a diagonal)
            minus_identity = xp.zeros(original.shape, original.array.dtype)
            index = xp.arange(min(original.shape[-2:]))
            minus_identity[..., index, index] = -1.0
            return Tensor._make(minus_identity)


def orthogonal(module, name="weight", orthogonal_map=None, *, use_trivialization=True):
    """module.<name> kept orthogonal (orthonormal columns, or rows if wide): Q(X) of an
    unconstrained X, by orthogonal_map "matrix_exp" (default for square), "cayley" or
    "householder" (default otherwise). Returns module."""
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} "
                         "dimensions.")
    if orthogonal_map is None:
        square = weight.shape[-2] == weight.shape[-1]
        orthogonal_map = "matrix_exp" if square else "householder"
    if orthogonal_map not in ORTHOGONAL_MAPS:
        raise ValueError(f'orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    parametrization = _Orthogonal(weight, orthogonal_map, use_trivialization=use_trivialization)
    return parametrize.register_parametrization(module, name, parametrization, unsafe=True)
