"""Activation functions with torch.nn.functional's signatures: the primitives of
chainrule.ops.activation, the `inplace=` and implicit-`dim` conventions around them, the
compositions (silu, elu, the hard and piecewise-linear activations, mish, selu, glu ...),
and pad."""
import math
import warnings

from chainrule.autograd import no_grad
from chainrule.ops import activation as primitive
from chainrule.ops.activation import sigmoid, softplus, tanh
from chainrule.ops.compare import where
from chainrule.ops.join import pad
from chainrule.tensor import Tensor

__all__ = ["celu", "celu_", "elu", "elu_", "gelu", "glu", "hardshrink", "hardsigmoid", "hardswish",
           "hardtanh", "hardtanh_", "leaky_relu", "leaky_relu_", "log_softmax", "logsigmoid", "mish",
           "pad", "prelu", "relu", "relu6", "relu_", "selu", "selu_", "sigmoid", "silu", "softmax",
           "softmin", "softplus", "softshrink", "softsign", "tanh", "tanhshrink", "threshold",
           "threshold_"]


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


def gelu(input, approximate="none"):
    """x Φ(x); approximate='tanh' (GPT-2's) is one fused node, ops.fused.GeluTanh."""
    return primitive.gelu(input, approximate=approximate)


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / Σ exp(x) along dim; along the last dim one fused node, ops.fused.SoftmaxLast."""
    if dim is None:
        dim = _implicit_dim("softmax", input.ndim, _stacklevel)
    return primitive.softmax(input, dim, dtype=dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """x - log Σ exp(x) along dim."""
    if dim is None:
        dim = _implicit_dim("log_softmax", input.ndim, _stacklevel)
    return primitive.log_softmax(input, dim, dtype=dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """exp(-x) / Σ exp(-x) along dim: softmax(-x)."""
    if dim is None:
        dim = _implicit_dim("softmin", input.ndim, _stacklevel)
    return primitive.softmax(-input, dim, dtype=dtype)


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
    alias._requires_grad, alias._version = input._requires_grad, input._version
    return input.copy_(fn(alias))


# ----- piecewise-linear activations -----------------------------------------------------------
def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """min(max(x, min_val), max_val); the gradient is 1 strictly inside, 0 at the bounds (as
    torch, whose clamp instead passes the gradient at the bounds)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got min_val={min_val}"
                         f" and max_val={max_val}")
    if inplace:
        return in_place(lambda x: hardtanh(x, min_val, max_val), input)
    return _open_clamp(input, min_val, max_val)


def relu6(input, inplace=False):
    """min(max(x, 0), 6): hardtanh(x, 0, 6), with no gradient at 0 and 6 (as torch)."""
    return hardtanh(input, 0.0, 6.0, inplace)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6; gradient 1/6 strictly between -3 and 3 (Howard et al. 2019)."""
    if inplace:
        return in_place(hardsigmoid, input)
    return _open_clamp(input / 6 + 0.5, 0.0, 1.0)


def hardswish(input, inplace=False):
    """x relu6(x + 3) / 6 (Howard et al. 2019, MobileNetV3); gradient x/3 + 1/2 strictly
    between -3 and 3, and (as torch) 0 at -3 and 1 at 3."""
    if inplace:
        return in_place(hardswish, input)
    x = input
    middle = where(x < 3, x * (x + 3) / 6, x)
    return where(x <= -3, 0.0, middle)


def _open_clamp(x, low, high):
    """x clamped to [low, high], passing the gradient only where low < x < high."""
    inside = (x > low) & (x < high)
    with no_grad():  # the clamped values outside are constants (not a detach(): a view of x
        bounded = x.clamp(low, high)  # would block inplace=True from overwriting x)
    return where(inside, x, bounded)


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else value."""
    if inplace:
        return in_place(lambda x: _threshold(x, threshold, value), input)
    return _threshold(input, threshold, value)


def _threshold(input, bound, value):  # threshold's own name is hidden by its argument's
    return where(input > bound, input, value)


def prelu(input, weight):
    """x where x > 0, else w x, with w one slope or one per channel (dim 1; He et al. 2015)."""
    if weight.ndim > 1:
        raise RuntimeError(f"prelu: expected weight to be a scalar or 1-D tensor, got shape "
                           f"{weight.shape}")
    count = weight.numel()
    if count != 1:
        channels = input.shape[1] if input.ndim > 1 else 1
        if input.ndim == 0 or channels != count:
            raise RuntimeError(f"prelu: expected one weight or one per channel (dim 1 of input "
                               f"{input.shape}), got weight of shape {weight.shape}")
        if input.ndim > 1:
            weight = weight.reshape((count,) + (1,) * (input.ndim - 2))
    elif weight.ndim == 1:
        weight = weight.reshape(())
    return where(input > 0, input, weight * input)


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0."""
    return where(input.abs() > lambd, input, 0.0)


def softshrink(input, lambd=0.5):
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0."""
    if lambd < 0:
        raise RuntimeError(f"softshrink: lambda must be greater or equal to 0, got {lambd}")
    return where(input.abs() > lambd, input - input.sign() * lambd, 0.0)


# ----- smooth activations -----------------------------------------------------------------------
def mish(input, inplace=False):
    """x tanh(softplus(x)) (Misra 2019)."""
    if inplace:
        return in_place(mish, input)
    return input * tanh(softplus(input))


def logsigmoid(input):
    """log σ(x) = -softplus(-x), stable for large |x|."""
    return -softplus(-input, threshold=math.inf)


def softsign(input):
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def tanhshrink(input):
    """x - tanh(x)."""
    return input - tanh(input)


# Klambauer et al. (2017), "Self-Normalizing Neural Networks", eq. 14: the fixed point
# (mean 0, variance 1) constants, to the digits torch uses
_SELU_ALPHA, _SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """scale elu(x, alpha) with Klambauer et al.'s alpha ≈ 1.6733 and scale ≈ 1.0507."""
    if inplace:
        return in_place(selu, input)
    return elu(input, _SELU_ALPHA) * _SELU_SCALE


def celu(input, alpha=1.0, inplace=False):
    """x where x > 0, else alpha (exp(x / alpha) - 1) (Barron 2017)."""
    if alpha == 0:
        raise RuntimeError("celu: alpha must not be 0 (it divides the input)")
    if inplace:
        return in_place(lambda x: celu(x, alpha), input)
    return where(input > 0, input, (input.clamp(max=0) / alpha).expm1() * alpha)


def glu(input, dim=-1):
    """a σ(b), where a and b are the two halves of input along dim (Dauphin et al. 2017)."""
    if input.ndim == 0:
        raise RuntimeError("glu: does not support scalars because halving size must be even")
    size = input.shape[dim]
    if size % 2:
        raise RuntimeError(f"glu: halving dimension must be even, but dimension {dim} of input "
                           f"{input.shape} is size {size}")
    first, second = input.chunk(2, dim)
    return first * sigmoid(second)



# torch's in-place spellings, F.relu_(x) for F.relu(x, inplace=True)
def relu_(input):
    return relu(input, inplace=True)


def leaky_relu_(input, negative_slope=0.01):
    return leaky_relu(input, negative_slope, inplace=True)


def elu_(input, alpha=1.0):
    return elu(input, alpha, inplace=True)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    return hardtanh(input, min_val, max_val, inplace=True)


def threshold_(input, threshold, value):
    return in_place(lambda x: _threshold(x, threshold, value), input)


def celu_(input, alpha=1.0):
    return celu(input, alpha, inplace=True)


def selu_(input):
    return selu(input, inplace=True)
