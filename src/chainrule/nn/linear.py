"""Layers that are a single affine (or bilinear) map, or no map at all: Linear, Bilinear,
Identity, Flatten, Unflatten."""
import math

from chainrule import creation
from chainrule.nn import init
from chainrule.nn.functional.linear import bilinear, linear
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter, factory_kwargs


class Identity(Module):
    """Returns its input unchanged (a placeholder in a Sequential).

    Gradient: none, the output is the input itself.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Linear(Module):
    """y = x Wᵀ + b.

    Args:
        in_features: size of each input's last dim.
        out_features: size of each output's last dim.
        bias: learn an additive bias b (default True).
        device, dtype: where and in which floating dtype the parameters are made.

    Shape: input (*, in_features) -> output (*, out_features).

    Initialized as in torch: W ~ kaiming_uniform_(a=√5), i.e. U(±1/√in_features), and
    b ~ U(±1/√in_features).
    Gradient: ops.linalg.LinearFunction.backward.
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        factory = factory_kwargs("Linear", device, dtype)
        self.in_features, self.out_features = in_features, out_features
        self.weight = Parameter(creation.empty(out_features, in_features, **factory))
        self.bias = Parameter(creation.empty(out_features, **factory)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise RuntimeError(f"{self!r}: expected input of shape (*, {self.in_features}), got "
                               f"{x.shape}")
        return linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y = x1ᵀ A x2 + b, one matrix A per output feature.

    Args:
        in1_features, in2_features: sizes of each input's last dim.
        out_features: size of the output's last dim.
        bias: learn an additive bias b (default True).
        device, dtype: where and in which floating dtype the parameters are made.

    Shape: input1 (*, in1_features), input2 (*, in2_features) -> output (*, out_features).

    Initialized as in torch: A and b ~ U(±1/√in1_features).
    Gradient: nn.functional.bilinear, composed of ops.linalg.Einsum, ops.elementwise.Add.
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        factory = factory_kwargs("Bilinear", device, dtype)
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = Parameter(creation.empty(out_features, in1_features, in2_features,
                                               **factory))
        self.bias = Parameter(creation.empty(out_features, **factory)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in1_features)
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Flatten(Module):
    """Flattens dims start_dim..end_dim into one. Shape: (N, *dims) -> (N, prod(dims)).

    Gradient: ops.shape.View.backward.
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x):
        return x.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Splits dim into unflattened_size. Shape: (*, S, *) -> (*, *unflattened_size, *).

    Gradient: ops.shape.View.backward.
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim, self.unflattened_size = dim, tuple(unflattened_size)

    def forward(self, input):
        return input.unflatten(self.dim, self.unflattened_size)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
