"""chainrule.linalg's matrix functions (linalg/matrices.py) as PyTorch programs use them: pinv,
matrix_power, multi_dot, vecdot, the triangular and Cholesky solves and the top-level aliases
(torch.det, torch.inverse ...), compared with torch 2.13 by the op harness (forward, gradients,
double backward); then result types, errors, and the package as programs import it (the import
hook, the advice for what it lacks). The norms are in test_norms.py; the primitives (inv, det,
svd ...) have their cases in tests/ops/test_decomposition.py and tests/ops/test_spectral.py."""
import math

import numpy as np
import pytest
import torch

import chainrule
from chainrule import porting
from tests.ops.harness import Case, OpChecks, normal
from tests.ops.matrices import np_spd, spd, well_conditioned

CASES = [
    Case("pinv", lambda L, x: L.linalg.pinv(x), np.linalg.pinv, [((4, 3),), ((2, 3, 5),)]),
    Case("pinverse", lambda L, x: L.pinverse(x), np.linalg.pinv, [((3, 4),)]),
    Case("matrix_power", lambda L, x: L.linalg.matrix_power(x, 5),
         lambda x: np.linalg.matrix_power(x, 5), [((3, 3),), ((2, 2, 2),)]),
    Case("matrix_power_negative", lambda L, x: L.matrix_power(x, -2),
         lambda x: np.linalg.matrix_power(x, -2), [((3, 3),)], make=well_conditioned),
    Case("matrix_power_0", lambda L, x: L.linalg.matrix_power(x, 0), None, [((2, 3, 3),)]),
    Case("inverse", lambda L, x: L.inverse(x), np.linalg.inv, [((3, 3),)],
         make=well_conditioned),
    Case("det_top_level", lambda L, x: L.det(x), np.linalg.det, [((2, 3, 3),)],
         make=well_conditioned),
    Case("logdet", lambda L, x: L.logdet(x), lambda x: np.log(np.linalg.det(x)), [((3, 3),)],
         make=well_conditioned),
    Case("slogdet_top_level", lambda L, x: L.slogdet(x)[1],
         lambda x: np.linalg.slogdet(x)[1], [((3, 3),)], make=well_conditioned),
    Case("multi_dot", lambda L, a, b, c: L.linalg.multi_dot([a, b, c]),
         lambda a, b, c: a @ b @ c, [((3,), (3, 4), (4, 2)), ((2, 3), (3, 4), (4,))]),
    Case("vecdot", lambda L, a, b: L.linalg.vecdot(a, b, dim=0),
         lambda a, b: (a * b).sum(0), [((3, 4), (3, 1))]),
    Case("cross", lambda L, a, b: L.linalg.cross(a, b), lambda a, b: np.cross(a, b),
         [((4, 3), (4, 3))]),
    Case("solve_triangular", lambda L, a, b: L.linalg.solve_triangular(a, b, upper=True),
         lambda a, b: np.linalg.solve(np.triu(a), b), [((3, 3), (3, 2)), ((2, 3, 3), (3, 1))],
         make=(well_conditioned, normal)),
    Case("solve_triangular_unit_right", lambda L, a, b: L.linalg.solve_triangular(
        a, b, upper=False, left=False, unitriangular=True), None, [((3, 3), (2, 3))],
        make=(well_conditioned, normal)),
    Case("cholesky_solve", lambda L, a, b: L.cholesky_solve(b, L.linalg.cholesky(spd(L, a))),
         lambda a, b: np.linalg.solve(np_spd(a), b), [((3, 3), (3, 2))]),
    Case("cholesky_solve_upper", lambda L, a, b: L.cholesky_solve(
        b, L.linalg.cholesky(spd(L, a), upper=True), upper=True), None, [((3, 3), (3, 2))]),
    Case("cholesky_inverse", lambda L, a: L.cholesky_inverse(L.linalg.cholesky(spd(L, a))),
         lambda a: np.linalg.inv(np_spd(a)), [((3, 3),)]),
    Case("tensor_methods", lambda L, a: a.inverse() * a.det(), None, [((3, 3),)],
         make=well_conditioned),
    Case("logdet_pinverse_methods", lambda L, a: a.pinverse() * a.logdet(), None, [((3, 3),)],
         make=well_conditioned),
    Case("cholesky_methods", lambda L, a, b: b.cholesky_solve(L.linalg.cholesky(spd(L, a)))
         + L.linalg.cholesky(spd(L, a)).cholesky_inverse()[:, :1], None, [((3, 3), (3, 2))]),
    Case("diagonal", lambda L, a: L.linalg.diagonal(a, offset=1),
         lambda a: np.diagonal(a, 1, -2, -1), [((2, 3, 4),)]),
]


