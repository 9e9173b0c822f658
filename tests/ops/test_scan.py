"""cumsum, cumprod, logcumsumexp, cummax and cummin: each op's cases, checked by the shared
harness, then zeros in cumprod, dtypes, ties and errors compared with torch directly."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks, distinct

SHAPES = [((3, 4),), ((2, 3, 5),), ((5,),), ((1, 1),), ((0, 3),)]
WITH_0D = SHAPES + [((),)]


def with_zeros(rng, shape):
    """Normal values with a zero or two in each row: cumprod's gradient must stay exact."""
    values = rng.standard_normal(shape)
    if values.size:
        values.reshape(-1)[:: 3] = 0.0
    return values


def spread(rng, shape):
    """Values far apart (-60 to 60): exp overflows float32, logcumsumexp must not."""
    return rng.uniform(-60.0, 60.0, shape)


def np_logcumsumexp(a, axis):
    return np.logaddexp.accumulate(a, axis) if a.ndim else a.copy()


def np_running(a, axis, accumulate):
    return accumulate(a, axis) if a.ndim else a.copy()


CASES = [
    Case("cumsum", lambda L, x: L.cumsum(x, 0), lambda a: np.cumsum(a, 0) if a.ndim else a,
         WITH_0D),
    Case("cumsum_last_method", lambda L, x: x.cumsum(-1), lambda a: np.cumsum(a, -1), SHAPES),
    Case("cumsum_squared", lambda L, x: L.cumsum(x, dim=1) ** 2, lambda a: np.cumsum(a, 1) ** 2,
         [((3, 4),), ((2, 3, 5),)]),
    Case("cumprod", lambda L, x: L.cumprod(x, -1), lambda a: np.cumprod(a, -1) if a.ndim else a,
         WITH_0D),
    Case("cumprod_dim0_method", lambda L, x: x.cumprod(dim=0), lambda a: np.cumprod(a, 0),
         SHAPES),
    Case("cumprod_with_zeros", lambda L, x: L.cumprod(x, 1), lambda a: np.cumprod(a, 1),
         [((3, 4),), ((2, 6, 2),), ((1, 5),)], make=with_zeros),
    Case("logcumsumexp", lambda L, x: L.logcumsumexp(x, -1), lambda a: np_logcumsumexp(a, -1),
         WITH_0D),
    Case("logcumsumexp_spread", lambda L, x: x.logcumsumexp(0), lambda a: np_logcumsumexp(a, 0),
         [((4, 3),), ((6,),)], make=spread, torch_rtol={"float32": 1e-5, "float64": 1e-9}),
    Case("cummax", lambda L, x: L.cummax(x, 1).values,
         lambda a: np.maximum.accumulate(a, 1), [((3, 4),), ((2, 3, 5),)], make=distinct),
    Case("cummin_method", lambda L, x: x.cummin(-1)[0],
         lambda a: np_running(a, -1, np.minimum.accumulate), WITH_0D, make=distinct),
    Case("cummax_indices", lambda L, x: L.cummax(x, 0).indices, None, SHAPES, make=distinct,
         differentiable=False),
    Case("cummin_indices", lambda L, x: L.cummin(x, -1).indices, None, WITH_0D, make=distinct,
         differentiable=False),
]


class TestScan(OpChecks):
    cases = CASES


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("values", [[1, 2, 3], [True, False, True]], ids=["int64", "bool"])
def test_integers_and_bools_give_int64(name, values):
    ours = getattr(chainrule, name)(chainrule.tensor(values), 0)
    theirs = getattr(torch, name)(torch.tensor(values), 0)
    assert str(ours.dtype) == "int64" == str(theirs.dtype).removeprefix("torch.")
    assert ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
def test_dtype_casts_first_and_keeps_the_gradient(name):
    x = chainrule.tensor([1.5, 2.0, -1.0], requires_grad=True)
    y = getattr(chainrule, name)(x, 0, dtype=chainrule.float64)
    assert y.dtype == chainrule.float64
    y.sum().backward()
    t = torch.tensor([1.5, 2.0, -1.0], requires_grad=True)
    getattr(torch, name)(t, 0, dtype=torch.float64).sum().backward()
    assert x.grad.dtype == chainrule.float32
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, 0.0, 5.0], [0.0, 0.0, 1.0], [0.0]])
def test_cumprod_gradient_at_zeros_matches_torch(values):
    x = chainrule.tensor(values, dtype=chainrule.float64, requires_grad=True)
    chainrule.cumprod(x, 0).sum().backward()
    t = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    torch.cumprod(t, 0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def test_cummax_ties_and_nan_take_the_index_torch_takes():
    values = [1.0, 3.0, 3.0, 2.0, float("nan"), 4.0, float("nan"), 0.0]
    for name in ("cummax", "cummin"):
        ours = getattr(chainrule, name)(chainrule.tensor(values), 0)
        theirs = getattr(torch, name)(torch.tensor(values), 0)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        assert ours.indices.tolist() == theirs.indices.tolist()
        assert str(ours.indices.dtype) == "int64"


def test_cummax_indices_match_torch():
    x = np.random.default_rng(0).integers(0, 3, (4, 6)).astype(np.float32)
    ours, theirs = chainrule.cummax(chainrule.tensor(x), 1), torch.cummax(torch.tensor(x), 1)
    assert ours.indices.tolist() == theirs.indices.tolist()


def test_cummax_gradient_with_repeated_indices_adds_up():
    x = chainrule.tensor([3.0, 1.0, 2.0], requires_grad=True)
    chainrule.cummax(x, 0).values.sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 0.0]


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "logcumsumexp", "cummax", "cummin"])
def test_a_bad_dim_is_refused_naming_the_op_and_shape(name):
    with pytest.raises(IndexError) as info:
        getattr(chainrule, name)(chainrule.zeros(3, 4), 2)
    assert name in str(info.value) and "(3, 4)" in str(info.value)


def test_logcumsumexp_of_integers_is_refused():
    with pytest.raises(RuntimeError, match="logcumsumexp.*int64"):
        chainrule.logcumsumexp(chainrule.tensor([1, 2]), 0)


# ----- diff ---------------------------------------------------------------------------------------
DIFF_CASES = [
    Case("diff", lambda L, x: L.diff(x), lambda a: np.diff(a), SHAPES[:4]),
    Case("diff_twice_dim0_method", lambda L, x: x.diff(2, 0), lambda a: np.diff(a, 2, 0),
         [((4, 3),), ((5, 2, 2),)]),
    Case("diff_prepend_append", lambda L, x, p, q: L.diff(x, dim=1, prepend=p, append=q),
         lambda a, p, q: np.diff(a, axis=1, prepend=p, append=q), [((3, 4), (3, 1), (3, 2))]),
    Case("diff_order_too_high", lambda L, x: L.diff(x, 5), lambda a: np.diff(a, 5),
         [((2, 3),)]),
]


class TestDiff(OpChecks):
    cases = DIFF_CASES


def test_diff_of_bools_is_xor_as_in_torch():
    values = [True, False, False, True]
    ours, theirs = chainrule.diff(chainrule.tensor(values)), torch.diff(torch.tensor(values))
    assert ours.dtype == chainrule.bool and ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("call, words", [
    (lambda: chainrule.diff(chainrule.zeros(3), n=-1), ["diff", "non-negative", "-1"]),
    (lambda: chainrule.diff(chainrule.tensor(1.0)), ["diff", "0-d"]),
])
def test_diff_errors_name_the_op(call, words):
    with pytest.raises(RuntimeError) as info:
        call()
    for word in words:
        assert word in str(info.value)
