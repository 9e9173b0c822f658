"""Choosing between values and comparing them: each op's cases, checked by the shared harness,
then the conventions at ties and boundaries, dtypes, and errors, each against PyTorch."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks, distinct, normal

BINARY = [((3, 4), (3, 4)), ((2, 1, 4), (3, 1)), ((4,), (2, 3, 4)), ((), (2, 3)),
          ((0, 3), (1, 3)), ((1,), (1, 1))]
UNARY = [((3, 4),), ((2, 1, 3),), ((),), ((0, 2),)]
TERNARY = [((3, 4), (3, 4), (3, 4)), ((2, 1, 4), (3, 1), (4,)), ((3,), (), (2, 3)),
           ((0, 3), (1, 3), (3,)), ((), (), ())]
# Tensor bounds that broadcast into x: PyTorch's clamp cannot backpropagate to an x smaller
# than the result (chainrule can; see test_clamp_bounds_may_enlarge_x).
INTO_X = [((3, 4), (3, 4)), ((2, 3, 4), (3, 1)), ((2, 3), ()), ((0, 3), (1, 3)), ((1, 1), (1,))]
INTO_X3 = [((3, 4), (3, 4), (3, 4)), ((2, 3, 4), (3, 1), (4,)), ((2, 3), (), (2, 3)),
           ((0, 3), (1, 3), (3,)), ((), (), ())]


def halves(rng, shape):
    """Multiples of 0.5 in [-1, 1]: many ties, for max/min and the comparisons."""
    return rng.integers(-2, 3, shape) * 0.5


def with_nan(L, a):
    return L.where(a > 0.5, a, float("nan"))


CASES = [
    Case("maximum", lambda L, a, b: L.maximum(a, b), np.maximum, BINARY),
    Case("minimum", lambda L, a, b: L.minimum(a, b), np.minimum, BINARY),
    Case("maximum_method", lambda L, a, b: a.maximum(b), np.maximum, BINARY[:2]),
    # At a tie each operand gets half: central differences agree, but the second derivative is
    # not defined there, so no double-backward check.
    Case("maximum_ties", lambda L, a, b: L.maximum(a, b), np.maximum, BINARY, make=halves,
         double=False),
    Case("minimum_ties", lambda L, a, b: L.minimum(a, b), np.minimum, BINARY, make=halves,
         double=False),
    Case("clamp", lambda L, a: L.clamp(a, -0.5, 0.7), lambda a: np.clip(a, -0.5, 0.7), UNARY),
    Case("clamp_method", lambda L, a: a.clamp(min=-0.3), lambda a: np.maximum(a, -0.3), UNARY),
    Case("clamp_max_only", lambda L, a: L.clamp(a, max=0.2), lambda a: np.minimum(a, 0.2), UNARY),
    Case("clip", lambda L, a: L.clip(a, -1, 1), lambda a: np.clip(a, -1, 1), UNARY),
    Case("clamp_low_above_high", lambda L, a: L.clamp(a, 0.5, -0.5),
         lambda a: np.full_like(a, -0.5), UNARY),
    Case("clamp_tensor_bounds", lambda L, a, lo, hi: L.clamp(a, lo, hi),
         lambda a, lo, hi: np.minimum(np.maximum(a, lo), hi), INTO_X3),
    Case("clamp_tensor_min", lambda L, a, lo: L.clamp(a, min=lo), np.maximum, INTO_X),
    Case("clamp_tensor_max", lambda L, a, hi: a.clamp(max=hi), np.minimum, INTO_X),
    Case("where", lambda L, c, a, b: L.where(c > 0, a, b), lambda c, a, b: np.where(c > 0, a, b),
         TERNARY, make=(distinct, normal, normal)),
    Case("where_scalar", lambda L, a: L.where(a > 0, a, 2.0), lambda a: np.where(a > 0, a, 2.0),
         UNARY, make=distinct),
    Case("where_scalar_first", lambda L, a: L.where(a > 0, -1, a), lambda a: np.where(a > 0, -1, a),
         UNARY, make=distinct),
    Case("where_method", lambda L, a, b: a.where(b < 0, b), lambda a, b: np.where(b < 0, a, b),
         BINARY, make=(normal, distinct)),
]

COMPARISONS = [
    Case(name, lambda L, a, b, op=op: op(a, b), ref, BINARY, make=halves, differentiable=False)
    for name, op, ref in [
        ("eq", lambda a, b: a == b, np.equal), ("ne", lambda a, b: a != b, np.not_equal),
        ("lt", lambda a, b: a < b, np.less), ("le", lambda a, b: a <= b, np.less_equal),
        ("gt", lambda a, b: a > b, np.greater), ("ge", lambda a, b: a >= b, np.greater_equal),
    ]
] + [
    Case("eq_function", lambda L, a, b: L.eq(a, b), np.equal, BINARY[:3], make=halves,
         differentiable=False),
    Case("ge_method", lambda L, a, b: a.ge(b), np.greater_equal, BINARY[:3], make=halves,
         differentiable=False),
    Case("lt_scalar", lambda L, a: a < 0.5, lambda a: a < 0.5, UNARY, make=halves,
         differentiable=False),
    Case("scalar_lt_reflected", lambda L, a: 0 < a, lambda a: 0 < a, UNARY, make=halves,
         differentiable=False),
    Case("logical_not", lambda L, a: L.logical_not(a > 0), lambda a: ~(a > 0), UNARY, make=halves,
         differentiable=False),
    Case("invert", lambda L, a: ~(a > 0), lambda a: ~(a > 0), UNARY, make=halves,
         differentiable=False),
    Case("and_or_xor", lambda L, a, b: ((a > 0) & (b > 0)) | ((a < 0) ^ (b == 0)),
         lambda a, b: ((a > 0) & (b > 0)) | ((a < 0) ^ (b == 0)), BINARY, make=halves,
         differentiable=False),
    Case("logical_and_or_xor",
         lambda L, a, b: L.logical_xor(L.logical_and(a, b), L.logical_or(a, b)),
         lambda a, b: np.logical_xor(np.logical_and(a, b), np.logical_or(a, b)), BINARY,
         make=halves, differentiable=False),
    Case("isnan", lambda L, a: L.isnan(with_nan(L, a)), lambda a: a <= 0.5, UNARY, make=halves,
         differentiable=False),
    Case("isfinite_isinf", lambda L, a: L.isfinite(a / a) | L.isinf(1 / a),
         lambda a: np.isfinite(a / a) | np.isinf(1 / a), UNARY, make=halves, differentiable=False),
    Case("isclose", lambda L, a, b: L.isclose(a, a + b * 1e-5, atol=1e-6),
         lambda a, b: np.isclose(a, a + b * 1e-5, atol=1e-6, rtol=1e-5), BINARY,
         differentiable=False),
]


class TestCompare(OpChecks):
    cases = CASES


class TestComparisons(OpChecks):
    cases = COMPARISONS


@pytest.fixture(autouse=True)
def quiet_division_by_zero():
    with np.errstate(divide="ignore", invalid="ignore"):  # PyTorch gives inf and nan silently
        yield


# Where the derivative is a convention (a tie, a boundary), each compared with PyTorch's choice.
SPECIAL_POINTS = [
    ("maximum_tie", lambda L, x: L.maximum(x, L.zeros_like(x) + 1), [1.0, 0.0, 2.0]),
    ("minimum_tie", lambda L, x: L.minimum(L.zeros_like(x) + 1, x), [1.0, 0.0, 2.0]),
    ("maximum_nan", lambda L, x: L.maximum(x, L.zeros_like(x)), [float("nan"), 1.0]),
    ("clamp_boundary", lambda L, x: L.clamp(x, 0.0, 1.0), [0.0, 1.0, -1.0, 2.0, 0.5]),
    ("clamp_nan", lambda L, x: L.clamp(x, 0.0, 1.0), [float("nan")]),
    ("clamp_low_above_high", lambda L, x: L.clamp(x, 1.0, 0.0), [0.0, 1.0, 0.5]),
    ("clamp_tensor_boundary", lambda L, x: L.clamp(x, x * 0 + 0.5, x * 0 + 2.0), [0.5, 2.0, 3.0]),
]


@pytest.mark.parametrize("name, fn, values", SPECIAL_POINTS, ids=[p[0] for p in SPECIAL_POINTS])
def test_special_points_match_torch(name, fn, values):
    ours = chainrule.tensor(values, dtype=chainrule.float64, requires_grad=True)
    theirs = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    out, expected = fn(chainrule, ours), fn(torch, theirs)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    out.backward(chainrule.ones_like(out))
    expected.backward(torch.ones_like(expected))
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_clamp_gradients_to_tensor_bounds_match_torch():
    values = {"x": [0.5, 1.0, -1.0, 3.0, 0.0], "low": [0.5, 1.5, 0.0, 0.0, 1.0],
              "high": [0.2, 2.0, 1.0, 2.0, 0.5]}
    ours = {k: chainrule.tensor(v, dtype=chainrule.float64, requires_grad=True)
            for k, v in values.items()}
    theirs = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for k, v in values.items()}
    chainrule.clamp(ours["x"], ours["low"], ours["high"]).backward(chainrule.ones(5))
    torch.clamp(theirs["x"], theirs["low"], theirs["high"]).backward(torch.ones(5))
    for k in values:
        np.testing.assert_array_equal(ours[k].grad.numpy(), theirs[k].grad.numpy(), err_msg=k)


def test_clamp_bounds_may_enlarge_x():
    """The result has the broadcast shape of x and the bounds; x's gradient is summed back."""
    x = chainrule.tensor([0.0, 2.0], dtype=chainrule.float64, requires_grad=True)
    low = chainrule.tensor([[0.5], [-1.0]], dtype=chainrule.float64)
    out = chainrule.clamp(x, low, 1.0)
    np.testing.assert_array_equal(out.detach().numpy(), [[0.5, 1.0], [0.0, 1.0]])
    out.backward(chainrule.ones(2, 2, dtype=chainrule.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0])


