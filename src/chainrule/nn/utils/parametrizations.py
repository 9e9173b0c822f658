"""nn.utils.parametrizations: weight normalisation (Salimans & Kingma 2016) and spectral
normalisation (Miyato et al. 2018) as parametrizations, with torch's state_dict names
(parametrizations.weight.original0/original1; parametrizations.weight.original, ...0._u/_v)."""
from chainrule import creation
from chainrule.autograd.mode import no_grad
from chainrule.nn.functional.norm import normalize
from chainrule.nn.module import Module
from chainrule.nn.utils import parametrize
from chainrule.nn.utils.weight_norm import _weight_norm, norm_except_dim

__all__ = ["spectral_norm", "weight_norm"]


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
