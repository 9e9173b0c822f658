"""Elementwise arithmetic and math: each op's cases, checked by the shared harness."""
import numpy as np

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
    # Finite differences through a float32 round trip carry ~1e-7 / 1e-6 relative noise.
    Case("to_float32", lambda L, a: a.to(L.float32), lambda a: a.astype(np.float32), UNARY,
         double=False, atol=0.1, rtol=0.1),
]


class TestElementwise(OpChecks):
    cases = CASES
