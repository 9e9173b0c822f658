"""Elementwise arithmetic (ops/elementwise.py: add, sub, mul, div, neg, pow and the operators):
each op's cases, checked by the shared harness, then alpha, dtypes and errors against torch.
The math of one tensor (exp, log, sqrt, sin, erf ...) is in test_unary.py."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks, positive

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

class TestElementwise(OpChecks):
    cases = CASES


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


# ----- sub with alpha: a - alpha * b in every spelling, against torch -----------------------------
SUB_ALPHA_CASES = [
    Case("sub_alpha", lambda L, a, b: L.sub(a, b, alpha=2.5), lambda a, b: a - 2.5 * b, BINARY),
    Case("sub_alpha_method", lambda L, a, b: a.sub(b, alpha=-3), lambda a, b: a + 3 * b, BINARY),
    Case("sub_alpha_scalar", lambda L, a: a.sub(2.0, alpha=0.5), lambda a: a - 1.0, UNARY),
    # a Python number as other was refused by mul (both operands numbers) in add and sub
    Case("add_alpha_scalar", lambda L, a: L.add(a, 2.0, alpha=-1.5), lambda a: a - 3.0, UNARY),
]


class TestSubAlpha(OpChecks):
    cases = SUB_ALPHA_CASES


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
@pytest.mark.parametrize("alpha", [2, -3, 0])
def test_sub_in_place_with_alpha_matches_torch(dtype, alpha):
    a, b = np.array([[1.5, -2.0, 4.0]]), np.array([[0.5], [3.0]])
    a, b = np.broadcast_to(a, (2, 3)).astype(dtype), b.astype(dtype)
    ours, theirs = chainrule.tensor(a), torch.tensor(a)
    assert ours.sub_(chainrule.tensor(b), alpha=alpha) is ours
    theirs.sub_(torch.tensor(b), alpha=alpha)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.sub_(1, alpha=alpha) is ours   # a Python number as other
    np.testing.assert_array_equal(ours.numpy(), theirs.sub_(1, alpha=alpha).numpy())


def test_sub_alpha_of_integers_keeps_the_integer_dtype_as_torch():
    for L in (chainrule, torch):
        got = L.sub(L.tensor([10, 20]), L.tensor([1, 2]), alpha=3)
        assert str(got.dtype).removeprefix("torch.") == "int64"
        assert got.tolist() == [7, 14]
        assert L.tensor([10, 20]).sub(L.tensor([1, 2]), alpha=3).tolist() == [7, 14]


def test_sub_in_place_with_alpha_on_a_leaf_in_the_graph_matches_torch():
    """sub_ on a non-leaf: the gradient flows to b scaled by -alpha."""
    grads = []
    for L in (torch, chainrule):
        a = L.tensor([1.0, 2.0, 3.0], dtype=L.float64, requires_grad=True)
        b = L.tensor([0.5, -1.0, 2.0], dtype=L.float64, requires_grad=True)
        y = a * 2
        y.sub_(b * b, alpha=1.5)
        (y * L.tensor([1.0, 2.0, 3.0], dtype=L.float64)).sum().backward()
        grads.append((y.detach().numpy(), a.grad.numpy(), b.grad.numpy()))
    for ours, theirs in zip(grads[1], grads[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-15)


# ----- true division of integers gives the default float; // and floor_divide keep the integer ---
DIVISIONS = {
    "operator": lambda L, a, b: a / b, "function": lambda L, a, b: L.div(a, b),
    "method": lambda L, a, b: a.div(b), "true_divide": lambda L, a, b: L.true_divide(a, b),
    "true_divide_method": lambda L, a, b: a.true_divide(b),
    "int_scalar": lambda L, a, b: a / 2, "scalar_over_tensor": lambda L, a, b: 7 / b,
    "float_scalar": lambda L, a, b: a / 2.5,
    "floordiv": lambda L, a, b: a // b, "floor_divide": lambda L, a, b: L.floor_divide(a, b),
    "rounding_floor": lambda L, a, b: L.div(a, b, rounding_mode="floor"),
    "rounding_trunc": lambda L, a, b: a.div(b, rounding_mode="trunc"),
    "rounding_trunc_scalar": lambda L, a, b: L.div(a, -2, rounding_mode="trunc"),
}


@pytest.mark.parametrize("name", sorted(DIVISIONS))
@pytest.mark.parametrize("dtype", ["int64", "int32", "int16", "uint8", "bool"])
def test_integer_division_dtype_and_value_match_torch(name, dtype):
    a, b = np.array([7, 5, 0, 6, 1]), np.array([2, 3, 4, 1, 1])
    if dtype == "bool":
        if name.startswith(("floor", "rounding")):   # torch: not implemented for bool
            pytest.skip("torch has no floor division of bools")
        a, b = a.astype(bool), np.ones(5, bool)
    a, b = a.astype(dtype), b.astype(dtype)
    ours = DIVISIONS[name](chainrule, chainrule.tensor(a), chainrule.tensor(b))
    theirs = DIVISIONS[name](torch, torch.tensor(a), torch.tensor(b))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), name
    # rtol: torch computes 7 / b as 7 * reciprocal(b), one float32 rounding more
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.parametrize("default", ["float64", "float32"])
def test_integer_true_division_follows_the_default_dtype(default):
    previous = chainrule.get_default_dtype(), torch.get_default_dtype()
    try:
        chainrule.set_default_dtype(getattr(chainrule, default))
        torch.set_default_dtype(getattr(torch, default))
        ours = chainrule.tensor([1, 2]) / chainrule.tensor([3, 4])
        theirs = torch.tensor([1, 2]) / torch.tensor([3, 4])
    finally:
        chainrule.set_default_dtype(previous[0])
        torch.set_default_dtype(previous[1])
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.") == default
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15)


def test_true_division_in_place_of_an_integer_tensor_is_refused_as_torch():
    with pytest.raises(RuntimeError):   # torch: result type Float can't be cast to Long
        torch.tensor([4, 6]).div_(2)
    with pytest.raises(RuntimeError, match="div_"):
        chainrule.tensor([4, 6]).div_(2)


def test_complex_true_division_stays_complex():
    """It was cast to the default float, dropping the imaginary part."""
    values = np.array([1 + 2j, 3 - 1j])
    ours = chainrule.tensor(values) / chainrule.tensor(values[::-1].copy())
    np.testing.assert_allclose(ours.numpy(), values / values[::-1])
    assert ours.dtype.is_complex


@pytest.mark.parametrize("fn", [
    lambda L, x: (x ** 0).sum(),
    lambda L, x: (x.reshape(3, 1) ** L.arange(3)).sum(),
    lambda L, x: (L.zeros(3, dtype=x.dtype) ** x).sum(),
], ids=["x**0", "polynomial features", "0**x"])
def test_pow_gradient_at_zero_is_torchs(fn):
    ours = chainrule.tensor([0.0, 1.0, 2.0], dtype=chainrule.float64, requires_grad=True)
    theirs = torch.tensor([0.0, 1.0, 2.0], dtype=torch.float64, requires_grad=True)
    fn(chainrule, ours).backward()
    fn(torch, theirs).backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())
