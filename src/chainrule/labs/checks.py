"""The checks a lab's test cells call: each compares a student's answer with the expected one and,
when they differ, raises AssertionError with a message a student can act on (what was checked,
how far off, where). They accept Tensors, arrays, numbers and nested lists alike.

The grader re-imports these names at the top of every test cell and verifies, from the kernel's
audit hook, that neither they nor what they call were replaced (see chainrule/labs/guard.py)."""
from chainrule.backend import xp
from chainrule.tensor import Tensor

__all__ = ["check_close", "check_equal", "check_shape", "check_true"]


def check_close(actual, expected, what, *, rtol=1e-5, atol=1e-8):
    """Assert |actual - expected| <= atol + rtol * |expected| everywhere, with equal shapes."""
    got, want = _array(actual, what), _array(expected, what)
    if got.shape != want.shape:
        raise AssertionError(f"{what}: shape {tuple(got.shape)}, expected {tuple(want.shape)}")
    if not xp.issubdtype(got.dtype, xp.number) and got.dtype != bool:
        raise AssertionError(f"{what}: got values of dtype {got.dtype}, expected numbers")
    got, want = got.astype(xp.float64), want.astype(xp.float64)
    if xp.isnan(got).any() and not xp.isnan(want).any():
        where = _where(xp.isnan(got))
        raise AssertionError(f"{what}: NaN at {where}, expected {want[where]:.6g}")
    with xp.errstate(invalid="ignore"):
        excess = xp.abs(got - want) - (atol + rtol * xp.abs(want))
    excess = xp.where(xp.isnan(want) & xp.isnan(got), -1.0, excess)
    excess = xp.where(xp.isnan(excess), xp.inf, excess)
    if (excess > 0).any():
        where = _where(excess == excess.max())
        raise AssertionError(
            f"{what}: {got[where]:.6g} at {where}, expected {want[where]:.6g} "
            f"(|difference| {abs(got[where] - want[where]):.3g} > atol {atol:g} + rtol {rtol:g} "
            f"x |expected|; {int((excess > 0).sum())} of {got.size} values differ)")


def check_equal(actual, expected, what):
    """Assert actual == expected exactly: for counts, labels, strings, shapes and booleans."""
    _plain(actual, what)
    if isinstance(actual, Tensor) or isinstance(expected, Tensor):
        got, want = _array(actual, what), _array(expected, what)
        if got.shape != want.shape or not (got == want).all():
            raise AssertionError(f"{what}: {got.tolist()}, expected {want.tolist()}")
        return
    if isinstance(actual, tuple) or isinstance(expected, tuple):   # torch.Size is a tuple
        actual, expected = _tuple(actual), _tuple(expected)
    if type(actual) is not type(expected) and not _both_numbers(actual, expected):
        raise AssertionError(f"{what}: {actual!r} ({type(actual).__name__}), expected "
                             f"{expected!r} ({type(expected).__name__})")
    if not actual == expected:
        raise AssertionError(f"{what}: {actual!r}, expected {expected!r}")


def check_shape(value, shape, what):
    """Assert value's shape (a Tensor's or an array's) is shape."""
    if not isinstance(value, (Tensor, xp.ndarray)):
        raise AssertionError(f"{what}: expected a tensor of shape {tuple(shape)}, "
                             f"got {type(value).__name__}")
    if tuple(value.shape) != tuple(shape):
        raise AssertionError(f"{what}: shape {tuple(value.shape)}, expected {tuple(shape)}")


def check_true(condition, message):
    """Assert condition (a bool, or a one-element Tensor) holds; message says what was expected."""
    if isinstance(condition, Tensor):
        condition = bool(condition.item())
    if isinstance(condition, xp.bool_):
        condition = bool(condition)
    if condition is not True and condition is not False:
        raise AssertionError(f"{message} (the check got a {type(condition).__name__}, "
                             "not a bool)")
    if not condition:
        raise AssertionError(message)


# What a check accepts from an answer: plain data and the libraries' own types, not subclasses
# of them. Anything else could answer a comparison with whatever it likes (an __eq__ that says
# yes, a numpy() that returns the expected values).
_PLAIN = {bool, int, float, complex, str, bytes, type(None), xp.ndarray}


def _plain(value, what):
    """Refuse a value that is not a Tensor, an array, a number, text, or lists, tuples and dicts
    of those (checked all the way down)."""
    if isinstance(value, (list, tuple, dict)) and type(value).__module__ in ("builtins",
                                                                          "chainrule.size"):
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            _plain(key, what)
            _plain(item, what)
    elif not _is_plain(value):
        raise AssertionError(f"{what}: got a {type(value).__name__}; expected a tensor, an "
                             "array, numbers or text")


def _is_plain(value):
    kind = type(value)
    if kind in _PLAIN:
        return True
    if isinstance(value, xp.generic):     # NumPy's scalars: float64, int64, bool ...
        return kind.__module__ == "numpy"
    return isinstance(value, Tensor) and kind.__module__.startswith("chainrule.")


def _both_numbers(a, b):
    numbers = (bool, int, float, complex, xp.generic)
    return isinstance(a, numbers) and isinstance(b, numbers)


def _array(value, what):
    """value as a float or bool array; a Tensor is detached first."""
    if value is None:
        raise AssertionError(f"{what}: got None (did the function forget to return?)")
    _plain(value, what)
    if isinstance(value, Tensor):
        return xp.asarray(value.detach().numpy())
    try:
        return xp.asarray(value)
    except (TypeError, ValueError) as error:
        raise AssertionError(f"{what}: cannot read {type(value).__name__} as numbers "
                             f"({error})") from None


def _where(mask):
    """The first index where mask holds, as a tuple (() for a 0-d array)."""
    return tuple(int(i) for i in xp.argwhere(mask)[0])


def _tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else value
