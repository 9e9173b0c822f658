"""Rounding and integer division: each op's cases, checked by the shared harness, then integer
dtypes, halves, division by zero, the operators and their in-place forms against torch directly."""
import warnings

import numpy as np
import pytest
import torch

import chainrule
from tests.ops.edges import matches_torch_at
from tests.ops.harness import Case, OpChecks, check_error_names

UNARY = [((3, 4),), ((2, 3, 2),), ((),), ((0, 3),)]
BINARY = [((3, 4), (3, 4)), ((3, 4), (4,)), ((2, 1, 3), (3,)), ((), (2,)), ((0, 2), (2,))]


def off_integers(rng, shape):
    """Whole numbers plus a fraction in (0.1, 0.4) or (0.6, 0.9): away from the jumps of floor,
    ceil, trunc and round, so finite differences see the zero slope."""
    whole = rng.integers(-3, 3, shape)
    fraction = rng.uniform(0.1, 0.4, shape) + 0.5 * rng.integers(0, 2, shape)
    return whole + fraction


def tenths(rng, shape):
    return off_integers(rng, shape) / 10


def tens(rng, shape):
    return off_integers(rng, shape) * 10


def powers_of_two(rng, shape):
    """Divisors ±1, ±2, ±4: a / b stays off integers for a from off_integers, and exact."""
    return rng.choice([-4.0, -2.0, -1.0, 1.0, 2.0, 4.0], shape)


def floor_divide(L, a, b):
    """torch's floor_divide has no derivative (its backward raises); its div(rounding_mode="floor")
    has the zero one that chainrule's floor_divide gives, so the gradients are compared to that."""
    if L is torch:
        return torch.div(a, b, rounding_mode="floor")
    return L.floor_divide(a, b)


def np_round(a, decimals):
    scale = 10.0 ** abs(decimals)
    return np.rint(a * scale) / scale if decimals > 0 else np.rint(a / scale) * scale


DIVISION = (off_integers, powers_of_two)

CASES = [
    Case("floor", lambda L, x: L.floor(x), np.floor, UNARY, make=off_integers),
    Case("ceil", lambda L, x: x.ceil(), np.ceil, UNARY, make=off_integers),
    Case("trunc", lambda L, x: L.trunc(x), np.trunc, UNARY, make=off_integers),
    Case("fix", lambda L, x: x.fix(), np.trunc, UNARY[:1], make=off_integers),
    Case("round", lambda L, x: L.round(x), np.rint, UNARY, make=off_integers),
    Case("round_decimals", lambda L, x: x.round(decimals=1), lambda a: np_round(a, 1), UNARY,
         make=tenths),
    Case("round_negative_decimals", lambda L, x: L.round(x, decimals=-1),
         lambda a: np_round(a, -1), UNARY, make=tens),
    Case("frac", lambda L, x: x.frac(), lambda a: a - np.trunc(a), UNARY, make=off_integers),
    Case("remainder", lambda L, a, b: L.remainder(a, b), np.mod, BINARY, make=DIVISION),
    Case("mod_operator", lambda L, a, b: a % b, np.mod, BINARY[:2], make=DIVISION),
    Case("mod_scalar", lambda L, a: a % 1.5, lambda a: np.mod(a, 1.5), UNARY, make=tenths),
    # a scalar dividend: torch has no derivative for it (remainder.Scalar_Tensor), so forward only
    Case("rmod_scalar", lambda L, b: 5.3 % b, lambda b: np.mod(5.3, b), UNARY,
         make=powers_of_two, differentiable=False),
    Case("fmod", lambda L, a, b: L.fmod(a, b), np.fmod, BINARY, make=DIVISION),
    Case("fmod_method", lambda L, a, b: a.fmod(b), np.fmod, BINARY[:2], make=DIVISION),
    Case("floor_divide", floor_divide, np.floor_divide, BINARY, make=DIVISION),
    Case("div_trunc", lambda L, a, b: L.div(a, b, rounding_mode="trunc"),
         lambda a, b: np.trunc(a / b), BINARY, make=DIVISION),
    # the operators themselves, forward only (torch's floor_divide cannot be differentiated)
    Case("floordiv_operator", lambda L, a, b: a // b, np.floor_divide, BINARY, make=DIVISION,
         differentiable=False),
    Case("rfloordiv_scalar", lambda L, b: 7.0 // b, lambda b: np.floor_divide(7.0, b), UNARY,
         make=powers_of_two, differentiable=False),
    Case("floordiv_scalar", lambda L, a: a.floor_divide(0.5), lambda a: np.floor_divide(a, 0.5),
         UNARY, make=off_integers, differentiable=False),
]


