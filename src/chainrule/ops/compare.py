"""Choosing between values: maximum, minimum, clamp, where; comparisons, logic and bitwise
and/or/xor on bool and integer tensors; the float tests isnan, isinf, isfinite, isclose, allclose
and equal.

Comparisons, logic and tests have no gradient: they are plain functions on arrays.
"""
import numbers

from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.broadcast import binary, sum_to
from chainrule.ops.dtypes import operands
from chainrule.ops.grids import nonzero
from chainrule.tensor import Tensor

__all__ = ["maximum", "minimum", "clamp", "clip", "where", "eq", "ne", "lt", "le", "gt", "ge",
           "logical_not", "logical_and", "logical_or", "logical_xor", "bitwise_and", "bitwise_or",
           "bitwise_xor", "isnan", "isinf", "isfinite", "isclose", "allclose", "equal"]


class Maximum(Function):
    """y = max(a, b);  da = dy where a > b,  db = dy where b > a,  each dy/2 where a = b"""

    def forward(self, a, b):
        return binary(xp.maximum, "maximum", a, b)

    def backward(self, grad):
        a, b = self.inputs
        return _split(self, grad, a.array < b.array, b.array < a.array)


class Minimum(Function):
    """y = min(a, b);  da = dy where a < b,  db = dy where b < a,  each dy/2 where a = b"""

    def forward(self, a, b):
        return binary(xp.minimum, "minimum", a, b)

    def backward(self, grad):
        a, b = self.inputs
        return _split(self, grad, a.array > b.array, b.array > a.array)


def _split(fn, grad, a_loses, b_loses):
    """dy to the operand that was chosen, half to each on a tie, as PyTorch does (its masks, so a
    NaN operand passes dy to both)."""
    (a, b), (need_a, need_b) = fn.inputs, fn.needs_input_grad
    tie = 0.5 * (a.array == b.array)

    def share(loses, like):
        weight = Tensor._make((1 - loses - tie).astype(grad.dtype))  # piecewise constant
        return sum_to(grad * weight, like.shape)
    return share(a_loses, a) if need_a else None, share(b_loses, b) if need_b else None


class Clamp(Function):
    """y = min(max(x, low), high);  dx = dy where low <= x <= high,  dlow = dy where x < low
    (and low < high),  dhigh = dy where x > high (or high < low)"""

    def forward(self, x, *bounds, kinds):
        self.kinds = kinds
        for bound, kind in zip(bounds, kinds):
            x = binary(xp.maximum if kind == "min" else xp.minimum, "clamp", x, bound)
        return x

    def backward(self, grad):
        x, *bounds = (t.array for t in self.inputs)
        given = dict(zip(self.kinds, bounds))
        low, high = given.get("min"), given.get("max")
        # PyTorch's masks: x inside [low, high] passes dy to x (NaN passes nothing); a bound gets
        # dy where it was the value chosen, and with low > high only high is chosen.
        keep, masks = True, []
        if low is not None:
            keep = keep & (x >= low)
            masks.append((x < low) & (low < high) if high is not None else x < low)
        if high is not None:
            keep = keep & (x <= high)
            masks.append((x > high) | (high < low) if low is not None else x > high)
        return tuple(sum_to(where(Tensor._make(mask), grad, 0), t.shape) if need else None
                     for mask, t, need in zip([keep, *masks], self.inputs, self.needs_input_grad))


class Where(Function):
    """y = x where condition, other elsewhere;  dx = dy where condition,  dother = dy elsewhere"""

    def forward(self, condition, x, other):
        try:
            return xp.where(condition, x, other)
        except ValueError:
            raise RuntimeError(f"where: condition of shape {condition.shape}, x of shape {x.shape} "
                               f"and other of shape {other.shape} cannot be broadcast together"
                               ) from None

    def backward(self, grad):
        condition, x, other = self.inputs
        _, need_x, need_other = self.needs_input_grad
        grad_x = sum_to(where(condition, grad, 0), x.shape) if need_x else None
        grad_other = (sum_to(where(condition, 0, grad), other.shape)
                      if need_other else None)
        return None, grad_x, grad_other


def maximum(a, b):
    return Maximum.apply(*operands("maximum", *_tensors("maximum", a, b)))


def minimum(a, b):
    return Minimum.apply(*operands("minimum", *_tensors("minimum", a, b)))


def _tensors(name, a, b):
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):  # PyTorch takes no scalar here
        raise TypeError(f"{name}: expected two Tensors, got {type(a).__name__} and "
                        f"{type(b).__name__}; use clamp for a scalar bound")
    return a, b


def clamp(x, min=None, max=None):
    """Limit x to [min, max]; min and max may be numbers or tensors (which broadcast)."""
    given = {kind: bound for kind, bound in (("min", min), ("max", max)) if bound is not None}
    if not given:
        raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
    for bound in given.values():  # first x takes the result dtype, then each bound takes x's
        x, _ = operands("clamp", x, bound)
    bounds = [operands("clamp", x, bound)[1] for bound in given.values()]
    return Clamp.apply(x, *bounds, kinds=tuple(given))


