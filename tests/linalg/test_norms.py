"""The norms (linalg/norms.py): linalg.vector_norm, matrix_norm, norm and cond, compared with
torch 2.13 by the op harness (forward, gradients, double backward), then their errors; and
torch.norm and Tensor.norm, deprecated in torch but everywhere in programs: every p, dim and
keepdim against torch, values and gradients."""
import math

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.ops.harness import Case, OpChecks, distinct
from tests.ops.matrices import well_conditioned

INF = math.inf
VECTOR_ORDS = [2, 1, 3, 0.5, INF, -INF, -1]
MATRIX_ORDS = ["fro", "nuc", 2, -2, 1, -1, INF, -INF]


def vector_case(ord):
    return Case(f"vector_norm_{ord}", lambda L, x: L.linalg.vector_norm(x, ord, dim=(0, 2)),
                None, [((3, 2, 4),)], make=distinct)


def matrix_case(ord):
    return Case(f"matrix_norm_{ord}", lambda L, x: L.linalg.matrix_norm(x, ord), None,
                [((3, 4),), ((2, 3, 3),)], make=distinct)


def some_zeros(rng, shape):
    """Rows of distinct values, the first with two 0s."""
    x = distinct(rng, shape)
    x[0, :2] = 0
    return x


def with_zeros(rng, shape):
    """As some_zeros, and the last row all 0."""
    x = some_zeros(rng, shape)
    x[-1] = 0
    return x


def vector_case_at_zeros(ord):
    """torch's gradient at 0: 0 where the norm is 0, and for ord < 1 also where x is 0. An all-0
    row is a kink of every norm (|x|-like), and |x|^ord is one where ord < 2: no finite
    differences of the gradient there (double=False)."""
    nan = "torch's second derivative is nan at a 0 entry for ord < 1 (inf · 0 in its backward)"
    return Case(f"vector_norm_{ord}_at_zeros", lambda L, x: L.linalg.vector_norm(x, ord, dim=1),
                None, [((3, 4),)], make=with_zeros, double=False,
                no_torch_double=nan if ord < 1 else "")


CASES = [vector_case(o) for o in VECTOR_ORDS] + [
    vector_case_at_zeros(o) for o in (3, 1.5, 0.5, -1)] + [
    Case("vector_norm_3_at_some_zeros", lambda L, x: L.linalg.vector_norm(x, 3, dim=1), None,
         [((3, 4),)], make=some_zeros)] + [
    vector_case(o) for o in (1.5, 4, -2.5)] + [matrix_case(o) for o in MATRIX_ORDS] + [
    Case("vector_norm_all", lambda L, x: L.linalg.vector_norm(x), None, [((3, 4),)]),
    Case("vector_norm_0", lambda L, x: L.linalg.vector_norm(x, 0, dim=1), None, [((3, 4),)],
         differentiable=False),
    Case("matrix_norm_dims_keepdim", lambda L, x: L.linalg.matrix_norm(
        x, "nuc", dim=(2, 0), keepdim=True), None, [((3, 2, 4),)]),
    Case("norm_vector", lambda L, x: L.linalg.norm(x, 3, dim=-1), None, [((2, 5),)],
         make=distinct),
    Case("norm_matrix", lambda L, x: L.linalg.norm(x, "nuc"), None, [((3, 4),)]),
    Case("norm_default", lambda L, x: L.linalg.norm(x), None, [((2, 3, 4),)]),
    Case("norm_ord_1d", lambda L, x: L.linalg.norm(x, INF), None, [((5,),)], make=distinct),
    Case("cond", lambda L, a: L.linalg.cond(a), lambda a: np.linalg.cond(a), [((3, 3),)],
         make=well_conditioned),
    Case("cond_rectangular", lambda L, a: L.linalg.cond(a), lambda a: np.linalg.cond(a),
         [((2, 3, 4),)]),
    # forward only: torch 2.13's own backward of cond(A, 1) fails (an in-place change in
    # LinalgInvEx); ours differentiates through matrix_norm and inv (gradchecked below)
    Case("cond_1", lambda L, a: L.linalg.cond(a, 1), lambda a: np.linalg.cond(a, 1),
         [((3, 3),)], make=well_conditioned, differentiable=False),
]


class TestNorms(OpChecks):
    cases = CASES


def test_norm_errors_name_the_function_and_the_input():
    with pytest.raises(RuntimeError, match="linalg.vector_norm.*int64"):
        cr.linalg.vector_norm(cr.arange(3))
    with pytest.raises(RuntimeError, match=r"linalg.matrix_norm.*\(3,\)"):
        cr.linalg.matrix_norm(cr.zeros(3))
    with pytest.raises(RuntimeError, match="linalg.matrix_norm.*order 3"):
        cr.linalg.matrix_norm(cr.zeros(3, 3), 3)
    with pytest.raises(RuntimeError, match=r"linalg.norm.*\(2, 3, 4\)"):
        cr.linalg.norm(cr.zeros(2, 3, 4), 1)


def test_cond_in_the_1_norm_is_differentiable():
    a = cr.tensor(well_conditioned(np.random.default_rng(4), (3, 3)), requires_grad=True)
    assert cr.autograd.gradcheck(lambda x: cr.linalg.cond(x, 1), [a])


# ----- torch.norm and Tensor.norm (legacy_norm) --------------------------------------------------
CALLS = [
    ((), {}), ((1,), {}), ((3,), {}), ((0.5,), {}), ((math.inf,), {}), ((-math.inf,), {}),
    ((0,), {}), ((1,), {"dim": 1}), ((2,), {"dim": 0, "keepdim": True}), (("fro",), {"dim": (0, 1)}),
    (("nuc",), {}), ((), {"p": 1, "dim": -1}), ((3,), {"dim": (0, 1)}),
]


@pytest.mark.parametrize("args, kwargs", CALLS, ids=[f"{a}-{k}" for a, k in CALLS])
def test_norm_matches_torch(args, kwargs):
    values = np.random.default_rng(0).normal(size=(3, 4))
    results = []
    for L in (torch, cr):
        x = L.tensor(values, requires_grad=True)
        out = L.norm(x, *args, **kwargs)
        if out.requires_grad:   # p = 0 counts: no gradient in torch either
            out.sum().backward()
        method = x.norm(*args, **kwargs)
        grad = np.zeros(0) if x.grad is None else x.grad.numpy()
        results.append((out.detach().numpy(), grad, method.detach().numpy()))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_a_bad_p_names_it():
    with pytest.raises(RuntimeError, match="norm: p must be a number, 'fro' or 'nuc', got 'max'"):
        cr.norm(cr.ones(2), "max")
