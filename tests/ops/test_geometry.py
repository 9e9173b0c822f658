"""atan2, hypot, lerp, cross, cdist, tensordot and kron: each op's cases, checked by the shared
harness, then defaults, dtypes and errors compared with torch directly."""
import warnings

import numpy as np
import pytest
import torch

import chainrule
from tests.ops.edges import matches_torch_at
from tests.ops.harness import Case, OpChecks, positive

BINARY = [((3, 4), (3, 4)), ((2, 1, 4), (3, 1)), ((4,), (2, 3, 4)), ((), (2, 3)),
          ((0, 3), (1, 3))]


def away_from_zero(rng, shape):
    """|x| in [0.5, 2] with either sign: atan2 and hypot are smooth there."""
    return positive(rng, shape) * rng.choice([-1.0, 1.0], shape)


def np_cdist(a, b, p):
    difference = np.abs(a[..., :, None, :] - b[..., None, :, :])
    if p == np.inf:
        return difference.max(-1)
    if p == 0:
        return (difference != 0).sum(-1).astype(float)
    return (difference ** p).sum(-1) ** (1 / p)


def np_cross(a, b, axis):
    return np.cross(a, b, axis=axis)


def grid_points(rng, shape):
    """Coordinates in {-1, 0, 1}: many pairs of points share some, or all, of them."""
    return rng.integers(-1, 2, shape).astype(float)


CDIST = [((4, 3), (5, 3)), ((2, 4, 3), (2, 5, 3)), ((2, 1, 3, 2), (4, 5, 2)), ((1, 1), (3, 1))]
# torch 2.13: "the derivative for '_cdist_backward' is not implemented"; gradgradcheck checks ours
NO_CDIST_DOUBLE = "torch's cdist is once differentiable"

