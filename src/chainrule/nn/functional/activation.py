"""Activation functions with torch.nn.functional's signatures: the primitives of
chainrule.ops.activation, the `inplace=` and implicit-`dim` conventions around them, the
compositions silu and elu, and pad."""
import warnings

from chainrule.ops import activation as primitive
from chainrule.ops.activation import gelu, sigmoid, softplus, tanh
from chainrule.ops.compare import where
from chainrule.ops.join import pad
from chainrule.tensor import Tensor

__all__ = ["elu", "gelu", "leaky_relu", "log_softmax", "pad", "relu", "sigmoid", "silu",
           "softmax", "softplus", "tanh"]


def relu(input, inplace=False):
    """max(x, 0), elementwise."""
    return in_place(primitive.relu, input) if inplace else primitive.relu(input)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope * x."""
    if inplace:
        return in_place(lambda x: primitive.leaky_relu(x, negative_slope), input)
    return primitive.leaky_relu(input, negative_slope)


def silu(input, inplace=False):
    """x * sigmoid(x) (Hendrycks & Gimpel 2016; Ramachandran et al. 2017 call it swish)."""
    return in_place(silu, input) if inplace else input * sigmoid(input)


def elu(input, alpha=1.0, inplace=False):
    """x where x > 0, else alpha * (exp(x) - 1) (Clevert et al. 2015)."""
    # exp only of the non-positive part: exp(large x) would overflow to inf, and the masked-out
    # branch's gradient 0 * inf would be NaN
    if inplace:
        return in_place(lambda x: elu(x, alpha), input)
    return where(input > 0, input, input.clamp(max=0).expm1() * alpha)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / Σ exp(x) along dim."""
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim, _stacklevel)
    return primitive.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - log Σ exp(x) along dim."""
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim, _stacklevel)
    return primitive.log_softmax(input, dim, dtype=dtype)


def _implicit_dim(name, ndim, stacklevel):
    """torch's legacy choice when no dim is given: 0 for 0-, 1- and 3-d inputs, else 1."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def in_place(fn, input):
    """torch's inplace=True: input itself now holds fn(input). Recorded like any in-place change,
    so gradients still flow, and a leaf that requires grad is refused as in torch.

    fn runs on an alias of input (the same array and graph node, another Tensor): a composite
    may save its input for backward, and the alias keeps the value and version it saved while
    input itself is rebound to the result."""
    alias = Tensor._make(input.array, input.grad_fn)
    alias.requires_grad, alias._version = input.requires_grad, input._version
    return input.copy_(fn(alias))
