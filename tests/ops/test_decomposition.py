"""inv, det, slogdet, solve, cholesky (ops/decomposition.py) and eigh, svd, qr (ops/spectral.py),
reached as torch.linalg spells them: each case checked by the shared harness, then results,
batching and errors compared with torch directly.

Factors defined up to sign (eigenvectors, singular vectors) are checked through sign-free
functions of them (V², U² ...), as gradients of such functions are well defined."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks, normal

SQUARE = [((3, 3),), ((2, 4, 4),), ((1, 2, 2),)]
WIDE_TALL = [((4, 3),), ((2, 3, 5),), ((3, 3),)]


def well_conditioned(rng, shape):
    """A random square matrix plus 3 I: invertible, with no tiny pivots."""
    return rng.standard_normal(shape) + 3 * np.eye(shape[-1])


def singular(rng, shape):
    """A random matrix of rank n - 1: det is 0, its gradient (the cofactors) is not."""
    n = shape[-1]
    return rng.standard_normal(shape[:-1] + (n - 1,)) @ rng.standard_normal(shape[:-2] + (n - 1, n))


def spd(L, a):
    """A symmetric positive-definite matrix made from any square a (on either library)."""
    return a @ a.mT + a.shape[-1] * L.eye(a.shape[-1], dtype=a.dtype)


def sym(L, a):
    return a + a.mT


def np_spd(a):
    return a @ np.swapaxes(a, -1, -2) + a.shape[-1] * np.eye(a.shape[-1])


def np_sym(a):
    return a + np.swapaxes(a, -1, -2)


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
    Case("eigvalsh", lambda L, a: L.linalg.eigvalsh(sym(L, a)),
         lambda a: np.linalg.eigvalsh(np_sym(a)), SQUARE),
    Case("eigh_vectors", lambda L, a: L.linalg.eigh(sym(L, a)).eigenvectors ** 2,
         lambda a: np.linalg.eigh(np_sym(a))[1] ** 2, SQUARE),
    Case("eigh_upper", lambda L, a: L.linalg.eigh(sym(L, a), UPLO="U")[1] ** 2,
         lambda a: np.linalg.eigh(np_sym(a), UPLO="U")[1] ** 2, SQUARE[:1]),
    Case("svdvals", lambda L, a: L.linalg.svdvals(a),
         lambda a: np.linalg.svd(a, compute_uv=False), WIDE_TALL),
    Case("svd_u", lambda L, a: L.linalg.svd(a, full_matrices=False).U ** 2,
         lambda a: np.linalg.svd(a, full_matrices=False)[0] ** 2, WIDE_TALL),
    Case("svd_vh", lambda L, a: L.linalg.svd(a, full_matrices=False).Vh ** 2,
         lambda a: np.linalg.svd(a, full_matrices=False)[2] ** 2, WIDE_TALL),
    Case("svd_full", lambda L, a: L.linalg.svd(a)[0][..., :, :2] ** 2,
         lambda a: np.linalg.svd(a)[0][..., :, :2] ** 2, WIDE_TALL[:1]),
    Case("svd_product", lambda L, a: (lambda u, s, vh: u[..., :, :1] * vh[..., :1, :])(
        *L.linalg.svd(a, full_matrices=False)),
        lambda a: (lambda u, s, vh: u[..., :, :1] * vh[..., :1, :])(
            *np.linalg.svd(a, full_matrices=False)), WIDE_TALL),
    Case("qr_q", lambda L, a: L.linalg.qr(a).Q, lambda a: np.linalg.qr(a)[0],
         [((4, 3),), ((2, 3, 3),), ((3, 5),)]),
    Case("qr_r", lambda L, a: L.linalg.qr(a).R, lambda a: np.linalg.qr(a)[1],
         [((4, 3),), ((2, 3, 3),), ((2, 3, 5),)]),
]


class TestDecomposition(OpChecks):
    cases = CASES


def ours_and_theirs(array):
    return chainrule.tensor(array), torch.tensor(array)


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


def test_qr_complete_and_full_svd_shapes_match_torch():
    a = np.random.default_rng(2).standard_normal((5, 3))
    ours, theirs = ours_and_theirs(a)
    for mode in ("reduced", "complete"):
        for x, y in zip(chainrule.linalg.qr(ours, mode), torch.linalg.qr(theirs, mode)):
            assert tuple(x.shape) == tuple(y.shape)
    for x, y in zip(chainrule.linalg.svd(ours), torch.linalg.svd(theirs)):
        assert tuple(x.shape) == tuple(y.shape)


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


@pytest.mark.parametrize("name", ["eigvalsh", "svdvals"])
def test_values_alone_differentiate_at_repeated_eigenvalues_as_in_torch(name):
    rotation = np.linalg.qr(np.random.default_rng(3).standard_normal((3, 3)))[0]
    a = rotation @ np.diag([1.0, 1.0, 2.0]) @ rotation.T
    ours, theirs = chainrule.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    upstream = np.array([0.3, -1.0, 2.0])
    (getattr(chainrule.linalg, name)(ours) * chainrule.tensor(upstream)).sum().backward()
    (getattr(torch.linalg, name)(theirs) * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)
