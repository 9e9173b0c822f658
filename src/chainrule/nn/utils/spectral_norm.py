"""nn.utils.spectral_norm (the hook-based API): weight = weight_orig / σ(weight_orig) before each
forward, σ estimated by power iteration on buffers weight_u and weight_v (Miyato et al. 2018)."""
from chainrule import creation
from chainrule.grad_mode import no_grad
from chainrule.nn.functional.norm import normalize
from chainrule.nn.parameter import Parameter

__all__ = ["remove_spectral_norm", "spectral_norm"]


class SpectralNorm:
    """The forward pre-hook: in training, n_power_iterations steps v <- Wᵀu/‖·‖, u <- Wv/‖·‖
    (in place), then weight = W / (uᵀ W v)."""

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.name, self.dim = name, dim
        self.n_power_iterations, self.eps = n_power_iterations, eps

    def reshape_weight_to_matrix(self, weight):
        if self.dim != 0:
            weight = weight.permute(self.dim, *(d for d in range(weight.ndim) if d != self.dim))
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        matrix = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            with no_grad():
                for _ in range(self.n_power_iterations):
                    v.copy_(normalize(matrix.mT.matmul(u), dim=0, eps=self.eps))
                    u.copy_(normalize(matrix.matmul(v), dim=0, eps=self.eps))
        sigma = (u.clone() * matrix.matmul(v.clone())).sum()
        return weight / sigma

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Divide parameter <name> by its largest singular value before each forward; it is kept as
    <name>_orig, with buffers <name>_u and <name>_v. dim: the output dim (default 0, 1 for
    transposed convolutions). Returns module."""
    if any(isinstance(h, SpectralNorm) and h.name == name for h in module._forward_pre_hooks):
        raise RuntimeError(f"Cannot register two spectral_norm hooks on the same parameter {name}")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    hook = SpectralNorm(name, n_power_iterations, dim, eps)
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
    with no_grad():
        height, width = hook.reshape_weight_to_matrix(weight).shape
        u = normalize(creation.empty(height, dtype=weight.dtype).normal_(0, 1), dim=0, eps=eps)
        v = normalize(creation.empty(width, dtype=weight.dtype).normal_(0, 1), dim=0, eps=eps)
    delattr(module, name)
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.detach())
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(hook)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undo spectral_norm: <name> a Parameter again, holding the current normalized weight."""
    for hook in module._forward_pre_hooks:
        if isinstance(hook, SpectralNorm) and hook.name == name:
            with no_grad():
                weight = hook.compute_weight(module, do_power_iteration=False)
            for attribute in (name, name + "_u", name + "_v", name + "_orig"):
                delattr(module, attribute)
            module.register_parameter(name, Parameter(weight.detach()))
            module._forward_pre_hooks.remove(hook)
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