@pytest.mark.parametrize("call", [
    lambda L: L.clamp(L.tensor([1, 2, 3]), 1.5, 2.5),
    lambda L: L.clamp(L.tensor([1, 2, 3]), 1, 2),
    lambda L: L.clamp(L.tensor([1.0, 2.0]), L.tensor(1.5, dtype=L.float64)),
    lambda L: L.where(L.tensor([True, False]), L.tensor([1, 2]), 2.5),
    lambda L: L.where(L.tensor([True, False]), L.tensor([1.0, 2.0]), 2),
    lambda L: L.where(L.tensor([True, False]), 1.0, 2),
    lambda L: L.where(L.tensor([True, False]), 1, 2),
    lambda L: L.where(L.tensor([True, False]), L.tensor([1.0]), L.tensor([3.0], dtype=L.float64)),
    lambda L: L.maximum(L.tensor([1, 2]), L.tensor([1.5, 0.0])),
    lambda L: L.maximum(L.tensor([1.0, 2.0]), L.tensor(1.5, dtype=L.float64)),
    lambda L: L.tensor([1, 2]) == 1.5,
    lambda L: L.tensor([1, 2]) < L.tensor([1.5, 2.5]),
    lambda L: ~L.tensor([1, 2]),
    lambda L: L.tensor([6, 3]) & L.tensor([3, 1]),
    lambda L: L.where(L.tensor([[True], [False]])),
], ids=lambda _: "")
def test_values_and_dtypes_match_torch(call):
    ours, theirs = call(chainrule), call(torch)
    ours, theirs = (ours, theirs) if isinstance(theirs, tuple) else ((ours,), (theirs,))
    for o, t in zip(ours, theirs, strict=True):
        assert str(o.dtype) == str(t.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_comparison_with_a_non_number_is_python_identity():
    x = chainrule.ones(2)
    assert (x == None) is False and (x != "a") is True  # noqa: E711
    assert x in [x] and len({x, chainrule.ones(2)}) == 2  # hashable, by identity


def test_allclose_and_equal():
    a = chainrule.tensor([1.0, 2.0])
    assert chainrule.allclose(a, a + 1e-9) and not chainrule.allclose(a, a + 1e-3)
    assert chainrule.equal(a, a * 1)
    assert not chainrule.equal(a, chainrule.tensor([1.0])) and not chainrule.equal(a, a + 1)


@pytest.mark.parametrize("call, error, pattern", [
    (lambda: chainrule.maximum(chainrule.ones(2), 1.0), TypeError, "maximum.*Tensor.*float"),
    (lambda: chainrule.maximum(chainrule.ones(2, 3), chainrule.ones(4)), RuntimeError,
     r"maximum.*\(2, 3\).*\(4,\)"),
    (lambda: chainrule.ones(2) < chainrule.ones(3), RuntimeError, r"lt.*\(2,\).*\(3,\)"),
    (lambda: chainrule.clamp(chainrule.ones(2)), RuntimeError, "clamp.*min.*max"),
    (lambda: chainrule.where(chainrule.tensor([1, 0]), 1.0, 2.0), RuntimeError,
     "where.*bool.*int64"),
    (lambda: chainrule.where(chainrule.ones(2) > 0, chainrule.ones(3), chainrule.ones(2)),
     RuntimeError, r"where.*\(2,\).*\(3,\).*\(2,\)"),
    (lambda: ~chainrule.ones(2), TypeError, "invert.*float32"),
    (lambda: chainrule.ones(2) & chainrule.ones(2), TypeError, "bitwise_and.*float32"),
])
def test_errors_name_the_op(call, error, pattern):
    with pytest.raises(error, match=pattern):
        call()


@pytest.mark.parametrize("values", [[1, 0, 3], [0.0, 2.5, 0.0], [[True, False], [False, True]],
                                    True, 0.0])
def test_where_with_a_condition_alone_takes_any_dtype_as_torch(values):
    got = [i.tolist() for i in chainrule.where(chainrule.tensor(values))]
    assert got == [i.tolist() for i in torch.where(torch.tensor(values))]


def test_where_with_values_still_needs_a_bool_condition():
    with pytest.raises(RuntimeError, match="where: expected condition to be a bool tensor, got "
                                           "int64"):
        chainrule.where(chainrule.tensor([1, 0]), chainrule.ones(2), chainrule.zeros(2))