CASES = [
    Case("atan2", lambda L, a, b: L.atan2(a, b), np.arctan2, BINARY, make=away_from_zero),
    Case("arctan2_method", lambda L, a, b: a.arctan2(b), np.arctan2, BINARY[:2],
         make=away_from_zero),
    Case("hypot", lambda L, a, b: L.hypot(a, b), np.hypot, BINARY, make=away_from_zero),
    Case("lerp_scalar", lambda L, a, b: L.lerp(a, b, 0.3), lambda a, b: a + 0.3 * (b - a),
         BINARY),
    Case("lerp_scalar_high_method", lambda L, a, b: a.lerp(b, 0.8),
         lambda a, b: b - (b - a) * (1 - 0.8), BINARY),
    Case("lerp_tensor", lambda L, a, b, w: L.lerp(a, b, w), lambda a, b, w: a + w * (b - a),
         [((3, 4), (3, 4), (3, 4)), ((2, 1, 4), (3, 1), (4,))],
         make=(np.random.Generator.standard_normal, np.random.Generator.standard_normal,
               lambda r, s: r.uniform(0, 1, s))),
    Case("cross_dim", lambda L, a, b: L.cross(a, b, dim=-1), lambda a, b: np_cross(a, b, -1),
         [((4, 3), (4, 3)), ((2, 1, 3), (1, 5, 3)), ((3,), (3,))]),
    Case("cross_dim0_method", lambda L, a, b: a.cross(b, 0), lambda a, b: np_cross(a, b, 0),
         [((3, 4), (3, 4)), ((3, 2, 2), (3, 1, 2))]),
    Case("cdist", lambda L, a, b: L.cdist(a, b), lambda a, b: np_cdist(a, b, 2), CDIST,
         no_torch_double=NO_CDIST_DOUBLE),
    Case("cdist_p1", lambda L, a, b: L.cdist(a, b, p=1), lambda a, b: np_cdist(a, b, 1), CDIST,
         no_torch_double=NO_CDIST_DOUBLE),
    Case("cdist_p3", lambda L, a, b: L.cdist(a, b, 3.0), lambda a, b: np_cdist(a, b, 3), CDIST,
         no_torch_double=NO_CDIST_DOUBLE),
    Case("cdist_p1_5", lambda L, a, b: L.cdist(a, b, 1.5), lambda a, b: np_cdist(a, b, 1.5),
         CDIST[:2], no_torch_double=NO_CDIST_DOUBLE),
    Case("cdist_inf", lambda L, a, b: L.cdist(a, b, float("inf")),
         lambda a, b: np_cdist(a, b, np.inf), CDIST, no_torch_double=NO_CDIST_DOUBLE),
    Case("cdist_p0", lambda L, a, b: L.cdist(a, b, 0), lambda a, b: np_cdist(a, b, 0), CDIST,
         no_torch_double=NO_CDIST_DOUBLE),
    # points on a grid share coordinates: |d|^(p-1) is inf at a 0 difference for p < 1, where
    # torch's gradient is 0 (it was nan); a kink, so no finite differences of the gradient
    Case("cdist_p_half_at_ties", lambda L, a, b: L.cdist(a, b, 0.5),
         lambda a, b: np_cdist(a, b, 0.5), CDIST[:2], make=grid_points, double=False,
         no_torch_double=NO_CDIST_DOUBLE),
    Case("cdist_p1_5_at_ties", lambda L, a, b: L.cdist(a, b, 1.5),
         lambda a, b: np_cdist(a, b, 1.5), CDIST[:2], make=grid_points, double=False,
         no_torch_double=NO_CDIST_DOUBLE),
    Case("dist_p_half_at_ties", lambda L, a, b: L.dist(a, b, 0.5),
         lambda a, b: (np.sqrt(np.abs(a - b)).sum()) ** 2, BINARY[:2], make=grid_points,
         double=False, no_torch_double="torch's second derivative is nan at a 0 difference"),
    Case("dist", lambda L, a, b: L.dist(a, b), lambda a, b: np.sqrt(((a - b) ** 2).sum()),
         BINARY[:4]),
    Case("dist_p1_method", lambda L, a, b: a.dist(b, 1), lambda a, b: np.abs(a - b).sum(),
         BINARY[:2]),
    Case("dist_p3", lambda L, a, b: L.dist(a, b, p=3), lambda a, b: (np.abs(a - b) ** 3).sum()
         ** (1 / 3), BINARY[:2]),
    Case("dist_inf", lambda L, a, b: L.dist(a, b, float("inf")), lambda a, b: np.abs(a - b).max(),
         BINARY[:2]),
    Case("inner", lambda L, a, b: L.inner(a, b), np.inner,
         [((3,), (3,)), ((2, 3), (4, 3)), ((2, 1, 3), (3,)), ((), (2, 3))]),
    Case("inner_method", lambda L, a, b: a.inner(b), np.inner, [((2, 3), (3,))]),
    Case("tensordot", lambda L, a, b: L.tensordot(a, b), lambda a, b: np.tensordot(a, b),
         [((2, 3, 4), (3, 4, 5)), ((3, 4), (3, 4))]),
    Case("tensordot_lists", lambda L, a, b: L.tensordot(a, b, dims=([0, 2], [1, 0])),
         lambda a, b: np.tensordot(a, b, axes=([0, 2], [1, 0])), [((2, 3, 4), (4, 2, 5))]),
    Case("tensordot_outer", lambda L, a, b: L.tensordot(a, b, 0),
         lambda a, b: np.tensordot(a, b, 0), [((2, 3), (4,))]),
    Case("kron", lambda L, a, b: L.kron(a, b), np.kron,
         [((2, 3), (4, 2)), ((3,), (2,)), ((2, 2), (3,)), ((2,), (2, 3, 1))]),
]


class TestGeometry(OpChecks):
    cases = CASES


def test_zero_distance_has_zero_gradient_as_in_torch():
    values = np.array([[1.0, 2.0], [3.0, -1.0]])
    for p in (2.0, 1.0, 3.0):
        x = chainrule.tensor(values, requires_grad=True)
        chainrule.cdist(x, x, p=p).sum().backward()
        t = torch.tensor(values, requires_grad=True)
        torch.cdist(t, t, p=p).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-12)


