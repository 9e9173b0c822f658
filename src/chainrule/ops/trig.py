"""More elementwise math of one tensor: tan, the inverse trigonometric functions, the hyperbolic
functions and their inverses, log2, log10 and exp2, deg2rad and rad2deg (sin, cos, exp and log
are in ops/unary.py).

Like the rest of the float-valued math, they turn bool and integer tensors into float32.
"""
import math

from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.unary import _floating, sqrt

__all__ = ["tan", "atan", "asin", "acos", "sinh", "cosh", "asinh", "acosh", "atanh", "log2",
           "log10", "exp2", "arctan", "arcsin", "arccos", "arcsinh", "arccosh", "arctanh",
           "deg2rad", "rad2deg"]

_LN2, _LN10 = math.log(2), math.log(10)


class Tan(Function):
    """y = tan(x);  dx = dy * (1 + y²)"""
    save_inputs = False
    save_output = True

    @xp.errstate(invalid="ignore")   # tan(inf) = nan, as in torch
    def forward(self, x):
        return xp.tan(x)

    def backward(self, grad):
        y = self.output()
        return grad * (y * y + 1)


class Atan(Function):
    """y = atan(x);  dx = dy / (1 + x²)"""

    def forward(self, x):
        return xp.arctan(x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad / (x * x + 1)


class Asin(Function):
    """y = asin(x);  dx = dy / √(1 - x²)"""

    @xp.errstate(invalid="ignore")   # asin(2) = nan, as in torch
    def forward(self, x):
        return xp.arcsin(x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad / sqrt(1 - x * x)


class Acos(Function):
    """y = acos(x);  dx = -dy / √(1 - x²)"""

    @xp.errstate(invalid="ignore")   # acos(2) = nan
    def forward(self, x):
        return xp.arccos(x)

    def backward(self, grad):
        x = self.inputs[0]
        return -grad / sqrt(1 - x * x)


class Sinh(Function):
    """y = sinh(x);  dx = dy * cosh(x)"""

    @xp.errstate(over="ignore")   # sinh(1000) = inf
    def forward(self, x):
        return xp.sinh(x)

    def backward(self, grad):
        return grad * cosh(self.inputs[0])


class Cosh(Function):
    """y = cosh(x);  dx = dy * sinh(x)"""

    @xp.errstate(over="ignore")
    def forward(self, x):
        return xp.cosh(x)

    def backward(self, grad):
        return grad * sinh(self.inputs[0])


class Asinh(Function):
    """y = asinh(x);  dx = dy / √(x² + 1)"""

    def forward(self, x):
        return xp.arcsinh(x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad / sqrt(x * x + 1)


class Acosh(Function):
    """y = acosh(x) (x >= 1);  dx = dy / √(x² - 1)"""

    @xp.errstate(invalid="ignore")   # acosh(0) = nan
    def forward(self, x):
        return xp.arccosh(x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad / sqrt(x * x - 1)


class Atanh(Function):
    """y = atanh(x) (|x| < 1);  dx = dy / (1 - x²)"""

    @xp.errstate(divide="ignore", invalid="ignore")   # atanh(1) = inf, atanh(2) = nan
    def forward(self, x):
        return xp.arctanh(x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad / (1 - x * x)


class Log2(Function):
    """y = log₂(x);  dx = dy / (x ln 2)"""

    @xp.errstate(divide="ignore", invalid="ignore")   # log2(0) = -inf, log2(-1) = nan
    def forward(self, x):
        return xp.log2(x)

    def backward(self, grad):
        return grad / (self.inputs[0] * _LN2)


class Log10(Function):
    """y = log₁₀(x);  dx = dy / (x ln 10)"""

    @xp.errstate(divide="ignore", invalid="ignore")
    def forward(self, x):
        return xp.log10(x)

    def backward(self, grad):
        return grad / (self.inputs[0] * _LN10)


class Exp2(Function):
    """y = 2ˣ;  dx = dy * y ln 2"""
    save_inputs = False
    save_output = True

    @xp.errstate(over="ignore")   # exp2(1000) = inf
    def forward(self, x):
        return xp.exp2(x)

    def backward(self, grad):
        return grad * self.output() * _LN2


def tan(input):
    return Tan.apply(_floating("tan", input))


def atan(input):
    return Atan.apply(_floating("atan", input))


def asin(input):
    return Asin.apply(_floating("asin", input))


def acos(input):
    return Acos.apply(_floating("acos", input))


def sinh(input):
    return Sinh.apply(_floating("sinh", input))


def cosh(input):
    return Cosh.apply(_floating("cosh", input))


def asinh(input):
    return Asinh.apply(_floating("asinh", input))


def acosh(input):
    return Acosh.apply(_floating("acosh", input))


def atanh(input):
    return Atanh.apply(_floating("atanh", input))


def log2(input):
    return Log2.apply(_floating("log2", input))


def log10(input):
    return Log10.apply(_floating("log10", input))


def exp2(input):
    return Exp2.apply(_floating("exp2", input))


def deg2rad(input):
    """x * π / 180 (a product: differentiable through mul)."""
    return _floating("deg2rad", input) * (math.pi / 180)


def rad2deg(input):
    """x * 180 / π (a product: differentiable through mul)."""
    return _floating("rad2deg", input) * (180 / math.pi)


# NumPy's spellings, which PyTorch accepts too
arctan, arcsin, arccos, arcsinh, arccosh, arctanh = atan, asin, acos, asinh, acosh, atanh

TENSOR_METHODS = {name: globals()[name] for name in __all__}
