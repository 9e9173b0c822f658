"""torch's other spellings (absolute, subtract, div with rounding_mode, fmax, mv, addr, ravel,
select_scatter, trapezoid ...): cases against NumPy and torch, then integer ops and errors."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks, distinct, normal, positive


def put(a, index, value):
    a = a.copy()
    a[index] = value
    return a


def diagonal_put(a, value, offset):
    a = a.copy()
    rows = np.arange(value.shape[0]) + max(-offset, 0)
    a[rows, rows + offset] = value
    return a


def cumulative_trapezoid_np(y, dx=1.0):
    return np.cumsum((y[..., 1:] + y[..., :-1]) / 2 * dx, -1)


CASES = [
    Case("absolute", lambda L, x: L.absolute(x) + x.negative(), lambda a: np.abs(a) - a,
         [((3, 4),)], make=distinct),
    Case("positive", lambda L, x: L.positive(x) * 2, lambda a: a * 2, [((3,),)]),
    Case("subtract", lambda L, a, b: L.subtract(a, b, alpha=2) + a.multiply(b),
         lambda a, b: a - 2 * b + a * b, [((3, 4), (4,))]),
    Case("rsub", lambda L, a, b: L.rsub(a, b, alpha=3), lambda a, b: b - 3 * a, [((3,), (3,))]),
    Case("divide", lambda L, a, b: L.divide(a, b) + a.div(b, rounding_mode="trunc")
         + L.div(a, b, rounding_mode="floor"),
         lambda a, b: a / b + np.trunc(a / b) + np.floor(a / b), [((3, 4), (4,))],
         make=(normal, positive)),
    Case("fmax", lambda L, a, b: L.fmax(a, b), np.fmax, [((3, 4), (4,))], make=distinct),
    Case("fmin", lambda L, a, b: a.fmin(b), np.fmin, [((3, 4), (3, 4))],
         make=(distinct, lambda rng, shape: distinct(rng, shape) + 0.05)),
    Case("mv", lambda L, a, v: L.mv(a, v), lambda a, v: a @ v, [((3, 4), (4,))]),
    Case("addr", lambda L, x, a, b: L.addr(x, a, b, beta=2, alpha=0.5),
         lambda x, a, b: 2 * x + 0.5 * np.outer(a, b), [((3, 4), (3,), (4,))]),
    Case("ger", lambda L, a, b: a.ger(b), np.outer, [((3,), (2,))]),
    Case("vdot", lambda L, a, b: L.vdot(a, b), np.vdot, [((5,), (5,))]),
    Case("ravel", lambda L, x: L.ravel(x.t()), lambda a: a.T.ravel(), [((3, 4),)]),
    Case("moveaxis", lambda L, x: L.moveaxis(x, 0, -1), lambda a: np.moveaxis(a, 0, -1),
         [((2, 3, 4),)]),
    Case("conj", lambda L, x: L.conj(x).resolve_conj().resolve_neg() * 1, lambda a: a,
         [((3,),)]),
    Case("narrow_copy", lambda L, x: L.narrow_copy(x, 1, 1, 2), lambda a: a[:, 1:3],
         [((3, 4),)]),
    Case("sum_to_size", lambda L, x: x.sum_to_size(3, 1), lambda a: a.sum(1, keepdims=True),
         [((3, 4),)]),
    Case("select_scatter", lambda L, x, s: L.select_scatter(x, s, 1, -1),
         lambda a, s: put(a, (slice(None), -1), s), [((3, 4), (3,))]),
    Case("slice_scatter", lambda L, x, s: x.slice_scatter(s, 1, 0, None, 2),
         lambda a, s: put(a, (slice(None), slice(0, None, 2)), s), [((3, 4), (3, 2))]),
    Case("diagonal_scatter", lambda L, x, s: L.diagonal_scatter(x, s, 1),
         lambda a, s: diagonal_put(a, s, 1), [((3, 4), (3,))]),
    Case("trapezoid", lambda L, y: L.trapezoid(y), lambda a: np.trapezoid(a, axis=-1),
         [((3, 5),), ((4,),)]),
    Case("trapezoid_x", lambda L, y, x: L.trapezoid(y, x, dim=0),
         lambda a, x: np.trapezoid(a, x, axis=0), [((4, 3), (4,))]),
    Case("trapz_dx", lambda L, y: L.trapz(y, dx=0.5), lambda a: np.trapezoid(a, dx=0.5),
         [((5,),)]),
    Case("cumulative_trapezoid", lambda L, y: L.cumulative_trapezoid(y, dx=2.0),
         lambda a: cumulative_trapezoid_np(a, 2.0), [((3, 5),)]),
    Case("logit_method", lambda L, x: x.logit() + x.xlogy(x) + x.sinc(),
         lambda a: np.log(a / (1 - a)) + a * np.log(a) + np.sinc(a),
         [((3,),)], make=lambda rng, shape: rng.uniform(0.2, 0.8, shape)),
]


class TestAliases(OpChecks):
    cases = CASES


def test_integer_division_rounding_matches_torch():
    a, b = np.array([7, -7, 6, -6, 0]), np.array([2, 2, -4, 4, 3])
    for mode in ("trunc", "floor", None):
        ours = chainrule.div(chainrule.tensor(a), chainrule.tensor(b), rounding_mode=mode)
        theirs = torch.div(torch.tensor(a), torch.tensor(b), rounding_mode=mode)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), mode
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_integer_ops_match_torch():
    a, b = np.array([12, -18, 7, 0]), np.array([8, 12, 5, 4])
    for name in ("gcd", "lcm"):
        ours = getattr(chainrule, name)(chainrule.tensor(a), chainrule.tensor(b))
        np.testing.assert_array_equal(ours.numpy(), getattr(torch, name)(
            torch.tensor(a), torch.tensor(b)).numpy())
    np.testing.assert_array_equal(chainrule.bitwise_not(chainrule.tensor(a)).numpy(), ~a)
    np.testing.assert_array_equal(chainrule.signbit(chainrule.tensor([-0.0, 1.0, -2.0])).numpy(),
                                  [True, False, True])


def test_fmax_ignores_nan_as_torch():
    a, b = np.array([1.0, np.nan, np.nan]), np.array([np.nan, 2.0, np.nan])
    ours = chainrule.fmax(chainrule.tensor(a), chainrule.tensor(b)).numpy()
    np.testing.assert_array_equal(ours, torch.fmax(torch.tensor(a), torch.tensor(b)).numpy())


def test_special_aliases_match_torch():
    x = np.array([0.5, 2.5, 4.0])
    np.testing.assert_allclose(chainrule.mvlgamma(chainrule.tensor(x[1:]), 2).numpy(),
                               torch.mvlgamma(torch.tensor(x[1:]), 2).numpy())
    np.testing.assert_allclose(chainrule.tensor(x).i0().numpy(), torch.tensor(x).i0().numpy())


@pytest.mark.parametrize("call, words", [
    (lambda x: chainrule.div(x, x, rounding_mode="round"), ["div", "round"]),
    (lambda x: chainrule.mv(x, chainrule.ones(3)), ["mv", "(3, 4)", "(3,)"]),
    (lambda x: chainrule.vdot(x, x), ["vdot", "1-D"]),
    (lambda x: chainrule.gcd(x, x), ["gcd", "integer"]),
    (lambda x: chainrule.bitwise_not(x), ["bitwise_not", "float32"]),
    (lambda x: chainrule.select_scatter(x, chainrule.ones(3), 0, 0), ["select_scatter", "(4,)"]),
    (lambda x: chainrule.select_scatter(x, chainrule.ones(4), 0, 3), ["select_scatter", "3"]),
    (lambda x: x.sum_to_size(2, 4), ["sum_to_size", "(2, 4)", "(3, 4)"]),
    (lambda x: chainrule.positive(x.bool()), ["positive", "bool"]),
])
def test_errors_name_the_op(call, words):
    with pytest.raises((RuntimeError, IndexError, TypeError, ValueError)) as info:
        call(chainrule.zeros(3, 4))
    for word in words:
        assert word in str(info.value), str(info.value)
