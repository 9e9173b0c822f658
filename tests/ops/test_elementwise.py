"""Elementwise arithmetic and math: each op's cases, checked by the shared harness."""
import math

import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks, distinct, positive, unit

# Shape sets: same shape, broadcasting both ways, a scalar, and size-0/1 dims.
BINARY = [((3, 4), (3, 4)), ((2, 1, 4), (3, 1)), ((4,), (2, 3, 4)), ((), (2, 3)),
          ((0, 3), (1, 3)), ((1,), (1, 1))]
UNARY = [((3, 4),), ((2, 1, 3),), ((),), ((0, 2),)]

CASES = [
    Case("add", lambda L, a, b: a + b, np.add, BINARY),
    Case("add_alpha", lambda L, a, b: L.add(a, b, alpha=2.5), lambda a, b: a + 2.5 * b, BINARY),
    Case("add_scalar", lambda L, a: 1.5 + a, lambda a: 1.5 + a, UNARY),
    Case("sub", lambda L, a, b: a - b, np.subtract, BINARY),
    Case("rsub_scalar", lambda L, a: 2 - a, lambda a: 2 - a, UNARY),
    Case("mul", lambda L, a, b: a * b, np.multiply, BINARY),
    Case("div", lambda L, a, b: a / b, np.divide, BINARY, make=(lambda r, s: r.standard_normal(s),
                                                                  positive)),
    Case("rdiv_scalar", lambda L, a: 3 / a, lambda a: 3 / a, UNARY, make=positive),
    Case("neg", lambda L, a: -a, np.negative, UNARY),
    Case("pow_tensor", lambda L, a, b: a ** b, np.power, BINARY, make=positive),
    Case("pow_scalar", lambda L, a: a ** 3, lambda a: a ** 3, UNARY),
    Case("pow_fraction", lambda L, a: L.pow(a, 0.5), np.sqrt, UNARY, make=positive),
    Case("rpow_scalar", lambda L, a: 2.0 ** a, lambda a: 2.0 ** a, UNARY),
]

erf_reference = np.vectorize(math.erf, otypes=[float])


def wide(rng, shape):
    """Across all three of Cody's erf intervals (|x| <= 0.47, <= 4, beyond) and into erf = ±1."""
    return rng.uniform(-7.0, 7.0, shape)


MATH_CASES = [
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


class TestElementwise(OpChecks):
    cases = CASES


class TestMath(OpChecks):
    cases = MATH_CASES


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


@pytest.mark.parametrize("call, words", [
    (lambda L: L.add(L.tensor([1]), L.tensor([1]), alpha=0.5), ["add", "int64", "alpha=0.5"]),
    (lambda L: L.tensor([1, 2]).sub(2, alpha=1.5), ["sub", "int64", "alpha=1.5"]),
])
def test_a_float_alpha_with_integer_operands_is_refused(call, words):
    with pytest.raises(RuntimeError, match="alpha must not be a floating"):
        call(torch)
    with pytest.raises(RuntimeError) as raised:
        call(chainrule)
    assert all(word in str(raised.value) for word in words)


def test_a_float_alpha_with_a_float_operand_promotes():
    got = chainrule.add(chainrule.tensor([1]), chainrule.tensor([1.0]), alpha=0.5)
    assert got.dtype == chainrule.float32 and got.tolist() == [1.5]


def test_negating_a_bool_tensor_is_refused_pointing_to_logical_not():
    with pytest.raises(RuntimeError, match="Negation"):   # torch refuses it too
        -torch.tensor([True])
    with pytest.raises(RuntimeError, match=r"neg: the - operator on a bool tensor \(shape \(1,\)\) "
                                           r"is not supported; to invert a mask use ~"):
        -chainrule.tensor([True])
