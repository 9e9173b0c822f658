"""inv, det, slogdet, solve, cholesky and matrix_exp (ops/decomposition.py), reached as
torch.linalg spells them: each case checked by the shared harness, then results, batching and
errors compared with torch directly. eigh, svd and qr are in test_spectral.py."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks, normal
from tests.ops.matrices import SQUARE, np_spd, singular, spd, well_conditioned

CASES = [
    Case("inv", lambda L, a: L.linalg.inv(a), np.linalg.inv, SQUARE, make=well_conditioned),
    Case("det", lambda L, a: L.linalg.det(a), np.linalg.det, SQUARE, make=well_conditioned),
    Case("det_singular", lambda L, a: L.linalg.det(a), np.linalg.det, [((3, 3),), ((2, 4, 4),)],
         make=singular, torch_rtol={"float32": 1e-4, "float64": 1e-9}),
    Case("slogdet", lambda L, a: L.linalg.slogdet(a).logabsdet,
         lambda a: np.linalg.slogdet(a)[1], SQUARE, make=well_conditioned),
    Case("matrix_exp", lambda L, a: L.linalg.matrix_exp(a), None,
         [((3, 3),), ((2, 4, 4),), ((1, 1),)]),
    Case("matrix_exp_large", lambda L, a: L.matrix_exp(3 * a), None, [((3, 3),)]),
    Case("solve", lambda L, a, b: L.linalg.solve(a, b), np.linalg.solve,
         [((3, 3), (3, 2)), ((2, 3, 3), (2, 3, 1)), ((2, 3, 3), (3, 4))],
         make=(well_conditioned, normal)),
    Case("solve_vector", lambda L, a, b: L.linalg.solve(a, b),
         lambda a, b: np.linalg.solve(a, b[..., None])[..., 0],
         [((3, 3), (3,)), ((2, 3, 3), (2, 3))],
         make=(well_conditioned, normal)),
    Case("cholesky", lambda L, a: L.linalg.cholesky(spd(L, a)),
         lambda a: np.linalg.cholesky(np_spd(a)), SQUARE),
    Case("cholesky_upper", lambda L, a: L.linalg.cholesky(spd(L, a), upper=True),
         lambda a: np.swapaxes(np.linalg.cholesky(np_spd(a)), -1, -2), SQUARE[:1]),
]


class TestDecomposition(OpChecks):
    cases = CASES


def test_slogdet_sign_and_names_match_torch():
    a = np.random.default_rng(0).standard_normal((3, 3, 3))
    ours, theirs = chainrule.linalg.slogdet(chainrule.tensor(a)), torch.linalg.slogdet(
        torch.tensor(a))
    np.testing.assert_array_equal(ours.sign.numpy(), theirs.sign.numpy())
    assert ours._fields == ("sign", "logabsdet")


def test_solve_left_false_and_broadcast_batches_match_torch():
    rng = np.random.default_rng(1)
    a, b = well_conditioned(rng, (2, 1, 3, 3)), rng.standard_normal((4, 2, 3))
    ours = chainrule.linalg.solve(chainrule.tensor(a), chainrule.tensor(b), left=False)
    theirs = torch.linalg.solve(torch.tensor(a), torch.tensor(b), left=False)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10)


def test_singular_matrix_raises_linalg_error():
    singular = chainrule.ones(2, 3, 3)
    with pytest.raises(chainrule.linalg.LinAlgError, match=r"linalg.inv.*\(2, 3, 3\).*singular"):
        chainrule.linalg.inv(singular)
    with pytest.raises(RuntimeError, match="linalg.solve.*singular"):
        chainrule.linalg.solve(singular, chainrule.ones(2, 3, 1))
    with pytest.raises(chainrule.linalg.LinAlgError, match="positive-definite"):
        chainrule.linalg.cholesky(-chainrule.eye(3))
    assert issubclass(chainrule.linalg.LinAlgError, RuntimeError)


@pytest.mark.parametrize("name", ["inv", "det", "slogdet", "cholesky", "eigh"])
def test_non_square_and_vectors_are_refused_naming_the_shape(name):
    function = getattr(chainrule.linalg, name)
    with pytest.raises(RuntimeError, match=rf"linalg.{name}.*\(2, 3\)"):
        function(chainrule.zeros(2, 3))
    with pytest.raises(RuntimeError, match=rf"linalg.{name}.*at least 2 dimensions"):
        function(chainrule.zeros(3))


def test_integer_input_is_refused():
    with pytest.raises(RuntimeError, match="linalg.inv.*floating"):
        chainrule.linalg.inv(chainrule.eye(3, dtype=chainrule.int64))


def test_solve_incompatible_shapes_are_refused():
    with pytest.raises(RuntimeError, match=r"linalg.solve.*\(3, 3\).*\(4, 2\)"):
        chainrule.linalg.solve(chainrule.eye(3), chainrule.zeros(4, 2))
