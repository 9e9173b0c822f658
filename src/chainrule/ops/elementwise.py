"""Elementwise arithmetic of two tensors with NumPy broadcasting and PyTorch's type promotion
(ops/dtypes.py).

Binary ops broadcast in forward; backward sums each gradient back to its input's shape (sum_to);
the engine casts each gradient to its input's dtype. Each backward is written once, on arrays in a
plain backward and on Tensors under create_graph (Function.operands).
"""
from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.broadcast import binary, sum_to
from chainrule.ops.compare import where
from chainrule.ops.dtypes import operands, to
from chainrule.ops.unary import log
from chainrule.tensor import Tensor

__all__ = ["add", "sub", "mul", "div", "true_divide", "neg", "pow"]


class Add(Function):
    """y = a + b;  da = dy,  db = dy"""
    save_inputs = False

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return binary(xp.add, "add", a, b)

    def backward(self, grad):
        grad, _, _ = self.operands(grad)
        sa, sb = self.shapes
        need_a, need_b = self.needs_input_grad
        return (sum_to(grad, sa) if need_a else None,
                sum_to(grad, sb) if need_b else None)


class Sub(Function):
    """y = a - b;  da = dy,  db = -dy"""
    save_inputs = False

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return binary(xp.subtract, "sub", a, b)

    def backward(self, grad):
        grad, _, _ = self.operands(grad)
        sa, sb = self.shapes
        need_a, need_b = self.needs_input_grad
        return (sum_to(grad, sa) if need_a else None,
                sum_to(-grad, sb) if need_b else None)


class Mul(Function):
    """y = a * b;  da = dy * b,  db = dy * a"""

    def forward(self, a, b):
        # No errstate here: at ~0.75 µs a call it would cost the hot path 5-10 %, so inf * 0 and
        # overflow warn as NumPy does (README, "What importing chainrule does")
        return binary(xp.multiply, "mul", a, b)

    def backward(self, grad):
        grad, (a, b), _ = self.operands(grad)
        need_a, need_b = self.needs_input_grad
        return (sum_to(grad * b, a.shape) if need_a else None,
                sum_to(grad * a, b.shape) if need_b else None)


class Div(Function):
    """y = a / b;  da = dy / b,  db = -dy * a / b²"""

    @xp.errstate(divide="ignore", invalid="ignore")   # 1/0 = inf, 0/0 = nan, as in torch
    def forward(self, a, b):
        return binary(xp.true_divide, "div", a, b)

    def backward(self, grad):
        grad, (a, b), _ = self.operands(grad)
        need_a, need_b = self.needs_input_grad
        return (sum_to(grad / b, a.shape) if need_a else None,
                sum_to(-grad * a / (b * b), b.shape) if need_b else None)


class Neg(Function):
    """y = -x;  dx = -dy"""
    save_inputs = False

    def forward(self, x):
        return xp.negative(x)

    def backward(self, grad):
        grad, _, _ = self.operands(grad)
        return -grad


class Pow(Function):
    """y = a ** b;  da = dy * b * a ** (b - 1),  db = dy * y * log(a)"""
    save_output = True

    @xp.errstate(divide="ignore", invalid="ignore", over="ignore")   # 0 ** -1 = inf ...
    def forward(self, a, b):
        return binary(xp.power, "pow", a, b)

    def backward(self, grad):
        grad, (a, b), recording = self.operands(grad)
        need_a, need_b = self.needs_input_grad
        grad_a = grad_b = None
        # Where the formulas meet 0 * inf (b = 0 in the first; a = 0, b >= 0 in the second), the
        # derivative is 0, as PyTorch's pow_backward defines it.
        choose = where if recording else xp.where
        if need_a:
            grad_a = choose(_constant(b == 0, recording), 0.0, grad * b * a ** (b - 1))
            grad_a = sum_to(grad_a, a.shape)
        if need_b:
            zero = _constant((a == 0) & (b >= 0), recording)
            y, log_a = (self.output(), log(a)) if recording else (self.out, xp.log(a))
            grad_b = sum_to(choose(zero, 0.0, grad * y * log_a), b.shape)
        return grad_a, grad_b


def _constant(mask, recording):
    """A mask computed from the operands, as a constant: a Tensor outside the graph when
    recording (an op's comparison result is one already), the array itself otherwise."""
    return Tensor._make(mask.array) if recording else mask


def add(a, b, alpha=1):
    if alpha != 1:
        _check_alpha("add", a, b, alpha)
        b = _scaled(b, alpha)
    return Add.apply(*operands("add", a, b))


def sub(a, b, alpha=1):
    if alpha != 1:
        _check_alpha("sub", a, b, alpha)
        b = _scaled(b, alpha)
    return Sub.apply(*operands("sub", a, b))


def _scaled(b, alpha):
    """alpha * b; a Python number stays a number (mul needs a Tensor), as in x.sub(2, alpha=3)."""
    return mul(b, alpha) if isinstance(b, Tensor) else b * alpha


def _check_alpha(name, a, b, alpha):
    # torch refuses it rather than silently promoting an integer sum to floating point
    def floating(value):
        return backend.is_floating(value.dtype) if isinstance(value, Tensor) else isinstance(
            value, float)
    if isinstance(alpha, float) and not floating(a) and not floating(b):
        kinds = [str(v.dtype) if isinstance(v, Tensor) else type(v).__name__ for v in (a, b)]
        raise RuntimeError(f"{name}: for integer operands ({kinds[0]} and {kinds[1]}) alpha must "
                           f"not be a floating-point number, got alpha={alpha}")


def mul(a, b):
    return Mul.apply(*operands("mul", a, b))


def div(a, b):
    a, b = operands("div", a, b)
    # true division of integers (and bools) gives the default float, as in PyTorch; complex
    # stays complex (casting it to a float dropped the imaginary part)
    if a.array.dtype.kind not in "fc":
        a, b = to(a, backend.default_float), to(b, backend.default_float)
    return Div.apply(a, b)


true_divide = div


def neg(x):
    if isinstance(x, Tensor) and x.array.dtype.kind == "b":   # NumPy's message names no op
        raise RuntimeError(f"neg: the - operator on a bool tensor (shape {x.shape}) is not "
                           f"supported; to invert a mask use ~ or logical_not()")
    return Neg.apply(x)


def pow(a, b):
    return Pow.apply(*operands("pow", a, b))


# ----- the reflected operators: `2 - x` calls x.__rsub__(2) ---------------------------------------
def _reflected_sub(x, other):
    """other - x"""
    return sub(other, x)


def _reflected_div(x, other):
    """other / x"""
    return div(other, x)


def _reflected_pow(x, other):
    """other ** x"""
    return pow(other, x)


# Tensor.div is ops/aliases.py's, which adds rounding_mode
TENSOR_METHODS = {
    "__add__": add, "__radd__": add, "add": add,
    "__sub__": sub, "__rsub__": _reflected_sub, "sub": sub,
    "__mul__": mul, "__rmul__": mul, "mul": mul,
    "__truediv__": div, "__rtruediv__": _reflected_div, "true_divide": div,
    "__neg__": neg, "neg": neg,
    "__pow__": pow, "__rpow__": _reflected_pow, "pow": pow,
}
