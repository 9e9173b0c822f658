"""Rounding and integer division: floor, ceil, trunc (fix), round (half to even, with decimals)
and frac; floor_divide (`//`), remainder (`%`, the divisor's sign) and fmod (the dividend's sign).

The rounding functions are piecewise constant: their gradient is zero, as in PyTorch. Integer
tensors keep their dtype; an integer division by zero raises, as PyTorch's does.
"""
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.broadcast import binary, sum_to
from chainrule.ops.dims import tensor_argument
from chainrule.ops.dtypes import operands
from chainrule.tensor import Tensor

__all__ = ["floor", "ceil", "trunc", "fix", "round", "frac", "floor_divide", "remainder", "fmod"]


class IntegerDivisionByZero(ZeroDivisionError, RuntimeError):
    """PyTorch raises RuntimeError("ZeroDivisionError"): catchable as either."""


class Rounding(Function):
    """y = floor(x), ceil(x), trunc(x) or round(x, decimals);  dx = 0 (piecewise constant)"""
    save_inputs = False

    def forward(self, x, mode, decimals):
        self.in_shape = x.shape
        if mode != "round":
            return getattr(xp, mode)(x)
        if decimals == 0:
            return xp.rint(x)  # half to even
        # as PyTorch: scale by a power of ten in x's dtype, round, scale back
        scale = xp.asarray(10.0 ** abs(decimals), dtype=x.dtype)
        return xp.rint(x * scale) / scale if decimals > 0 else xp.rint(x / scale) * scale

    def backward(self, grad):
        return Tensor._make(xp.zeros(self.in_shape, grad.dtype))


class Modulo(Function):
    """y = a - b * q with q = floor(a / b) (remainder) or trunc(a / b) (fmod);
    da = dy,  db = -dy * q"""

    @xp.errstate(divide="ignore", invalid="ignore")   # x % 0 = nan, inf % 1 = nan, as in torch
    def forward(self, a, b, truncate):
        self.truncate = truncate
        return binary(xp.fmod if truncate else xp.mod, "fmod" if truncate else "remainder", a, b)

    def backward(self, grad):
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        grad_b = None
        if need_b:
            # q is piecewise constant in a and b: it enters as a constant. torch's q is its div
            # with rounding_mode trunc or floor; the floor one is NumPy's floor_divide (NaN for
            # inf // 1, where floor(inf / 1) is inf)
            if self.truncate:
                quotient = xp.trunc(a.array / b.array)
            else:
                quotient = xp.floor_divide(a.array, b.array)
            grad_b = sum_to(-grad * Tensor._make(quotient), b.shape)
        return (sum_to(grad, a.shape) if need_a else None), grad_b


class FloorDivide(Function):
    """y = floor(a / b);  da = db = 0 (PyTorch's div(rounding_mode="floor") gradient)"""
    save_inputs = False

    @xp.errstate(divide="ignore", invalid="ignore")   # 1 // 0 = inf, 0 // 0 = nan
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return binary(xp.floor_divide, "floor_divide", a, b)

    def backward(self, grad):
        return tuple(Tensor._make(xp.zeros(shape, grad.dtype)) if need else None
                     for shape, need in zip(self.shapes, self.needs_input_grad))


class TruncDivide(Function):
    """y = trunc(a / b) for floats (div's rounding_mode="trunc");  da = db = 0, as PyTorch's,
    also where b = 0 (trunc of a true division would give 0 * inf = NaN there)"""
    save_inputs = False

    @xp.errstate(divide="ignore", invalid="ignore")   # 1 / 0 = inf, 0 / 0 = nan
    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return xp.trunc(binary(xp.true_divide, "div", a, b))

    backward = FloorDivide.backward


# ----- checks -------------------------------------------------------------------------------------
def _number(name, x):
    tensor_argument(name, x)
    if x.array.dtype.kind == "b":
        raise NotImplementedError(f"{name}: not implemented for a bool tensor (shape {x.shape}), "
                                  "as in PyTorch; convert it with .long() or .float() first")
    return x


def _division_operands(name, a, b):
    """a and b promoted to one dtype; integers may not be divided by zero."""
    a, b = operands(name, a, b)
    kind = a.array.dtype.kind
    if kind == "b":
        raise NotImplementedError(f"{name}: not implemented for bool tensors (shapes {a.shape} "
                                  f"and {b.shape}), as in PyTorch; convert them with .long()")
    if kind in "iu" and not b.array.all():
        raise IntegerDivisionByZero(f"{name}: integer division by zero (the divisor, {b.dtype} "
                                    f"of shape {b.shape}, has a 0 entry)")
    return a, b


# ----- the public functions -----------------------------------------------------------------------
def _round_to(name, x, mode, decimals=0):
    x = _number(name, x)
    if x.array.dtype.kind in "iu":
        if decimals:
            raise NotImplementedError(f"{name}: decimals={decimals} is not implemented for an "
                                      f"integer tensor ({x.dtype}), as in PyTorch")
        return Tensor._make(x.array.copy())  # integers are already whole: a copy, as in PyTorch
    return Rounding.apply(x, mode=mode, decimals=int(decimals))


def floor(input):
    """The largest integer <= x."""
    return _round_to("floor", input, "floor")


def ceil(input):
    """The smallest integer >= x."""
    return _round_to("ceil", input, "ceil")


def trunc(input):
    """x rounded towards zero."""
    return _round_to("trunc", input, "trunc")


fix = trunc


def round(input, decimals=0):
    """x rounded to `decimals` decimal places, halves to even (round(2.5) = 2)."""
    return _round_to("round", input, "round", decimals)


def frac(input):
    """x - trunc(x): the fractional part, with x's sign;  dx = dy."""
    x = _number("frac", input)
    if x.array.dtype.kind in "iu":
        raise NotImplementedError(f"frac: not implemented for an integer tensor ({x.dtype}), "
                                  "as in PyTorch")
    with xp.errstate(invalid="ignore"):   # inf - inf = nan: frac(±inf) is NaN, as in torch
        return x - trunc(x)


def floor_divide(input, other):
    """floor(a / b), as torch >= 1.13 (it truncated before); integers stay integers."""
    return FloorDivide.apply(*_division_operands("floor_divide", input, other))


def trunc_divide(a, b):
    """trunc(a / b) for float tensors of one dtype (div(rounding_mode="trunc")'s float case)."""
    return TruncDivide.apply(a, b)


def remainder(input, other):
    """a - b * floor(a / b): Python's %, with the sign of the divisor."""
    return Modulo.apply(*_division_operands("remainder", input, other), truncate=False)


def fmod(input, other):
    """a - b * trunc(a / b): C's fmod, with the sign of the dividend."""
    return Modulo.apply(*_division_operands("fmod", input, other), truncate=True)


# ----- Tensor methods and operators (the named in-place forms are in ops/inplace.py) --------------
def _in_place(name, function):
    def method(x, *args, **kwargs):
        return x._update(name, lambda t: function(t, *args, **kwargs))
    method.__name__ = name
    return method


def _reflected_floor_divide(x, other):
    """other // x"""
    return floor_divide(other, x)


def _reflected_remainder(x, other):
    """other % x"""
    return remainder(other, x)


TENSOR_METHODS = {name: globals()[name] for name in __all__}
TENSOR_METHODS.update({
    "__floordiv__": floor_divide, "__rfloordiv__": _reflected_floor_divide,
    "__mod__": remainder, "__rmod__": _reflected_remainder,
    "__ifloordiv__": _in_place("__ifloordiv__", floor_divide),
    "__imod__": _in_place("__imod__", remainder),
})
