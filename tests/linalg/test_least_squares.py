"""linalg.lstsq and linalg.vander (linalg/least_squares.py) against torch 2.13: the op harness
(forward, gradients, double backward) on their cases, then lstsq's four results for every driver,
the shapes, dtypes and drivers it refuses, and vander's dtypes, edge shapes and errors."""
import re

import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks

CASES = [
    Case("lstsq", lambda L, a, b: L.linalg.lstsq(a, b).solution,
         lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0], [((5, 3), (5, 2))]),
    # a B with one dimension fewer than A is a (batch of) vector(s): X has no column dimension
    Case("lstsq_vector", lambda L, a, b: L.linalg.lstsq(a, b).solution,
         lambda a, b: np.linalg.lstsq(a, b, rcond=None)[0], [((5, 3), (5,)), ((3, 5), (3,))]),
    Case("lstsq_batched", lambda L, a, b: L.linalg.lstsq(a, b).solution,
         lambda a, b: np.squeeze(np.linalg.pinv(a) @ b[..., None], -1), [((2, 5, 3), (2, 5))]),
    Case("lstsq_broadcast", lambda L, a, b: L.linalg.lstsq(a, b).solution,
         lambda a, b: np.linalg.pinv(a) @ b, [((1, 5, 3), (2, 5, 2))]),
    Case("lstsq_residuals", lambda L, a, b: L.linalg.lstsq(a, b, driver="gelsd").residuals,
         lambda a, b: np.linalg.lstsq(a, b, rcond=None)[1], [((5, 3), (5,)), ((5, 3), (5, 2))]),
    Case("linalg_vander", lambda L, x: L.linalg.vander(x),
         lambda a: np.vander(a, increasing=True), [((4,),)]),
    Case("linalg_vander_batched", lambda L, x: L.linalg.vander(x, N=3),
         lambda a: a[..., None] ** np.arange(3), [((2, 4),), ((2, 1, 3),)]),
]


class TestLeastSquares(OpChecks):
    cases = CASES


@pytest.mark.parametrize("b_shape", [(4, 1), (4,)])
def test_lstsq_with_b_of_the_wrong_rows_names_both_shapes(b_shape):
    with pytest.raises(RuntimeError):   # torch refuses it too
        torch.linalg.lstsq(torch.ones(3, 2), torch.ones(*b_shape))
    with pytest.raises(RuntimeError, match=rf"linalg.lstsq: A of shape \(3, 2\) and B of shape "
                                           rf"{re.escape(str(b_shape))} do not fit A X = B"):
        chainrule.linalg.lstsq(chainrule.ones(3, 2), chainrule.ones(*b_shape))


# ----- lstsq: torch's shapes for every driver, and the shapes it refuses -------------------------
LSTSQ_SHAPES = [((5, 3), (5,)), ((5, 3), (5, 2)), ((3, 5), (3,)), ((3, 3), (3,)),
                ((2, 5, 3), (2, 5)), ((2, 5, 3), (1, 5, 2)), ((1, 5, 3), (2, 5, 2)),
                ((0, 3), (0,)), ((5, 0), (5,))]


def lstsq_both(a_shape, b_shape, driver, make_a=None, torch_driver=None):
    """lstsq of the same float64 A and B by chainrule and by torch (with torch_driver if given)."""
    rng = np.random.default_rng(0)
    a = make_a(rng) if make_a else rng.standard_normal(a_shape)
    b = rng.standard_normal(b_shape)
    ours = chainrule.linalg.lstsq(chainrule.tensor(a), chainrule.tensor(b), driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=torch_driver or driver)
    return ours, theirs


def assert_results_equal(ours, theirs, *fields):
    for field in fields or ours._fields:
        x, t = getattr(ours, field), getattr(theirs, field)
        assert tuple(x.shape) == tuple(t.shape), f"{field}: shape {x.shape} != {tuple(t.shape)}"
        assert str(x.dtype) == str(t.dtype).removeprefix("torch."), f"{field}: dtype"
        np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-10, atol=1e-10, err_msg=field)


