"""Fused arithmetic (addmm, addcmul ...) and the small elementwise ops: cases against NumPy and
torch, then dtypes and errors."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks, distinct, normal, positive


CASES = [
    Case("addcmul", lambda L, x, a, b: L.addcmul(x, a, b, value=0.5),
         lambda x, a, b: x + 0.5 * a * b, [((3, 4), (3, 4), (4,)), ((2, 1), (1, 3), (2, 3))]),
    Case("addcdiv", lambda L, x, a, b: L.addcdiv(x, a, b, value=-2),
         lambda x, a, b: x - 2 * a / b, [((3, 4), (3, 4), (3, 4))],
         make=(normal, normal, positive)),
    Case("addcmul_method", lambda L, x, a, b: x.addcmul(a, b), lambda x, a, b: x + a * b,
         [((3,), (3,), (3,))]),
    Case("addmm", lambda L, x, a, b: L.addmm(x, a, b, beta=0.5, alpha=2),
         lambda x, a, b: 0.5 * x + 2 * a @ b, [((3, 2), (3, 4), (4, 2)), ((2,), (3, 4), (4, 2))]),
    Case("addmm_beta0", lambda L, x, a, b: L.addmm(x, a, b, beta=0), lambda x, a, b: a @ b,
         [((3, 2), (3, 4), (4, 2))]),
    Case("addmv", lambda L, x, a, b: L.addmv(x, a, b, alpha=3), lambda x, a, b: x + 3 * a @ b,
         [((3,), (3, 4), (4,))]),
    Case("baddbmm", lambda L, x, a, b: L.baddbmm(x, a, b, beta=2),
         lambda x, a, b: 2 * x + a @ b, [((2, 3, 2), (2, 3, 4), (2, 4, 2)),
                                         ((3, 2), (2, 3, 4), (2, 4, 2))]),
    Case("addbmm", lambda L, x, a, b: L.addbmm(x, a, b), lambda x, a, b: x + (a @ b).sum(0),
         [((3, 2), (2, 3, 4), (2, 4, 2))]),
    Case("logaddexp", lambda L, a, b: L.logaddexp(a, b), np.logaddexp,
         [((3, 4), (3, 4)), ((2, 1), (3,))]),
    Case("logaddexp2", lambda L, a, b: L.logaddexp2(a, b), np.logaddexp2, [((3, 4), (4,))]),
    Case("copysign", lambda L, a, b: L.copysign(a, b), np.copysign, [((3, 4), (3, 4))],
         make=(distinct, normal)),
    Case("sgn", lambda L, x: x.sgn() * x, lambda a: np.sign(a) * a, [((3, 4),)], make=distinct),
    Case("nan_to_num", lambda L, x: L.nan_to_num(L.log(x), nan=1.5, posinf=7.0),
         lambda a: np.nan_to_num(np.log(a), nan=1.5, posinf=7.0),
         [((3, 4),)], make=distinct),
    Case("clamp_min", lambda L, x: L.clamp_min(x, 0.2), lambda a: np.maximum(a, 0.2),
         [((3, 4),)], make=distinct),
    Case("clamp_max", lambda L, x: x.clamp_max(0.25), lambda a: np.minimum(a, 0.25),
         [((3, 4),)], make=distinct),
    Case("float_power", lambda L, a, b: L.float_power(a, b), np.power, [((3,), (3,))],
         make=(positive, normal)),
    Case("type_as", lambda L, a, b: a.type_as(b) * 2, lambda a, b: a * 2, [((3,), (2,))]),
    Case("heaviside", lambda L, a, b: L.heaviside(a.round(), b), lambda a, b: np.heaviside(
        np.round(a), b), [((4, 3), (3,))], differentiable=False),
]


class TestArithmetic(OpChecks):
    cases = CASES


def test_integer_results_match_torch():
    for name in ("copysign", "float_power"):
        ours = getattr(chainrule, name)(chainrule.tensor([1, -2]), chainrule.tensor([-1, 1]))
        theirs = getattr(torch, name)(torch.tensor([1, -2]), torch.tensor([-1, 1]))
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), name
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_nan_to_num_defaults_match_torch():
    values = [np.nan, np.inf, -np.inf, 1.0]
    for dtype in ("float32", "float64"):
        ours = chainrule.nan_to_num(chainrule.tensor(np.array(values, dtype)))
        theirs = torch.nan_to_num(torch.tensor(np.array(values, dtype)))
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_logaddexp_of_minus_infinities_is_minus_infinity():
    minus = chainrule.tensor([-np.inf])
    assert chainrule.logaddexp(minus, minus).item() == -np.inf


@pytest.mark.parametrize("call, words", [
    (lambda x: chainrule.addmm(x, x, x), ["addmm", "(3, 4)", "multiplied"]),
    (lambda x: chainrule.addmm(chainrule.zeros(5), x, x.t()), ["addmm", "(5,)", "(3, 3)"]),
    (lambda x: chainrule.addmv(x, x, x), ["addmv", "vec", "1-D"]),
    (lambda x: chainrule.baddbmm(x, x, x), ["baddbmm", "batch1", "3-D"]),
    (lambda x: chainrule.addcmul(x, x, [1.0]), ["addcmul", "tensor2", "list"]),
    (lambda x: chainrule.addcdiv(x, x.long(), x.long()), ["addcdiv", "integer"]),
    (lambda x: chainrule.heaviside(x, x.double()), ["heaviside", "dtype"]),
])
def test_errors_name_the_op(call, words):
    with pytest.raises((RuntimeError, TypeError)) as info:
        call(chainrule.zeros(3, 4))
    for word in words:
        assert word in str(info.value)