class TestMatrices(OpChecks):
    cases = CASES


def test_matrix_rank_matches_torch():
    rng = np.random.default_rng(0)
    low_rank = rng.standard_normal((3, 5, 2)) @ rng.standard_normal((3, 2, 4))
    ours = chainrule.linalg.matrix_rank(chainrule.tensor(low_rank))
    theirs = torch.linalg.matrix_rank(torch.tensor(low_rank))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.dtype == chainrule.int64
    assert int(chainrule.linalg.matrix_rank(chainrule.tensor(low_rank), atol=1e3)[0]) == 0


def test_result_tuples_have_torchs_field_names():
    a = chainrule.tensor(np.random.default_rng(1).standard_normal((3, 3)))
    assert chainrule.linalg.svd(a)._fields == ("U", "S", "Vh")
    assert chainrule.linalg.eigh(a)._fields == ("eigenvalues", "eigenvectors")
    assert chainrule.linalg.qr(a)._fields == ("Q", "R")
    assert chainrule.linalg.slogdet(a)._fields == ("sign", "logabsdet")
    U, S, Vh = chainrule.linalg.svd(a)
    np.testing.assert_allclose((U @ chainrule.diag_embed(S) @ Vh).numpy(), a.numpy(), atol=1e-12)


def test_logdet_of_a_negative_determinant_is_nan_as_in_torch():
    a = np.diag([-1.0, 2.0, 3.0])
    assert math.isnan(float(chainrule.logdet(chainrule.tensor(a))))
    assert math.isnan(float(torch.logdet(torch.tensor(a))))


def test_matrix_power_of_a_non_square_matrix_names_the_shape():
    with pytest.raises(RuntimeError, match=r"linalg.matrix_power.*\(2, 3\)"):
        chainrule.linalg.matrix_power(chainrule.zeros(2, 3), 2)


@pytest.mark.parametrize("statement, check", [
    ("import torch.linalg as LA", lambda ns: ns["LA"] is chainrule.linalg),
    ("from torch import linalg", lambda ns: ns["linalg"] is chainrule.linalg),
    ("import torch.linalg", lambda ns: ns["torch"].linalg is chainrule.linalg),
    ("import torch.special", lambda ns: ns["torch"].special is chainrule.special),
    ("from torch.special import expit", lambda ns: ns["expit"] is chainrule.special.expit),
    ("from torch.linalg import LinAlgError",
     lambda ns: issubclass(ns["LinAlgError"], RuntimeError)),
])
def test_pytorch_imports_of_linalg_and_special_reach_chainrule(statement, check):
    with porting.install(force=True):
        namespace = {}
        exec(statement, namespace)
        assert check(namespace)


def test_what_linalg_lacks_is_refused_with_advice():
    with pytest.raises(AttributeError, match="torch.linalg.eig: .*eigh"):
        chainrule.linalg.eig
    with pytest.raises(AttributeError, match="no attribute 'nonsense'.*vector_norm"):
        chainrule.linalg.nonsense


@pytest.mark.parametrize("call, message", [
    (lambda L: L.cholesky_solve(L.ones(3, 1), L.eye(2)),
     r"cholesky_solve: incompatible shapes of A \(2, 2\) and B \(3, 1\) for A X = B"),
    (lambda L: L.linalg.solve_triangular(L.eye(2), L.ones(3, 1), upper=True),
     r"linalg.solve_triangular: incompatible shapes of A \(2, 2\) and B \(3, 1\) for A X = B"),
    (lambda L: L.linalg.solve_triangular(L.eye(2), L.ones(2, 3), upper=True, left=False),
     r"linalg.solve_triangular: .* B \(2, 3\) for X A = B"),
])
def test_triangular_solves_name_themselves_when_b_does_not_fit(call, message):
    with pytest.raises(RuntimeError):   # torch refuses these too
        call(torch)
    with pytest.raises(RuntimeError, match=message):
        call(chainrule)


def test_pinv_of_a_vector_names_pinv():
    with pytest.raises(RuntimeError, match="linalg.pinv"):   # torch's words name it too
        torch.linalg.pinv(torch.ones(3))
    with pytest.raises(RuntimeError, match=r"linalg.pinv: expected a matrix or a batch of them, "
                                           r"got shape \(3,\)"):
        chainrule.linalg.pinv(chainrule.ones(3))
