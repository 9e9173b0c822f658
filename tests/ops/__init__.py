"""Tests of chainrule.ops, one test module per ops family: src/chainrule/ops/<family>.py is tested
in tests/ops/test_<family>.py, which holds the family's case table (each case run by the shared
harness: NumPy, gradcheck, gradgradcheck and torch), its direct comparisons with torch, and its
properties over random shapes (hypothesis).

Three modules test the package as a whole instead of a family: test_coverage.py (every op in
chainrule.ops has a case in some family's table), test_naming.py (the op classes' naming rule) and
test_public.py (every public op reaches the top level and Tensor).

Helper modules, holding no tests: harness.py (Case, OpChecks and the input makers) and matrices.py
(the square, well-conditioned, symmetric and positive-definite matrices of the linear-algebra
tests, tests/linalg's among them).
"""
