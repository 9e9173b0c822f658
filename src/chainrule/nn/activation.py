"""Activation layers: modules that apply an elementwise activation function from nn.functional,
with torch's arguments and reprs (PReLU, the only one with a parameter, learns its slopes). The
softmax family, which normalizes along a dim, is in nn/softmax.py.

Shape (every layer here but GLU): input (*) -> output (*), the same shape.
"""
from chainrule import creation
from chainrule.nn import functional as F
from chainrule.nn import init as initializers
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter, factory_kwargs


def _inplace_repr(inplace, first=True):
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class _Elementwise(Module):
    """An activation whose only option is inplace; torch's Hardswish and Hardsigmoid take it but
    leave it out of their reprs."""
    shows_inplace = True

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return _inplace_repr(self.inplace) if self.shows_inplace else ""


class ReLU(_Elementwise):
    """max(x, 0), elementwise.

    Args: inplace: overwrite the input with the result (default False).
    Shape: (*) -> (*).
    Gradient: ops.activation.ReLUFunction.backward.
    """

    def forward(self, input):
        return F.relu(input, self.inplace)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x.

    Args: negative_slope (default 0.01); inplace (default False).
    Shape: (*) -> (*).
    Gradient: ops.activation.LeakyReLUFunction.backward.
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + _inplace_repr(self.inplace, first=False)


class GELU(Module):
    """x Φ(x), Φ the standard normal CDF (Hendrycks & Gimpel 2016).

    Args: approximate: 'none' (exact, with erf) or 'tanh' (the tanh approximation).
    Shape: (*) -> (*).
    Gradient: nn.functional.gelu: ops.activation.GELUFunction, or with approximate='tanh' one
    fused op, ops.fused.GeluTanh.
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(_Elementwise):
    """x * sigmoid(x), also called swish.

    Args: inplace (default False).
    Shape: (*) -> (*).
    Gradient: nn.functional.silu, composed of ops.activation.SigmoidFunction, ops.elementwise.Mul.
    """

    def forward(self, input):
        return F.silu(input, self.inplace)


class ELU(Module):
    """x where x > 0, else alpha * (exp(x) - 1) (Clevert et al. 2015).

    Args: alpha (default 1.0); inplace (default False).
    Shape: (*) -> (*).
    Gradient: nn.functional.elu, composed of ops.compare.Where, ops.unary.Expm1.
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + _inplace_repr(self.inplace, first=False)


