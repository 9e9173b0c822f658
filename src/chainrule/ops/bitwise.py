"""Integer ops: gcd, lcm, bitwise_not, bitwise_left_shift and bitwise_right_shift (the `<<` and
`>>` operators). Integer and bool tensors only, as in torch; no gradient. bitwise_and, _or and
_xor (`&`, `|`, `^`) are with the logical ops in compare.py.
"""
from chainrule.backend import xp
from chainrule.ops.dims import tensor_argument
from chainrule.ops.dtypes import operands
from chainrule.tensor import Tensor

__all__ = ["gcd", "lcm", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift"]


def _integers(name, input, other, kinds="iu"):
    a, b = operands(name, input, other)
    if a.array.dtype.kind not in kinds:
        raise RuntimeError(f"{name}: only integer tensors are supported, got {a.dtype} (shapes "
                           f"{a.shape} and {b.shape})")
    return a.array, b.array


def gcd(input, other):
    """The greatest common divisor, entry by entry (integers)."""
    return Tensor._make(xp.asarray(xp.gcd(*_integers("gcd", input, other))))


def lcm(input, other):
    """The least common multiple, entry by entry (integers)."""
    return Tensor._make(xp.asarray(xp.lcm(*_integers("lcm", input, other))))


def bitwise_not(input):
    """~x: bitwise not of integers, logical not of bools."""
    tensor_argument("bitwise_not", input)
    if input.array.dtype.kind not in "biu":
        raise RuntimeError(f"bitwise_not: only integer and bool tensors are supported, got "
                           f"{input.dtype}")
    return Tensor._make(xp.invert(input.array))


def bitwise_left_shift(input, other):
    """a << b: a * 2 ** b, wrapping as the integer type does."""
    a, b = _integers("bitwise_left_shift", input, other)
    return Tensor._make(xp.asarray(xp.left_shift(a, b)))


def bitwise_right_shift(input, other):
    """a >> b: a // 2 ** b (arithmetic shift: negative numbers stay negative)."""
    a, b = _integers("bitwise_right_shift", input, other)
    return Tensor._make(xp.asarray(xp.right_shift(a, b)))


# ----- the shift operators' reflected and in-place forms ------------------------------------------
def _reflected_left_shift(x, other):
    """other << x, when other is a number: x.__rlshift__(other)."""
    return bitwise_left_shift(other, x)


def _reflected_right_shift(x, other):
    """other >> x, when other is a number: x.__rrshift__(other)."""
    return bitwise_right_shift(other, x)


def _left_shift_in_place(x, other):
    """x <<= other, written into x."""
    return x._update("__ilshift__", lambda t: bitwise_left_shift(t, other))


def _right_shift_in_place(x, other):
    """x >>= other, written into x."""
    return x._update("__irshift__", lambda t: bitwise_right_shift(t, other))


TENSOR_METHODS = {name: globals()[name] for name in __all__}
TENSOR_METHODS.update({
    "__lshift__": bitwise_left_shift, "__rshift__": bitwise_right_shift,
    "__rlshift__": _reflected_left_shift, "__rrshift__": _reflected_right_shift,
    "__ilshift__": _left_shift_in_place, "__irshift__": _right_shift_in_place,
})