clip = clamp


def where(condition, x=None, other=None):
    """x where condition is True, other elsewhere (all three broadcast); x and other may be
    numbers. where(condition) alone gives the indices of the nonzero elements of a condition of
    any dtype, as nonzero(as_tuple=True) does (torch)."""
    if x is None and other is None and isinstance(condition, Tensor):
        return nonzero(condition, as_tuple=True)
    if not isinstance(condition, Tensor) or condition.array.dtype != backend.bool_:
        got = condition.dtype if isinstance(condition, Tensor) else type(condition).__name__
        raise RuntimeError(f"where: expected condition to be a bool tensor, got {got}")
    if not isinstance(x, Tensor) and not isinstance(other, Tensor):
        # Python numbers: floats become float32, ints int64
        x, other = Tensor._make(backend.as_array(x)), Tensor._make(backend.as_array(other))
    return Where.apply(condition, *operands("where", x, other))


# ----- comparisons and logic: bool results, no gradient ------------------------------------------
def _comparison(name, ufunc):
    def compare(a, b):
        a, b = operands(name, a, b)
        try:
            return Tensor._make(binary(ufunc, name, a.array, b.array))
        except TypeError:
            raise TypeError(f"{name}: not defined for {a.dtype} and {b.dtype} tensors") from None
    compare.__name__ = compare.__qualname__ = name
    compare.__doc__ = f"{name}(a, b): elementwise, with no gradient."
    return compare


eq = _comparison("eq", xp.equal)
ne = _comparison("ne", xp.not_equal)
lt = _comparison("lt", xp.less)
le = _comparison("le", xp.less_equal)
gt = _comparison("gt", xp.greater)
ge = _comparison("ge", xp.greater_equal)
logical_and = _comparison("logical_and", xp.logical_and)
logical_or = _comparison("logical_or", xp.logical_or)
logical_xor = _comparison("logical_xor", xp.logical_xor)
# &, | and ^: logical on bool tensors (masks), bitwise on integer ones, as in PyTorch
bitwise_and = _comparison("bitwise_and", xp.bitwise_and)
bitwise_or = _comparison("bitwise_or", xp.bitwise_or)
bitwise_xor = _comparison("bitwise_xor", xp.bitwise_xor)


def _operator(function):
    """The Tensor operator: an operand that is not a number, array or tensor (None, a string)
    gives NotImplemented, so `t == None` is False, as in PyTorch, instead of an error."""
    def method(x, other):
        if not isinstance(other, (Tensor, numbers.Number, backend.ndarray, list, tuple)):
            return NotImplemented
        return function(x, other)
    return method


def logical_not(x):
    return Tensor._make(xp.logical_not(x.array))


def invert(x):
    """~x: logical not of a bool tensor, bitwise not of an integer one."""
    if x.array.dtype.kind not in "biu":
        raise TypeError(f"~ (invert) is only defined for bool and integer tensors, got {x.dtype}")
    return Tensor._make(xp.invert(x.array))


def isnan(x):
    return Tensor._make(xp.isnan(x.array))


def isinf(x):
    return Tensor._make(xp.isinf(x.array))


def isfinite(x):
    return Tensor._make(xp.isfinite(x.array))


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|a - b| <= atol + rtol * |b|, elementwise, as a bool tensor."""
    a, b = operands("isclose", a, b)
    return Tensor._make(binary(lambda p, q: xp.isclose(p, q, rtol, atol, equal_nan), "isclose",
                                a.array, b.array))


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(a, b, rtol, atol, equal_nan).array.all())


def equal(a, b):
    """True if a and b have the same shape and the same values."""
    return a.shape == b.shape and bool((a == b).array.all())


def _where_method(x, condition, other):
    """x.where(condition, other): x where condition holds, else other (torch.where with x first)."""
    return where(condition, x, other)


TENSOR_METHODS = {
    "maximum": maximum, "minimum": minimum, "clamp": clamp, "clip": clip,
    "where": _where_method,
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
    "__eq__": _operator(eq), "__ne__": _operator(ne), "__lt__": _operator(lt),
    "__le__": _operator(le), "__gt__": _operator(gt), "__ge__": _operator(ge),
    "logical_not": logical_not, "logical_and": logical_and, "logical_or": logical_or,
    "logical_xor": logical_xor, "__invert__": invert,
    "__and__": _operator(bitwise_and), "__rand__": _operator(bitwise_and),
    "__or__": _operator(bitwise_or), "__ror__": _operator(bitwise_or),
    "__xor__": _operator(bitwise_xor), "__rxor__": _operator(bitwise_xor),
    "bitwise_and": bitwise_and, "bitwise_or": bitwise_or, "bitwise_xor": bitwise_xor,
    "isnan": isnan, "isinf": isinf, "isfinite": isfinite, "isclose": isclose,
    "allclose": allclose, "equal": equal,
}
