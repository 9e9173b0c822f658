"""eigh, svd and qr (ops/spectral.py), and eigvalsh and svdvals built on them, reached as
torch.linalg spells them: each case checked by the shared harness, then shapes and the gradient
of the values alone compared with torch directly.

Factors defined up to sign (eigenvectors, singular vectors) are checked through sign-free
functions of them (V², U² ...), as gradients of such functions are well defined."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks
from tests.ops.matrices import SQUARE, np_sym, sym

WIDE_TALL = [((4, 3),), ((2, 3, 5),), ((3, 3),)]

CASES = [
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


class TestSpectral(OpChecks):
    cases = CASES


def ours_and_theirs(array):
    return chainrule.tensor(array), torch.tensor(array)


def test_qr_complete_and_full_svd_shapes_match_torch():
    a = np.random.default_rng(2).standard_normal((5, 3))
    ours, theirs = ours_and_theirs(a)
    for mode in ("reduced", "complete"):
        for x, y in zip(chainrule.linalg.qr(ours, mode), torch.linalg.qr(theirs, mode)):
            assert tuple(x.shape) == tuple(y.shape)
    for x, y in zip(chainrule.linalg.svd(ours), torch.linalg.svd(theirs)):
        assert tuple(x.shape) == tuple(y.shape)


@pytest.mark.parametrize("name", ["eigvalsh", "svdvals"])
def test_values_alone_differentiate_at_repeated_eigenvalues_as_in_torch(name):
    rotation = np.linalg.qr(np.random.default_rng(3).standard_normal((3, 3)))[0]
    a = rotation @ np.diag([1.0, 1.0, 2.0]) @ rotation.T
    ours, theirs = chainrule.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    upstream = np.array([0.3, -1.0, 2.0])
    (getattr(chainrule.linalg, name)(ours) * chainrule.tensor(upstream)).sum().backward()
    (getattr(torch.linalg, name)(theirs) * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)
