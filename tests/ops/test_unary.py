"""The math of one tensor (ops/unary.py: exp, expm1, log, log1p, sqrt, rsqrt, reciprocal, square,
abs, sign, sin, cos, erf): each op's cases, checked by the shared harness, then the dtype of integer
and bool inputs and the derivative at kinks and poles, against torch."""
import math

import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks, distinct, positive, unit

UNARY = [((3, 4),), ((2, 1, 3),), ((),), ((0, 2),)]   # as in test_elementwise.py

erf_reference = np.vectorize(math.erf, otypes=[float])


def wide(rng, shape):
    """Across all three of Cody's erf intervals (|x| <= 0.47, <= 4, beyond) and into erf = ±1."""
    return rng.uniform(-7.0, 7.0, shape)


CASES = [
    Case("exp", lambda L, a: L.exp(a), np.exp, UNARY),
    Case("exp_method", lambda L, a: a.exp(), np.exp, UNARY),
    Case("expm1", lambda L, a: L.expm1(a), np.expm1, UNARY),
    Case("log", lambda L, a: L.log(a), np.log, UNARY, make=positive),
    Case("log_method", lambda L, a: a.log(), np.log, UNARY, make=positive),
    Case("log1p", lambda L, a: L.log1p(a), np.log1p, UNARY, make=unit),
    Case("sqrt", lambda L, a: L.sqrt(a), np.sqrt, UNARY, make=positive),
    Case("sqrt_method", lambda L, a: a.sqrt(), np.sqrt, UNARY, make=positive),
    Case("rsqrt", lambda L, a: L.rsqrt(a), lambda a: 1 / np.sqrt(a), UNARY, make=positive),
    Case("reciprocal", lambda L, a: L.reciprocal(a), lambda a: 1 / a, UNARY, make=distinct),
    Case("square", lambda L, a: L.square(a), np.square, UNARY),
    Case("abs", lambda L, a: L.abs(a), np.abs, UNARY, make=distinct),
    Case("abs_builtin", lambda L, a: abs(a), np.abs, UNARY, make=distinct),
    Case("sign", lambda L, a: L.sign(a), np.sign, UNARY, make=distinct),
    Case("sin", lambda L, a: L.sin(a), np.sin, UNARY),
    Case("cos", lambda L, a: a.cos(), np.cos, UNARY),
    Case("erf", lambda L, a: L.erf(a), erf_reference, UNARY),
    Case("erf_wide", lambda L, a: a.erf(), erf_reference, [((40,),), ((3, 5),)], make=wide),
    # a chain, so that each op's backward is differentiated through the others'
    Case("log_of_sqrt_of_exp", lambda L, a: L.log(L.sqrt(L.exp(a)) + 1) * L.cos(a),
         lambda a: np.log(np.sqrt(np.exp(a)) + 1) * np.cos(a), UNARY),
]


class TestUnary(OpChecks):
    cases = CASES


FLOAT_VALUED = ["exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "reciprocal", "sin", "cos", "erf"]


@pytest.mark.parametrize("name", FLOAT_VALUED + ["abs", "square", "sign"])
@pytest.mark.parametrize("values", [[1, 2, 0], [True, False]], ids=["int64", "bool"])
def test_result_dtype_of_integer_and_bool_inputs(name, values):
    if name == "abs" and values[0] is True:  # PyTorch has no abs of a bool either
        with pytest.raises(RuntimeError, match="abs.*bool"):
            chainrule.abs(chainrule.tensor(values))
        return
    expected = getattr(torch, name)(torch.tensor(values))
    out = getattr(chainrule, name)(chainrule.tensor(values))
    assert str(out.dtype) == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)