class Tanh(Module):
    """tanh(x), elementwise. Shape: (*) -> (*).

    Gradient: ops.activation.TanhFunction.backward.
    """

    def forward(self, input):
        return F.tanh(input)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise. Shape: (*) -> (*).

    Gradient: ops.activation.SigmoidFunction.backward.
    """

    def forward(self, input):
        return F.sigmoid(input)


class Softplus(Module):
    """log(1 + exp(βx)) / β, and x itself where βx > threshold (numerically the same there).

    Args: beta (default 1.0); threshold (default 20.0).
    Shape: (*) -> (*).
    Gradient: ops.activation.SoftplusFunction.backward.
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """min(max(x, min_val), max_val), with gradient 0 at the bounds (as torch).

    Args: min_val (default -1.0); max_val (default 1.0); inplace (default False).
    Shape: (*) -> (*).
    Gradient: ops.compare.Where.backward.
    """

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if max_val <= min_val:
            raise ValueError(f"Hardtanh: max_val ({max_val}) must be greater than min_val "
                             f"({min_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self):
        return (f"min_val={self.min_val}, max_val={self.max_val}"
                + _inplace_repr(self.inplace, first=False))


class ReLU6(Hardtanh):
    """min(max(x, 0), 6). Args: inplace (default False). Shape: (*) -> (*).

    Gradient: ops.compare.Where.backward.
    """

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class PReLU(Module):
    """x where x > 0, else a x, with a learned slope a: one, or one per channel (dim 1).

    Args: num_parameters: 1 or the number of channels (default 1); init: the slopes' initial
    value (default 0.25); device, dtype: where and in which floating dtype the slopes are made.
    Shape: (*) -> (*); with num_parameters = C, input (N, C, *) or (C,).
    Gradient: nn.functional.prelu, composed of ops.compare.Where, ops.elementwise.Mul.
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        factory = factory_kwargs("PReLU", device, dtype)
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(creation.empty(num_parameters, **factory))
        self.reset_parameters()

    def reset_parameters(self):
        initializers.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Threshold(Module):
    """x where x > threshold, else value.

    Args: threshold; value; inplace (default False).
    Shape: (*) -> (*).
    Gradient: ops.compare.Where.backward.
    """

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self):
        return (f"threshold={self.threshold}, value={self.value}"
                + _inplace_repr(self.inplace, first=False))


class CELU(Module):
    """x where x > 0, else alpha (exp(x / alpha) - 1).

    Args: alpha (default 1.0); inplace (default False).
    Shape: (*) -> (*).
    Gradient: nn.functional.celu, composed of ops.compare.Where, ops.unary.Expm1.
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + _inplace_repr(self.inplace, first=False)


class GLU(Module):
    """a σ(b) for the two halves a, b of the input along dim.

    Args: dim (default -1).
    Shape: (*, 2n, *) -> (*, n, *), halving dim.
    Gradient: nn.functional.glu, composed of ops.activation.SigmoidFunction, ops.elementwise.Mul.
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Mish(_Elementwise):
    """x tanh(softplus(x)). Args: inplace (default False). Shape: (*) -> (*).

    Gradient: nn.functional.mish, composed of ops.activation.SoftplusFunction.
    """

    def forward(self, input):
        return F.mish(input, self.inplace)


class Hardswish(_Elementwise):
    """x relu6(x + 3) / 6. Args: inplace (default False). Shape: (*) -> (*).

    Gradient: nn.functional.hardswish, composed of ops.compare.Where, ops.elementwise.Mul.
    """
    shows_inplace = False

    def forward(self, input):
        return F.hardswish(input, self.inplace)


class Hardsigmoid(_Elementwise):
    """relu6(x + 3) / 6. Args: inplace (default False). Shape: (*) -> (*).

    Gradient: nn.functional.hardsigmoid, composed of ops.compare.Where, ops.elementwise.Div.
    """
    shows_inplace = False

    def forward(self, input):
        return F.hardsigmoid(input, self.inplace)


class SELU(_Elementwise):
    """scale elu(x, alpha), alpha ≈ 1.6733, scale ≈ 1.0507. Args: inplace (default False).
    Shape: (*) -> (*).
    Gradient: nn.functional.selu, composed of ops.compare.Where, ops.unary.Expm1.
    """

    def forward(self, input):
        return F.selu(input, self.inplace)


class Softsign(Module):
    """x / (1 + |x|). Shape: (*) -> (*).

    Gradient: nn.functional.softsign, composed of ops.unary.Abs, ops.elementwise.Div.
    """

    def forward(self, input):
        return F.softsign(input)


class Tanhshrink(Module):
    """x - tanh(x). Shape: (*) -> (*).

    Gradient: nn.functional.tanhshrink, composed of ops.activation.TanhFunction.
    """

    def forward(self, input):
        return F.tanhshrink(input)


class LogSigmoid(Module):
    """log σ(x), computed stably. Shape: (*) -> (*).

    Gradient: nn.functional.logsigmoid, composed of ops.activation.SoftplusFunction.
    """

    def forward(self, input):
        return F.logsigmoid(input)


class Hardshrink(Module):
    """x where |x| > lambd, else 0. Args: lambd (default 0.5). Shape: (*) -> (*).

    Gradient: ops.compare.Where.backward.
    """

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self):
        return f"{self.lambd}"


class Softshrink(Hardshrink):
    """x - lambd where x > lambd, x + lambd where x < -lambd, else 0. Args: lambd (default 0.5).
    Shape: (*) -> (*).
    Gradient: nn.functional.softshrink, composed of ops.compare.Where, ops.unary.Sign.
    """

    def forward(self, input):
        return F.softshrink(input, self.lambd)
