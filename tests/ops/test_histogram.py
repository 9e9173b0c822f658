"""bincount and histc: counts outside the graph, declared as non-differentiable cases, then
dtypes, minlength, ranges and errors compared with torch directly."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks


def counts_input(rng, shape):
    return rng.integers(0, 6, shape).astype(float)


def np_histc(a, bins, low, high):
    return np.histogram(a, bins, (low, high))[0].astype(float)


CASES = [
    Case("bincount", lambda L, x: L.bincount(x.long()),
         lambda a: np.bincount(a.astype(int)), [((10,),), ((1,),)], make=counts_input,
         differentiable=False),
    Case("bincount_weights_minlength_method",
         lambda L, x, w: x.long().bincount(weights=w, minlength=9),
         lambda a, w: np.bincount(a.astype(int), w, minlength=9), [((10,), (10,))],
         make=(counts_input, np.random.Generator.standard_normal), differentiable=False),
    Case("count_nonzero", lambda L, x: L.count_nonzero(x),
         lambda a: np.asarray(np.count_nonzero(a)), [((3, 4),), ((),), ((0, 2),)],
         make=counts_input, differentiable=False),
    Case("count_nonzero_dims_method", lambda L, x: x.count_nonzero(dim=(0, -1)),
         lambda a: np.count_nonzero(a, axis=(0, -1)), [((3, 4, 2),)], make=counts_input,
         differentiable=False),
    Case("histc", lambda L, x: L.histc(x, bins=5, min=-1, max=1),
         lambda a: np_histc(a, 5, -1, 1), [((20,),), ((4, 5),)], differentiable=False),
    Case("histc_own_range_method", lambda L, x: x.histc(7),
         lambda a: np_histc(a, 7, a.min(), a.max()), [((30,),)], differentiable=False),
    # one value so large that value ± 1 rounds back to it: torch puts it in the middle bin
    Case("histc_one_huge_value", lambda L, x: L.histc(x, bins=4),
         lambda a: np.array([0.0, 0.0, 1.0, 0.0]), [((1,),)],
         make=lambda rng, shape: np.full(shape, 1e30), differentiable=False),
    Case("histc_one_huge_negative_value", lambda L, x: L.histc(x, bins=5),
         lambda a: np.array([0.0, 0.0, 1.0, 0.0, 0.0]), [((1,),)],
         make=lambda rng, shape: np.full(shape, -1e30), differentiable=False),
]


class TestHistogram(OpChecks):
    cases = CASES


@pytest.mark.parametrize("weights", [None, [1.0, 2.0, 3.0], [1, 2, 3], "float64"])
def test_bincount_dtype_matches_torch(weights):
    values = [1, 4, 1]
    ours_w = theirs_w = None
    if weights == "float64":
        ours_w = chainrule.tensor([0.5, 1.0, 2.0], dtype=chainrule.float64)
        theirs_w = torch.tensor([0.5, 1.0, 2.0], dtype=torch.float64)
    elif weights is not None:
        ours_w, theirs_w = chainrule.tensor(weights), torch.tensor(weights)
    ours = chainrule.bincount(chainrule.tensor(values), ours_w)
    theirs = torch.bincount(torch.tensor(values), theirs_w)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert ours.tolist() == theirs.tolist()


def test_bincount_of_nothing_and_minlength():
    empty = chainrule.tensor([], dtype=chainrule.int64)
    assert chainrule.bincount(empty).tolist() == [] and chainrule.bincount(empty).dtype == "int64"
    assert chainrule.bincount(empty, minlength=3).tolist() == [0, 0, 0]


@pytest.mark.parametrize("values, bins, low, high", [
    ([1.0, 2.0, 1.0, 5.0], 4, 0, 3), ([2.0, 2.0], 4, 0, 0), ([0.0, 1.0, 1.0], 2, 0, 1),
    ([], 3, 0, 0), ([-3.0, 0.5, 9.0], 3, -1, 1), ([1e30, 1e30], 7, 0, 0), ([1e16], 2, 0, 0),
    ([-1e30], 3, -1e30, -1e30), ([3e7, 3e7], 4, 0, 0)])
def test_histc_matches_torch(values, bins, low, high):
    ours = chainrule.histc(chainrule.tensor(values), bins, low, high)
    theirs = torch.histc(torch.tensor(values), bins, low, high)
    assert ours.dtype == chainrule.float32 and ours.tolist() == theirs.tolist()


@pytest.mark.parametrize("call, error, words", [
    (lambda: chainrule.bincount(chainrule.tensor([-1, 2])), RuntimeError,
     ["bincount", "non-negative", "-1"]),
    (lambda: chainrule.bincount(chainrule.tensor([[1]])), RuntimeError, ["bincount", "(1, 1)"]),
    (lambda: chainrule.bincount(chainrule.tensor([1.0])), NotImplementedError,
     ["bincount", "float32"]),
    (lambda: chainrule.bincount(chainrule.tensor([1]), minlength=-1), RuntimeError,
     ["bincount", "minlength", "-1"]),
    (lambda: chainrule.bincount(chainrule.tensor([1, 2]), chainrule.tensor([1.0])), RuntimeError,
     ["bincount", "weights", "(2,)", "(1,)"]),
    (lambda: chainrule.histc(chainrule.tensor([1.0]), bins=0), RuntimeError, ["histc", "bins"]),
    (lambda: chainrule.histc(chainrule.tensor([1.0]), min=2, max=1), RuntimeError,
     ["histc", "max must be larger than min"]),
    (lambda: chainrule.histc(chainrule.tensor([1, 2])), NotImplementedError, ["histc", "int64"]),
    (lambda: chainrule.histc(chainrule.tensor([1.0, float("inf")])), RuntimeError,
     ["histc", "range of [1, inf] is not finite", "(2,)"]),
    (lambda: chainrule.histc(chainrule.tensor([1.0]), min=0, max=float("inf")), RuntimeError,
     ["histc", "range of [0, inf] is not finite"]),
])
def test_bad_input_is_refused_naming_the_op(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)