def test_hypot_at_the_origin_has_the_gradient_torch_gives():
    x = chainrule.tensor([0.0, 3.0], requires_grad=True)
    chainrule.hypot(x, chainrule.tensor([0.0, 4.0])).sum().backward()
    t = torch.tensor([0.0, 3.0], requires_grad=True)
    torch.hypot(t, torch.tensor([0.0, 4.0])).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())   # NaN at the origin in both


def test_atan2_at_the_origin_has_torchs_zero_gradient():
    """1 / (a² + b²) is taken as 0 where it is inf (also where a² + b² underflows), as torch's;
    its second derivatives there are NaN, as torch's."""
    matches_torch_at(lambda L, a, b: L.atan2(a, b), [0.0, 0.0, 1.0, -0.0, 0.0, 1e-200],
                     [0.0, -0.0, 0.0, 0.0, 2.0, 0.0])


def test_atan2_of_integers_is_float32():
    ours = chainrule.atan2(chainrule.tensor([1, -1]), chainrule.tensor([2, 0]))
    theirs = torch.atan2(torch.tensor([1, -1]), torch.tensor([2, 0]))
    assert ours.dtype == chainrule.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_cross_without_dim_takes_the_first_size_3_dim_and_warns():
    a, b = np.random.default_rng(0).standard_normal((2, 3, 3))
    with pytest.warns(UserWarning, match="dim"):
        ours = chainrule.cross(chainrule.tensor(a), chainrule.tensor(b))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = torch.cross(torch.tensor(a), torch.tensor(b))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("call, words", [
    (lambda: chainrule.cross(chainrule.zeros(3, 4), chainrule.zeros(3, 4), dim=1),
     ["cross", "(3, 4)", "size 3"]),
    (lambda: chainrule.cross(chainrule.zeros(2, 3), chainrule.zeros(3), dim=-1),
     ["cross", "(2, 3)", "(3,)", "number of dims"]),
    (lambda: chainrule.cdist(chainrule.zeros(3, 4), chainrule.zeros(2, 5)),
     ["cdist", "(3, 4)", "(2, 5)"]),
    (lambda: chainrule.cdist(chainrule.zeros(3, 4), chainrule.zeros(2, 4), p=-1),
     ["cdist", "non-negative"]),
    (lambda: chainrule.tensordot(chainrule.zeros(3, 4), chainrule.zeros(2, 5), 1),
     ["tensordot", "(3, 4)", "(2, 5)"]),
    (lambda: chainrule.hypot(chainrule.tensor([1]), chainrule.tensor([2])),
     ["hypot", "int64"]),
    (lambda: chainrule.lerp(chainrule.zeros(2), chainrule.zeros(2, dtype=chainrule.float64), 0.5),
     ["lerp", "float32", "float64"]),
    (lambda: chainrule.dist(chainrule.zeros(3), chainrule.zeros(4)),
     ["dist", "(3,) and (4,)", "do not broadcast"]),
    (lambda: chainrule.lerp(chainrule.zeros(3), chainrule.zeros(4), 0.5),
     ["lerp", "do not broadcast", "(3,), (4,)"]),
    (lambda: chainrule.lerp(chainrule.zeros(3), chainrule.zeros(3), chainrule.zeros(2)),
     ["lerp", "do not broadcast", "(3,), (3,), (2,)"]),
])
def test_bad_input_is_refused_naming_the_op(call, words):
    with pytest.raises(RuntimeError) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_tensordot_with_mixed_dtypes_names_them():
    with pytest.raises(RuntimeError, match="same dtype"):   # torch refuses it too
        torch.tensordot(torch.ones(2, 2), torch.ones(2, 2).double())
    with pytest.raises(RuntimeError, match=r"tensordot: both inputs should have the same dtype, "
                                           r"got float32 and float64 \(shapes \(2, 2\) and"):
        chainrule.tensordot(chainrule.ones(2, 2), chainrule.ones(2, 2).double())
