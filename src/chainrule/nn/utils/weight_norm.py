"""nn.utils.weight_norm (the hook-based API torch keeps, deprecated in favour of
parametrizations.weight_norm): weight = g · v / ‖v‖ recomputed before each forward from
parameters weight_g and weight_v (Salimans & Kingma 2016)."""
import warnings

from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter

__all__ = ["norm_except_dim", "remove_weight_norm", "weight_norm"]


def norm_except_dim(v, pow=2, dim=0):
    """‖v‖_pow over every dim but `dim`, kept as size-1 dims (dim -1: over all of v, a 0-d
    tensor), as torch.norm_except_dim."""
    if dim == -1:
        return v.norm(pow)
    dim = dim + v.ndim if dim < 0 else dim
    others = tuple(d for d in range(v.ndim) if d != dim)
    return v.abs().pow(pow).sum(others, keepdim=True).pow(1.0 / pow)


def _weight_norm(v, g, dim=0):
    """w = v · g / ‖v‖ (norm as norm_except_dim)."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes module.<name> from <name>_g and <name>_v."""

    def __init__(self, name, dim):
        self.name, self.dim = name, -1 if dim is None else dim

    def compute_weight(self, module):
        return _weight_norm(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"),
                            self.dim)

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Replace parameter <name> by <name>_g (its norms over every dim but dim; dim=None: one
    norm) and <name>_v (its direction), recombined before each forward. Returns module."""
    warnings.warn("`torch.nn.utils.weight_norm` is deprecated in favor of "
                  "`torch.nn.utils.parametrizations.weight_norm`.", FutureWarning, stacklevel=2)
    if not isinstance(module, Module):
        raise TypeError(f"weight_norm: expected a Module, got {type(module).__name__}")
    if any(isinstance(h, WeightNorm) and h.name == name for h in module._forward_pre_hooks):
        raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter {name}")
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"weight_norm: module {type(module).__name__} has no parameter {name!r}")
    hook = WeightNorm(name, dim)
    del module._parameters[name]
    module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, 2, hook.dim).detach()))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    setattr(module, name, hook.compute_weight(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_norm(module, name="weight"):
    """Undo weight_norm: <name> a Parameter again, holding the current g · v / ‖v‖."""
    for hook in module._forward_pre_hooks:
        if isinstance(hook, WeightNorm) and hook.name == name:
            weight = hook.compute_weight(module)
            delattr(module, name)
            del module._parameters[name + "_g"]
            del module._parameters[name + "_v"]
            setattr(module, name, Parameter(weight.detach()))
            module._forward_pre_hooks.remove(hook)
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