class TestRounding(OpChecks):
    cases = CASES


# ----- values and dtypes as torch gives them ------------------------------------------------------
INTS = [7, -7, 5, -5, 0, 6]
DIVISORS = [2, 2, -3, -3, 4, -6]
FLOATS = [7.5, -7.5, 5.25, -5.25, 0.0, -0.0, 6.0, float("inf"), float("nan")]
FLOAT_DIVISORS = [2.0, 2.0, -3.0, -3.0, 4.0, -4.0, 0.0, 2.0, 1.0]


@pytest.mark.parametrize("call", [
    lambda L, a, b: a // b, lambda L, a, b: a % b, lambda L, a, b: L.fmod(a, b),
    lambda L, a, b: L.floor_divide(a, b), lambda L, a, b: a.remainder(b),
    lambda L, a, b: a // 2, lambda L, a, b: 7 // b, lambda L, a, b: a % -3, lambda L, a, b: 7 % b,
    lambda L, a, b: a // 2.5, lambda L, a, b: a % 2.5, lambda L, a, b: a.float() // b,
    lambda L, a, b: L.floor(a), lambda L, a, b: L.ceil(a), lambda L, a, b: a.round(),
    lambda L, a, b: a.trunc(),
])
@pytest.mark.parametrize("dtype", ["int64", "int32", "float32", "float64"])
def test_values_and_dtypes_match_torch(call, dtype):
    """Integers stay integers (int // int floors, as torch >= 1.13); floats keep inf and NaN."""
    data = (INTS, DIVISORS) if dtype.startswith("int") else (FLOATS, FLOAT_DIVISORS)
    ours = call(chainrule, *(chainrule.tensor(np.array(d, dtype)) for d in data))
    theirs = call(torch, *(torch.tensor(np.array(d, dtype)) for d in data))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_rounded_division_by_zero_has_torchs_zero_gradient(mode):
    """inf, -inf and NaN quotients; the gradient is 0 there too (trunc of a true division gave
    0 · inf = NaN for the divisor)."""
    matches_torch_at(lambda L, a, b: L.div(a, b, rounding_mode=mode),
                     [1.0, 0.0, -1.0, 2.0, -7.5], [0.0, 0.0, -0.0, 3.0, 2.0])


def test_frac_of_infinities_is_nan_without_a_warning():
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=RuntimeWarning, module="chainrule")
        matches_torch_at(lambda L, x: x.frac(), [np.inf, -np.inf, np.nan, 2.5, -2.5, 0.0])


@pytest.mark.parametrize("name", ["remainder", "fmod"])
def test_modulo_at_zero_and_infinite_operands_matches_torch(name):
    """The divisor's gradient is -q, q torch's div rounded (floor: NaN for inf // 1)."""
    matches_torch_at(lambda L, a, b: getattr(L, name)(a, b),
                     [1.0, 0.0, np.inf, 1.0, -7.5, 5.0], [0.0, 0.0, 1.0, np.inf, 2.0, -np.inf])