@pytest.mark.parametrize("driver", [None, "gelsy", "gelsd", "gelss", "gels"])
@pytest.mark.parametrize("a_shape, b_shape", LSTSQ_SHAPES)
def test_lstsq_returns_torchs_four_results(a_shape, b_shape, driver):
    # residuals only for m > n and never from gelsy; rank from all but gels; singular values from
    # gelsd and gelss; rank and singular values follow A's own batch dims, not the broadcast ones
    if driver == "gels" and a_shape[-1] == 0:
        pytest.skip("LAPACK's gels zeroes B when A has no columns, so torch's residuals are 0 "
                    "there; chainrule's are ‖B‖², as gelsd's")
    ours, theirs = lstsq_both(a_shape, b_shape, driver)
    assert ours._fields == ("solution", "residuals", "rank", "singular_values")
    assert_results_equal(ours, theirs)


def rank_deficient(rng):
    a = rng.standard_normal((2, 5, 3))
    a[0] = rng.standard_normal((5, 2)) @ rng.standard_normal((2, 3))
    return a


# torch's gelsy (its default) reads LAPACK's pivot array uninitialised, so on a rank-deficient A its
# rank and solution change from run to run (pytorch/pytorch#71222, #187411): there, torch's gelsd
# is the reference; it truncates by singular values, the definition chainrule's default computes
@pytest.mark.parametrize("driver, torch_driver", [(None, "gelsd"), ("gelsd", None),
                                                  ("gelss", None)])
def test_lstsq_of_a_rank_deficient_batch_has_no_residuals_as_in_torch(driver, torch_driver):
    # gels is left out: it assumes full rank, and its answer for this A is not the least-norm one
    ours, theirs = lstsq_both((2, 5, 3), (2, 5), driver, rank_deficient, torch_driver)
    for field in ("solution", "residuals", "rank"):
        assert_results_equal(ours, theirs, field)
    assert tuple(ours.rank.tolist()) == (2, 3)


@pytest.mark.parametrize("driver", [None, "gelsd"])
@pytest.mark.parametrize("rcond", [None, 1e-2, 1e-6])
def test_lstsq_rcond_drops_small_singular_values_as_torch(rcond, driver):
    a, b = np.diag([1.0, 1e-3, 1e-9]), np.ones(3)
    ours = chainrule.linalg.lstsq(chainrule.tensor(a), chainrule.tensor(b), rcond, driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), rcond, driver="gelsd")
    np.testing.assert_allclose(ours.solution.numpy(), theirs.solution.numpy(), rtol=1e-6)
    assert int(ours.rank) == int(theirs.rank) == {None: 3, 1e-2: 1, 1e-6: 2}[rcond]


def test_lstsq_of_a_vector_has_gradients_by_finite_differences():
    rng = np.random.default_rng(3)
    a = chainrule.tensor(rng.standard_normal((2, 4, 3)), requires_grad=True)
    b = chainrule.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    solution = lambda a, b: chainrule.linalg.lstsq(a, b).solution
    assert chainrule.autograd.gradcheck(solution, [a, b])
    assert chainrule.autograd.gradgradcheck(solution, [a, b])


@pytest.mark.parametrize("a_shape, b_shape, reason", [
    ((5,), (5,), "A needs at least 2 dimensions"),
    ((5, 3), (), "B needs at least 1 dimension"),
    ((2, 5, 3), (5,), "B needs as many dimensions as A, or one fewer"),
    ((5, 3), (2, 5, 2), "B needs as many dimensions as A, or one fewer"),
    ((5, 3), (2, 5), "B needs A's 5 rows"),
    ((2, 5, 3), (3, 5), (r"a B with one dimension fewer than A is a \(batch of\) vector\(s\) "
                         r"of shape \(2, 5\)")),
    ((2, 5, 3), (1, 5), r"a B .* vector\(s\) of shape \(2, 5\)"),
    ((2, 5, 3), (3, 5, 2), r"their batch dimensions \(2,\) and \(3,\) do not broadcast"),
])
def test_lstsq_refuses_the_shapes_torch_refuses(a_shape, b_shape, reason):
    with pytest.raises(RuntimeError):
        torch.linalg.lstsq(torch.ones(a_shape), torch.ones(b_shape))
    message = (rf"linalg.lstsq: A of shape {re.escape(str(a_shape))} and B of shape "
               rf"{re.escape(str(b_shape))} do not fit A X = B: {reason}")
    with pytest.raises(RuntimeError, match=message):
        chainrule.linalg.lstsq(chainrule.ones(*a_shape), chainrule.ones(*b_shape))