# Points where a derivative is a convention, not a limit; each compared with PyTorch's choice.
SPECIAL_POINTS = [
    ("abs", lambda L, x: L.abs(x), [0.0, -0.0, -2.0, 3.0]),
    ("sign", lambda L, x: L.sign(x), [0.0, -1.5, 2.0, float("nan")]),
    ("sqrt", lambda L, x: L.sqrt(x), [0.0, 4.0]),
    ("log", lambda L, x: L.log(x), [0.0, 1.0]),
    ("rsqrt", lambda L, x: L.rsqrt(x), [0.0, 4.0]),
    ("reciprocal", lambda L, x: L.reciprocal(x), [0.0, -2.0]),
    ("erf", lambda L, x: L.erf(x), [0.0, -0.0, float("inf"), float("-inf"), 30.0, 1e-300]),
]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy warns where PyTorch is silent: 1/0
@pytest.mark.parametrize("name, fn, values", SPECIAL_POINTS, ids=[p[0] for p in SPECIAL_POINTS])
def test_special_points_match_torch(name, fn, values):
    ours = chainrule.tensor(values, dtype=chainrule.float64, requires_grad=True)
    theirs = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    out, expected = fn(chainrule, ours), fn(torch, theirs)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-15)
    out.backward(chainrule.ones_like(out))
    expected.backward(torch.ones_like(expected))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-15)


# ----- expm1 and log1p near 0: exact where exp(x) - 1 and log(1 + x) cancel to 0 ---------------
TINY = [1e-10, -1e-10, 3e-8, -3e-8, 1e-20, 1e-30, 1e-6, 0.0, -0.0]


@pytest.mark.parametrize("name", ["expm1", "log1p"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_expm1_and_log1p_near_zero_match_torch_and_their_gradients_too(name, dtype):
    ours = chainrule.tensor(np.array(TINY, dtype), requires_grad=True)
    theirs = torch.tensor(np.array(TINY, dtype), requires_grad=True)
    out, expected = getattr(chainrule, name)(ours), getattr(torch, name)(theirs)
    assert str(out.dtype) == dtype
    # torch keeps x itself (to a rounding) where the naive formula gives 0: 1e-10, not 0
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=2e-7,
                               atol=0)
    np.testing.assert_allclose(out.detach().numpy(), np.array(TINY, dtype), rtol=2e-6, atol=0)
    (grad,) = chainrule.autograd.grad(out.sum(), ours, create_graph=True)
    (expected_grad,) = torch.autograd.grad(expected.sum(), theirs, create_graph=True)
    assert str(grad.dtype) == dtype
    np.testing.assert_allclose(grad.detach().numpy(), expected_grad.detach().numpy(), rtol=1e-7)
    (second,) = chainrule.autograd.grad(grad.sum(), ours)   # exp(x) and -1 / (1 + x)²
    (expected_second,) = torch.autograd.grad(expected_grad.sum(), theirs)
    np.testing.assert_allclose(second.numpy(), expected_second.numpy(), rtol=1e-6)


def test_log1p_of_expm1_gives_back_a_tiny_float32_x_as_torch():
    x = np.array([1e-10, -2e-9, 5e-12], np.float32)
    ours = chainrule.log1p(chainrule.expm1(chainrule.tensor(x))).numpy()
    theirs = torch.log1p(torch.expm1(torch.tensor(x))).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    np.testing.assert_allclose(ours, x, rtol=1e-6)


def test_normal_cdf_in_float32_is_within_1e_7_monotone_and_exact_in_the_tails():
    # GELU's Φ (ops.unary.normal_cdf_array): a tanh-form fit in float32, checked against float64
    from chainrule.ops.unary import normal_cdf_array
    x = np.linspace(-12, 12, 400_001).astype(np.float32)
    truth = 0.5 * torch.erfc(-torch.tensor(x, dtype=torch.float64) / math.sqrt(2)).numpy()
    cdf = normal_cdf_array(x)
    assert cdf.dtype == np.float32 and np.abs(cdf - truth).max() < 1e-7
    assert np.all(np.diff(cdf) >= 0)
    far = np.array([-3e38, -1e20, -7, 7, 1e20, 3e38, -np.inf, np.inf, np.nan], np.float32)
    with np.errstate(all="raise"):
        tails = normal_cdf_array(far)
    assert tails[:8].tolist() == [0, 0, 0, 1, 1, 1, 0, 1] and np.isnan(tails[8])