def test_round_takes_halves_to_even_as_torch():
    halves = [0.5, 1.5, 2.5, -0.5, -2.5, 3.5, 1234.5678, 0.125, 0.375]
    for call in (lambda L, x: L.round(x), lambda L, x: x.round(decimals=2),
                 lambda L, x: L.round(x, decimals=-2), lambda L, x: x.round(decimals=3)):
        for dtype in ("float32", "float64"):
            ours = call(chainrule, chainrule.tensor(np.array(halves, dtype)))
            theirs = call(torch, torch.tensor(np.array(halves, dtype)))
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("name, call", [
    ("__ifloordiv__", lambda x: x.__ifloordiv__(3)), ("__imod__", lambda x: x.__imod__(-3)),
    ("floor_divide_", lambda x: x.floor_divide_(2)), ("remainder_", lambda x: x.remainder_(4)),
    ("fmod_", lambda x: x.fmod_(-4)), ("floor_", lambda x: x.floor_()),
    ("ceil_", lambda x: x.ceil_()), ("round_", lambda x: x.round_()),
    ("trunc_", lambda x: x.trunc_()), ("frac_", lambda x: x.frac_()),
])
def test_in_place_forms_change_the_tensor_as_torch(name, call):
    for dtype in ("float32", "int64"):
        if dtype == "int64" and name == "frac_":
            continue
        data = np.array([7.5, -7.5, 5.25, -5.25, 2.0]).astype(dtype)
        ours, theirs = chainrule.tensor(data), torch.tensor(data)
        assert call(ours) is ours
        call(theirs)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_augmented_assignment_operators():
    x, y = chainrule.tensor([7, -7]), torch.tensor([7, -7])
    x //= 2
    y //= 2
    x %= 3
    y %= 3
    assert x.tolist() == y.tolist()


def test_floor_has_a_zero_gradient_and_frac_a_unit_one_as_torch():
    for L in (chainrule, torch):
        x = L.tensor([1.5, -2.5, 0.25], requires_grad=True)
        (L.floor(x) * 3.0 + L.frac(x) * 2.0).sum().backward()
        assert x.grad.tolist() == [2.0, 2.0, 2.0]


def test_remainder_gradient_of_the_divisor_is_minus_the_quotient_as_torch():
    values = []
    for L in (chainrule, torch):
        a = L.tensor([5.0, -5.0, 5.0, -5.0], requires_grad=True)
        b = L.tensor([3.0, 3.0, -3.0, -3.0], requires_grad=True)
        (L.remainder(a, b) + L.fmod(a, b) * 10.0).sum().backward()
        values.append((a.grad.tolist(), b.grad.tolist()))
    assert values[0] == values[1] == ([11.0] * 4, [-11.0, 12.0, 12.0, -11.0])


# ----- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("call", [
    lambda L: L.tensor([5, -5]) // 0, lambda L: L.tensor([5, -5]) % 0,
    lambda L: L.fmod(L.tensor([5]), L.tensor([0])), lambda L: 3 // L.tensor([1, 0]),
    lambda L: L.floor_divide(L.tensor([5, 6]), L.tensor([2, 0])),
])
def test_integer_division_by_zero_raises_as_torch(call):
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        call(torch)
    with pytest.raises(ZeroDivisionError, match="division by zero") as info:
        call(chainrule)
    assert isinstance(info.value, RuntimeError)   # caught as torch's RuntimeError is, too


@pytest.mark.parametrize("call, error, words", [
    (lambda x: x.long() // 0, ZeroDivisionError, ["floor_divide", "zero", "int64"]),
    (lambda x: x.long().frac(), NotImplementedError, ["frac", "int64"]),
    (lambda x: x.long().round(decimals=2), NotImplementedError, ["round", "decimals", "int64"]),
    (lambda x: x.bool().floor(), NotImplementedError, ["floor", "bool", "(3, 4)"]),
    (lambda x: x.bool() % x.bool(), NotImplementedError, ["remainder", "bool", "(3, 4)"]),
    (lambda x: x % chainrule.zeros(2), RuntimeError, ["remainder", "(3, 4)", "(2,)"]),
    (lambda x: x // chainrule.ones(3), RuntimeError, ["floor_divide", "(3, 4)", "(3,)"]),
    (lambda x: chainrule.floor(x.numpy()), TypeError, ["floor", "ndarray"]),
])
def test_errors_name_op_and_shape(call, error, words):
    check_error_names(call, error, words)


@pytest.mark.parametrize("call", [
    lambda L: L.frac(L.tensor([1, 2])), lambda L: L.round(L.tensor([1, 2]), decimals=1),
    lambda L: L.ceil(L.tensor([True])), lambda L: L.tensor([True]) // L.tensor([True]),
])
def test_refused_where_torch_refuses(call):
    with pytest.raises(NotImplementedError):
        call(torch)
    with pytest.raises(NotImplementedError):
        call(chainrule)