@pytest.mark.parametrize("call, message", [
    (lambda L: L.linalg.lstsq(L.ones(5, 3), L.ones(5, dtype=L.float64)),
     "linalg.lstsq: expected A and B to have the same dtype, but got float32 and float64"),
    (lambda L: L.linalg.lstsq(L.ones(5, 3, dtype=L.int64), L.ones(5, dtype=L.int64)),
     "linalg.lstsq: expected float32 or float64 tensors, got int64"),
    (lambda L: L.linalg.lstsq(L.ones(5, 3, dtype=L.float16), L.ones(5, dtype=L.float16)),
     "linalg.lstsq: expected float32 or float64 tensors, got float16"),
    (lambda L: L.linalg.lstsq(L.ones(5, 3), L.ones(5), driver="qr"),
     r"linalg.lstsq: driver must be one of \(gels, gelsy, gelsd, gelss\), got 'qr'"),
])
def test_lstsq_refuses_dtypes_and_drivers_torch_refuses(call, message):
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError, match=message):
        call(chainrule)


# ----- linalg.vander: increasing powers of (batches of) vectors, torch's dtypes and errors --------
@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64", "float32",
                                   "float64"])
def test_linalg_vander_has_torchs_dtype_and_values(dtype):
    data = [[0, 1, 2], [3, 1, 2]]
    ours = chainrule.linalg.vander(chainrule.tensor(data).to(getattr(chainrule, dtype)), N=4)
    theirs = torch.linalg.vander(torch.tensor(data).to(getattr(torch, dtype)), N=4)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_linalg_vander_gradient_at_zero_matches_torch():
    # the powers are running products, so x = 0 has the exact gradient 1 + 2x + 3x² ... = 1
    data = np.array([0.0, -1.5, 2.0])
    x = chainrule.tensor(data, requires_grad=True)
    assert chainrule.autograd.gradcheck(lambda t: chainrule.linalg.vander(t, N=4), [x])
    chainrule.linalg.vander(x, N=4).sum().backward()
    t = torch.tensor(data, requires_grad=True)
    torch.linalg.vander(t, N=4).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape, N, expected", [((), 3, (1, 3)), ((0,), 2, (0, 2)),
                                                ((2, 0), 3, (2, 0, 3))])
def test_linalg_vander_of_scalars_and_empty_vectors_has_torchs_shape(shape, N, expected):
    assert tuple(torch.linalg.vander(torch.ones(shape), N=N).shape) == expected
    assert tuple(chainrule.linalg.vander(chainrule.ones(*shape), N=N).shape) == expected


@pytest.mark.parametrize("call, error, message", [
    (lambda L: L.linalg.vander(L.ones(3), N=1), RuntimeError,
     "linalg.vander: N must be greater than 1, got 1"),
    (lambda L: L.linalg.vander(L.ones(3), N=-2), RuntimeError,
     "linalg.vander: N must be greater than 1, got -2"),
    (lambda L: L.linalg.vander(L.ones(1)), RuntimeError,
     "linalg.vander: N must be greater than 1, got 1"),
    (lambda L: L.linalg.vander(L.ones(0)), RuntimeError,
     "linalg.vander: N must be greater than 1, got 0"),
    (lambda L: L.linalg.vander(L.ones(3), N=2.0), TypeError,
     "linalg.vander: N must be an int, got float"),
    (lambda L: L.linalg.vander(L.ones(3), 2), TypeError, "positional"),
    (lambda L: L.linalg.vander(L.tensor([True, False])), RuntimeError,
     "linalg.vander supports float32, float64 and integer tensors, but got bool"),
    (lambda L: L.linalg.vander(L.ones(3, dtype=L.float16)), RuntimeError,
     "linalg.vander supports float32, float64 and integer tensors, but got float16"),
])
def test_linalg_vander_refuses_what_torch_refuses(call, error, message):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error, match=re.escape(message) if error is RuntimeError else message):
        call(chainrule)
