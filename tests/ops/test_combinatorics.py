"""combinations, vander, unique_consecutive, ldexp, frexp, renorm, chain_matmul: cases against
NumPy and torch, then the integer results and errors."""
import itertools

import numpy as np
import pytest
import torch

import chainrule
from tests.ops.edges import matches_torch_at
from tests.ops.harness import Case, OpChecks, positive


def renorm_np(a, p, dim, maxnorm):
    others = tuple(d for d in range(a.ndim) if d != dim)
    norms = (np.abs(a) ** p).sum(others, keepdims=True) ** (1 / p)
    return a * np.where(norms > maxnorm, maxnorm / (norms + 1e-7), 1.0)


CASES = [
    Case("combinations", lambda L, x: L.combinations(x),
         lambda a: np.array(list(itertools.combinations(a, 2))), [((4,),), ((2,),)]),
    Case("combinations_replacement", lambda L, x: L.combinations(x, 3, with_replacement=True),
         lambda a: np.array(list(itertools.combinations_with_replacement(a, 3))), [((3,),)]),
    # torch's vander backward fails (its cumprod is modified in place): forward here, the
    # gradient by finite differences below
    Case("vander", lambda L, x: L.vander(x), np.vander, [((4,),)], differentiable=False),
    Case("vander_increasing", lambda L, x: L.vander(x, 3, increasing=True),
         lambda a: np.vander(a, 3, increasing=True), [((5,),)], differentiable=False),
    # torch's ldexp gradient computes 2 ** b in integers (0 for b < 0): b >= 0 here
    Case("ldexp", lambda L, x: L.ldexp(x, L.tensor([[1, 0, 3]])),
         lambda a: np.ldexp(a, np.array([[1, 0, 3]])), [((2, 3),)]),
    Case("frexp_mantissa", lambda L, x: L.frexp(x).mantissa * 1, lambda a: np.frexp(a)[0],
         [((2, 3),)], differentiable=False),
    Case("renorm", lambda L, x: L.renorm(x, 2, 0, 1.5), lambda a: renorm_np(a, 2, 0, 1.5),
         [((3, 4),)]),
    Case("renorm_p1", lambda L, x: x.renorm(1, 1, 2.0), lambda a: renorm_np(a, 1, 1, 2.0),
         [((3, 4),)], make=positive),
    Case("renorm_p3", lambda L, x: L.renorm(x, 3, 0, 1.0), lambda a: renorm_np(a, 3, 0, 1.0),
         [((3, 4),)]),
    Case("renorm_inf", lambda L, x: L.renorm(x, float("inf"), 1, 1.0), None, [((3, 4),)]),
    Case("chain_matmul", lambda L, a, b, c: L.chain_matmul(a, b, c), lambda a, b, c: a @ b @ c,
         [((2, 3), (3, 4), (4, 2))]),
]


class TestCombinatorics(OpChecks):
    cases = CASES


@pytest.mark.parametrize("p", [1, 2, 3, 0.5, float("inf")])
def test_renorm_of_a_zero_slice_has_torchs_gradient(p):
    """A slice left alone (a zero one among them) passes the gradient through, as torch's (the
    norm's pole gave NaN). Second derivatives are left out: at a zero slice torch's are NaN (its
    formula computes the norm's gradient there before discarding it), chainrule's 0."""
    matches_torch_at(lambda L, x: L.renorm(x, p, 0, 1.0),
                     [[0.0, 0.0, 0.0], [3.0, 4.0, -1.0], [0.1, -0.2, 0.0], [0.0, 0.5, 0.0]],
                     second=False)


def test_vander_gradients_by_finite_differences():
    x = chainrule.tensor(np.array([0.5, -1.2, 2.0, 0.3]), requires_grad=True)
    assert chainrule.autograd.gradcheck(lambda t: chainrule.vander(t, 4), [x])
    assert chainrule.autograd.gradgradcheck(lambda t: chainrule.vander(t, 3, True), [x])


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int16", "int32", "int64", "bool"])
@pytest.mark.parametrize("N", [None, 0, 2])
def test_vander_of_integers_and_bools_is_int64_as_torchs(dtype, N):
    values = [1, 0, 1] if dtype == "bool" else [1, 2, 3]
    expected = torch.vander(torch.tensor(values).to(getattr(torch, dtype)), N)
    got = chainrule.vander(chainrule.tensor(values).to(getattr(chainrule, dtype)), N)
    assert str(got.dtype) == str(expected.dtype).removeprefix("torch.")
    assert got.shape == expected.shape and got.tolist() == expected.tolist()


def test_ldexp_with_negative_exponents_matches_torch():
    a, b = np.array([1.5, -3.0, 0.25]), np.array([-2, 3, -1])
    ours = chainrule.ldexp(chainrule.tensor(a), chainrule.tensor(b))
    np.testing.assert_array_equal(ours.numpy(), torch.ldexp(torch.tensor(a),
                                                            torch.tensor(b)).numpy())


def test_unique_consecutive_matches_torch():
    data = np.array([1, 1, 2, 2, 3, 1, 1])
    ours = chainrule.unique_consecutive(chainrule.tensor(data), return_inverse=True,
                                        return_counts=True)
    theirs = torch.unique_consecutive(torch.tensor(data), return_inverse=True, return_counts=True)
    for o, t in zip(ours, theirs):
        assert str(o.dtype) == str(t.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(o.numpy(), t.numpy())
    rows = np.array([[1, 2], [1, 2], [3, 4], [1, 2]])
    np.testing.assert_array_equal(chainrule.tensor(rows).unique_consecutive(dim=0).numpy(),
                                  torch.tensor(rows).unique_consecutive(dim=0).numpy())


def test_frexp_matches_torch():
    data = np.array([8.0, -0.3, 0.0, 1e-3], dtype=np.float32)
    ours, theirs = chainrule.frexp(chainrule.tensor(data)), torch.frexp(torch.tensor(data))
    assert ours.exponent.dtype == chainrule.int32
    np.testing.assert_array_equal(ours.mantissa.numpy(), theirs.mantissa.numpy())
    np.testing.assert_array_equal(ours.exponent.numpy(), theirs.exponent.numpy())


def test_empty_combinations_match_torch():
    for r in (2, 3):
        ours = chainrule.combinations(chainrule.tensor([1.0, 2.0]), r)
        assert tuple(ours.shape) == tuple(torch.combinations(torch.tensor([1.0, 2.0]), r).shape)


@pytest.mark.parametrize("call, words", [
    (lambda x: chainrule.combinations(x), ["combinations", "1D", "(3, 4)"]),
    (lambda x: chainrule.vander(x), ["vander", "(3, 4)"]),
    (lambda x: chainrule.frexp(x.long()), ["frexp", "int64"]),
    (lambda x: chainrule.renorm(x[0], 2, 0, 1.0), ["renorm", "(4,)"]),
    (lambda x: chainrule.chain_matmul(x, x[0]), ["chain_matmul", "matrices[1]", "(4,)"]),
])
def test_errors_name_the_op(call, words):
    with pytest.raises((RuntimeError, TypeError)) as info:
        call(chainrule.zeros(3, 4))
    for word in words:
        assert word in str(info.value), str(info.value)
