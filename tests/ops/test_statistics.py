"""Order statistics and moments (median, mode, quantile, nansum, var_mean, cov ...): cases against
NumPy and torch, then NaN handling, index results, dtypes and errors."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.edges import matches_torch_at
from tests.ops.harness import Case, OpChecks, distinct, normal, positive


def lower_median(a, axis=None):
    """torch's median: the lower of the two middle values."""
    if axis is None:
        a, axis = a.reshape(-1), 0
    n = a.shape[axis]
    return np.take(np.sort(a, axis), (n - 1) // 2, axis)


def with_nans(rng, shape):
    a = distinct(rng, shape)
    a.reshape(-1)[::3] = np.nan
    return a


def cov_np(a, **kwargs):
    return np.cov(a, **kwargs)


CASES = [
    Case("median", lambda L, x: L.median(x), lower_median, [((3, 4),), ((5,),), ((),)],
         make=distinct),
    Case("median_dim", lambda L, x: x.median(1).values, lambda a: lower_median(a, 1),
         [((3, 4),), ((2, 5),)], make=distinct),
    Case("median_keepdim", lambda L, x: L.median(x, 0, keepdim=True)[0],
         lambda a: lower_median(a, 0)[None], [((4, 3),)], make=distinct),
    Case("nanmedian", lambda L, x: L.nanmedian(L.where(x > 1.5, x * 0 + float("nan"), x), 1)[0],
         lambda a: lower_median(np.where(a > 1.5, np.inf, a), 1), [((3, 5),)], make=distinct),
    Case("mode", lambda L, x: L.mode(x.round(), 1).values * x.sum(),
         lambda a: np.array([np.unique(r, return_counts=True)[0][np.argmax(
             np.unique(r, return_counts=True)[1])] for r in np.round(a)]) * a.sum(),
         [((3, 6),)], make=lambda rng, shape: rng.integers(0, 3, shape) + 0.3),
    Case("quantile", lambda L, x: L.quantile(x, 0.3), lambda a: np.quantile(a, 0.3),
         [((3, 4),), ((7,),)], make=distinct),
    Case("quantile_dim", lambda L, x: x.quantile(L.tensor([0.25, 0.5, 1.0], dtype=x.dtype), 1),
         lambda a: np.quantile(a, [0.25, 0.5, 1.0], 1), [((3, 5),)], make=distinct),
    Case("quantile_keepdim", lambda L, x: L.quantile(x, L.tensor([0.1, 0.9], dtype=x.dtype), 0,
                                                     keepdim=True),
         lambda a: np.quantile(a, [0.1, 0.9], 0, keepdims=True), [((4, 3),)], make=distinct),
    *[Case(f"quantile_{how}", lambda L, x, how=how: L.quantile(x, 0.4, 1, interpolation=how),
           lambda a, how=how: np.quantile(a, 0.4, 1, method=how), [((3, 6),)], make=distinct)
      for how in ("lower", "higher", "midpoint", "nearest")],
    Case("nanquantile", lambda L, x: L.nanquantile(
        L.where(x > 1.0, x * 0 + float("nan"), x), 0.7, 1),
        lambda a: np.nanquantile(np.where(a > 1.0, np.nan, a), 0.7, 1), [((3, 6),)],
        make=distinct),
    Case("nansum", lambda L, x: L.nansum(x.log(), 1), lambda a: np.nansum(np.log(a), 1),
         [((3, 4),)], make=distinct),
    Case("nansum_all", lambda L, x: x.log().nansum(), lambda a: np.nansum(np.log(a)),
         [((3, 4),)], make=distinct),
    # NaNs made by where: nanmean passes dy · 0 into a NaN entry, as torch's (NaN where dy is
    # inf, as in an all-NaN slice: test below), and where stops it before it reaches x
    Case("nanmean", lambda L, x: L.nanmean(L.where(x > 1.0, x * 0 + float("nan"), x), 0,
                                           keepdim=True),
         lambda a: np.nanmean(np.where(a > 1.0, np.nan, a), 0, keepdims=True), [((3, 4),)],
         make=distinct),
    Case("aminmax", lambda L, x: L.aminmax(x, dim=1).min * L.aminmax(x).max,
         lambda a: a.min(1) * a.max(), [((3, 4),)], make=distinct),
    Case("var_mean", lambda L, x: L.var_mean(x, 1)[0] + L.var_mean(x, 1)[1],
         lambda a: a.var(1, ddof=1) + a.mean(1), [((3, 4),)]),
    Case("var_mean_correction", lambda L, x: sum(L.var_mean(x, 0, correction=0, keepdim=True)),
         lambda a: a.var(0, keepdims=True) + a.mean(0, keepdims=True), [((3, 4),)]),
    Case("std_mean", lambda L, x: L.std_mean(x, unbiased=False)[0] * L.std_mean(x)[1],
         lambda a: a.std() * a.mean(), [((3, 4),)]),
    Case("cov", lambda L, x: L.cov(x), cov_np, [((3, 5),), ((6,),)]),
    Case("cov_correction", lambda L, x: x.cov(correction=0), lambda a: np.cov(a, bias=True),
         [((2, 5),)]),
    Case("cov_weights", lambda L, x, w: L.cov(x, fweights=L.tensor(np.array([1, 2, 3, 1])),
                                              aweights=w),
         lambda a, w: np.cov(a, fweights=[1, 2, 3, 1], aweights=w), [((3, 4), (4,))],
         make=(normal, positive)),
    Case("corrcoef", lambda L, x: L.corrcoef(x), np.corrcoef, [((3, 5),)]),
]


class TestStatistics(OpChecks):
    cases = CASES


def test_median_indices_match_torch():
    data = np.array([[3.0, 1.0, 2.0, 2.0], [5.0, np.nan, 4.0, 1.0]])
    for name in ("median", "nanmedian"):
        ours = getattr(chainrule, name)(chainrule.tensor(data), 1)
        theirs = getattr(torch, name)(torch.tensor(data), 1)
        np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
        assert ours.indices.dtype == chainrule.int64
    assert np.isnan(chainrule.median(chainrule.tensor(data)).item())
    assert chainrule.nanmedian(chainrule.tensor(data)).item() == torch.nanmedian(
        torch.tensor(data)).item()


def test_mode_matches_torch():
    data = np.array([[1.0, 2, 2, 3, 3, 1], [5, 5, 4, 4, 0, 0], [7, 7, 7, 1, 1, 2]])
    ours, theirs = chainrule.tensor(data).mode(1), torch.tensor(data).mode(1)
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


def test_integer_inputs_match_torch():
    data = np.array([[3, 1, 2], [4, 0, 9]])
    for name in ("median", "nansum", "aminmax"):
        ours, theirs = getattr(chainrule, name)(chainrule.tensor(data)), \
            getattr(torch, name)(torch.tensor(data))
        ours = ours if isinstance(ours, tuple) else (ours,)
        theirs = theirs if isinstance(theirs, tuple) else (theirs,)
        for o, t in zip(ours, theirs):
            assert str(o.dtype) == str(t.dtype).removeprefix("torch."), name
            np.testing.assert_array_equal(o.numpy(), t.numpy())


@pytest.mark.parametrize("name, fn", [
    ("nanmean", lambda L, x: L.nanmean(x, 1)), ("nanmean_all", lambda L, x: L.nanmean(x[0])),
    ("nansum", lambda L, x: L.nansum(x, 1)),
    ("nansum_over_0", lambda L, x: L.nansum(x, 1) / 0.0)])
def test_nan_reductions_of_all_nan_slices_match_torch(name, fn):
    """nanmean of an all-NaN slice is NaN, and so is its gradient (dy / 0 · 0, torch's); a NaN
    entry gets dy · 0 from nansum, NaN when dy is inf."""
    matches_torch_at(fn, [[np.nan, np.nan, np.nan], [1.0, np.nan, 2.0]])


def test_quantile_of_a_row_with_nan_is_nan():
    data = chainrule.tensor([[1.0, np.nan, 3.0], [1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(np.isnan(chainrule.quantile(data, 0.5, 1).numpy()),
                                  [True, False])
    np.testing.assert_allclose(chainrule.nanquantile(data, 0.5, 1).numpy(), [2.0, 2.0])


@pytest.mark.parametrize("call, words", [
    (lambda x: x.quantile(1.5), ["quantile", "[0, 1]"]),
    (lambda x: x.long().quantile(0.5), ["quantile", "int64"]),
    (lambda x: x.quantile(0.5, interpolation="cubic"), ["quantile", "cubic"]),
    (lambda x: x.quantile(chainrule.tensor([0.5]).double()), ["quantile", "float64"]),
    (lambda x: x.median(2), ["median", "(3, 4)"]),
    (lambda x: x.long().nanmean(), ["nanmean", "int64"]),
    (lambda x: chainrule.cov(x[None]), ["cov", "3 dimensions"]),
    (lambda x: chainrule.cov(x, fweights=chainrule.ones(3)), ["cov", "fweights", "4"]),
])
def test_errors_name_the_op(call, words):
    with pytest.raises((RuntimeError, IndexError, TypeError, ValueError)) as info:
        call(chainrule.zeros(3, 4))
    for word in words:
        assert word in str(info.value), str(info.value)


@pytest.mark.parametrize("call, error, words", [
    (lambda x: x.quantile([0.1, 0.5]), TypeError, ["quantile", "list"]),
    (lambda x: chainrule.zeros(0).mode(), IndexError, ["mode", "non-zero"]),
    (lambda x: x.median("a"), TypeError, ["median"]),
])
def test_refused_as_torch_refuses(call, error, words):
    with pytest.raises(error) as info:
        call(chainrule.zeros(3, 4))
    for word in words:
        assert word in str(info.value), str(info.value)
