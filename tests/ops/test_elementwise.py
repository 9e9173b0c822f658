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
