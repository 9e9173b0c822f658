"""sort, argsort, msort, topk, kthvalue and unique: each op's cases, checked by the shared harness,
then named results, ties, NaN, unique's tuples and errors compared with torch directly."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks, check_error_names, distinct

ROWS = [((3, 4),), ((2, 3, 5),), ((5,),), ((1, 1),), ((0, 3),)]
NONEMPTY = [((3, 4),), ((2, 3, 5),), ((5,),), ((1, 1),)]
WITH_0D = ROWS + [((),)]


def few_values(rng, shape):
    """Small integers as floats: repeats, for unique."""
    return rng.integers(0, 3, shape).astype(float)


def ascending(a, axis=-1):
    return np.sort(a, axis) if a.ndim else a.copy()


def descending(a, axis):
    return np.flip(np.sort(a, axis), axis)


def order(a, axis=-1):
    return np.argsort(a, axis) if a.ndim else np.zeros((), np.int64)


CASES = [
    # values in sorted order: a gather, differentiable
    Case("sort", lambda L, x: L.sort(x).values, ascending, WITH_0D, make=distinct),
    Case("sort_dim0_descending", lambda L, x: x.sort(0, descending=True)[0],
         lambda a: descending(a, 0), ROWS, make=distinct),
    Case("sort_stable_keyword", lambda L, x: L.sort(x, dim=-1, stable=True).values,
         lambda a: np.sort(a, -1), NONEMPTY, make=distinct),
    # squared: the incoming gradient depends on x, so create_graph records the scatter too
    Case("sort_squared", lambda L, x: L.sort(x, dim=0).values ** 2, lambda a: np.sort(a, 0) ** 2,
         ROWS, make=distinct),
    Case("msort", lambda L, x: L.msort(x), lambda a: np.sort(a, 0), ROWS, make=distinct),
    Case("topk", lambda L, x: x.topk(1).values, lambda a: descending(a, -1)[..., :1], NONEMPTY,
         make=distinct),
    Case("topk_smallest_dim0", lambda L, x: L.topk(x, 2, dim=0, largest=False).values,
         lambda a: np.sort(a, 0)[:2], [((3, 4),), ((2, 3, 5),), ((4,),)], make=distinct),
    Case("topk_all", lambda L, x: L.topk(x, x.shape[-1], sorted=True)[0],
         lambda a: descending(a, -1), NONEMPTY, make=distinct),
    Case("topk_none", lambda L, x: L.topk(x, 0)[0], lambda a: a[..., :0], [((3, 4),)],
         make=distinct),
    Case("kthvalue", lambda L, x: x.kthvalue(1).values, lambda a: np.sort(a, -1)[..., 0],
         NONEMPTY, make=distinct),
    Case("kthvalue_dim0_keepdim", lambda L, x: L.kthvalue(x, 2, 0, keepdim=True).values,
         lambda a: np.sort(a, 0)[1:2], [((3, 4),), ((2, 3, 5),)], make=distinct),
    # indices and unique values: outside the graph
    Case("sort_indices", lambda L, x: x.sort(-1).indices, order, WITH_0D,
         make=distinct, differentiable=False),
    Case("argsort", lambda L, x: L.argsort(x), lambda a: np.argsort(a, -1), ROWS, make=distinct,
         differentiable=False),
    Case("argsort_descending_dim0", lambda L, x: x.argsort(dim=0, descending=True),
         lambda a: np.argsort(-a, 0), ROWS, make=distinct, differentiable=False),
    Case("topk_indices", lambda L, x: L.topk(x, 2).indices,
         lambda a: np.argsort(-a, -1)[..., :2], [((3, 4),), ((2, 3, 5),)], make=distinct,
         differentiable=False),
    Case("kthvalue_indices", lambda L, x: x.kthvalue(2, dim=0)[1],
         lambda a: np.argsort(a, 0)[1], [((3, 4),), ((2, 3, 5),)], make=distinct,
         differentiable=False),
    Case("unique", lambda L, x: L.unique(x), np.unique, WITH_0D, make=few_values,
         differentiable=False),
    Case("unique_inverse", lambda L, x: x.unique(return_inverse=True)[1],
         lambda a: np.unique(a, return_inverse=True)[1].reshape(a.shape), ROWS,
         make=few_values, differentiable=False),
    Case("unique_counts", lambda L, x: L.unique(x, return_counts=True)[1],
         lambda a: np.unique(a, return_counts=True)[1], ROWS, make=few_values,
         differentiable=False),
    Case("unique_rows", lambda L, x: L.unique(x, dim=0), lambda a: np.unique(a, axis=0),
         [((6, 2),), ((4, 1),)], make=few_values, differentiable=False),
]


class TestSort(OpChecks):
    cases = CASES


# ----- named results ------------------------------------------------------------------------------
TIED = [[1.0, 3.0, 3.0, 0.0, 3.0], [2.0, 2.0, 2.0, 5.0, float("nan")]]


@pytest.mark.parametrize("name, call", [
    ("sort", lambda L, x: L.sort(x, descending=True, stable=True)),
    ("sort", lambda L, x: x.sort(dim=0, stable=True)),
    ("sort", lambda L, x: L.sort(x, stable=True)),
    ("topk", lambda L, x: x[:1, :4].topk(2, largest=False)),     # torch's topk and kthvalue
    ("kthvalue", lambda L, x: L.kthvalue(x[:1], 2, dim=1, keepdim=True)),  # break ties freely
])
def test_results_are_named_pairs_as_torch(name, call):
    """Ties (stable sort: original order kept) and NaN (the largest value) as torch orders them."""
    ours, theirs = call(chainrule, chainrule.tensor(TIED)), call(torch, torch.tensor(TIED))
    values, indices = ours
    assert type(ours).__name__ == name and values is ours.values and indices is ours.indices
    np.testing.assert_array_equal(values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(indices.numpy(), theirs.indices.numpy())
    assert indices.dtype == chainrule.int64


def test_sort_with_ties_sends_each_gradient_to_its_source_as_torch():
    ours = chainrule.tensor(TIED[0], requires_grad=True)
    theirs = torch.tensor(TIED[0], requires_grad=True)
    weights = [1.0, 2.0, 3.0, 4.0, 5.0]
    (ours.sort(descending=True, stable=True).values * chainrule.tensor(weights)).sum().backward()
    (theirs.sort(descending=True, stable=True).values * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_0d_inputs_give_0d_results_as_torch():
    for call in (lambda L, x: L.sort(x), lambda L, x: L.topk(x, 1), lambda L, x: x.kthvalue(1)):
        values, indices = call(chainrule, chainrule.tensor(3.0))
        expected = call(torch, torch.tensor(3.0))
        assert values.shape == () and indices.shape == () == tuple(expected.indices.shape)
        assert values.item() == 3.0 and indices.item() == 0


@pytest.mark.parametrize("kwargs", [
    {}, {"return_inverse": True}, {"return_counts": True},
    {"return_inverse": True, "return_counts": True}, {"sorted": False, "return_counts": True},
    {"dim": 1, "return_inverse": True, "return_counts": True},
])
def test_unique_returns_what_torch_returns(kwargs):
    data = np.array([[3, 1, 3], [2, 1, 2], [3, 1, 3]])
    ours = chainrule.unique(chainrule.tensor(data), **kwargs)
    theirs = torch.unique(torch.tensor(data), **kwargs)
    if isinstance(theirs, torch.Tensor):
        ours, theirs = (ours,), (theirs,)
    assert isinstance(ours, tuple) and len(ours) == len(theirs)
    for mine, expected in zip(ours, theirs):
        assert str(mine.dtype) == str(expected.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(mine.numpy(), expected.numpy())


def test_unique_of_a_float_tensor_is_outside_the_graph():
    x = chainrule.tensor([2.0, 1.0, 2.0], requires_grad=True)
    assert x.unique().tolist() == [1.0, 2.0] and not x.unique().requires_grad


# ----- errors name the op, k and the shape --------------------------------------------------------
@pytest.mark.parametrize("call, error, words", [
    (lambda x: x.topk(5), RuntimeError, ["topk", "k = 5", "size 4", "(3, 4)"]),
    (lambda x: chainrule.topk(x, -1, dim=0), RuntimeError, ["topk", "k = -1", "size 3", "(3, 4)"]),
    (lambda x: x.kthvalue(0), RuntimeError, ["kthvalue", "k = 0", "(3, 4)"]),
    (lambda x: x.kthvalue(5), RuntimeError, ["kthvalue", "k = 5", "(3, 4)"]),
    (lambda x: x.sort(dim=2), IndexError, ["sort", "2", "(3, 4)"]),
    (lambda x: x.topk(1, dim=-3), IndexError, ["topk", "-3", "(3, 4)"]),
    (lambda x: chainrule.argsort(x, 5), IndexError, ["argsort", "5", "(3, 4)"]),
    (lambda x: x.unique(dim=2), IndexError, ["unique", "2", "(3, 4)"]),
    (lambda x: chainrule.sort(x.numpy()), TypeError, ["sort", "ndarray"]),
    (lambda x: chainrule.topk([1.0, 2.0], 1), TypeError, ["topk", "list"]),
])
def test_errors_name_op_and_shape(call, error, words):
    check_error_names(call, error, words)


@pytest.mark.parametrize("call", [lambda L, x: L.topk(x, 5), lambda L, x: x.kthvalue(0),
                                  lambda L, x: x.sort(dim=2)])
def test_refused_where_torch_refuses(call):
    with pytest.raises(Exception) as theirs:
        call(torch, torch.zeros(3, 4))
    with pytest.raises(type(theirs.value)):
        call(chainrule, chainrule.zeros(3, 4))


# ----- searchsorted and bucketize ----------------------------------------------------------------
def sorted_rows(rng, shape):
    """Ascending along the last dim, with a repeat: side='left' and 'right' differ there."""
    values = np.sort(rng.integers(0, 6, shape).astype(float), -1)
    return values


def np_searchsorted(sequence, values, side="left"):
    if sequence.ndim == 1:
        return np.searchsorted(sequence, values, side=side)
    return np.stack([np.searchsorted(s, v, side=side) for s, v in zip(sequence, values)])


SEARCH_CASES = [
    Case("searchsorted", lambda L, s, v: L.searchsorted(s, v), np_searchsorted,
         [((6,), (3, 4)), ((6,), ()), ((1,), (5,))], make=(sorted_rows, few_values),
         differentiable=False),
    Case("searchsorted_right", lambda L, s, v: L.searchsorted(s, v, right=True),
         lambda s, v: np_searchsorted(s, v, "right"), [((6,), (3, 4))],
         make=(sorted_rows, few_values), differentiable=False),
    Case("searchsorted_rows_side", lambda L, s, v: L.searchsorted(s, v, side="right"),
         lambda s, v: np_searchsorted(s, v, "right"), [((3, 6), (3, 4))],
         make=(sorted_rows, few_values), differentiable=False),
    Case("bucketize", lambda L, x, b: L.bucketize(x, b), lambda x, b: np.searchsorted(b, x),
         [((3, 4), (5,)), ((), (3,))], make=(few_values, sorted_rows), differentiable=False),
    Case("bucketize_right", lambda L, x, b: L.bucketize(x, b, right=True),
         lambda x, b: np.searchsorted(b, x, side="right"), [((3, 4), (5,))],
         make=(few_values, sorted_rows), differentiable=False),
]


class TestSearch(OpChecks):
    cases = SEARCH_CASES


def test_searchsorted_of_a_number_and_int32_and_sorter():
    sequence = [3.0, 1.0, 2.0]
    ours = chainrule.searchsorted(chainrule.tensor([1.0, 2.0, 3.0]), 2.5)
    assert ours.dtype == chainrule.int64 and ours.shape == () and ours.item() == 2
    ours = chainrule.searchsorted(chainrule.tensor([1.0, 2.0]), chainrule.tensor([1.5]),
                                  out_int32=True)
    assert ours.dtype == chainrule.int32
    ours = chainrule.searchsorted(chainrule.tensor(sequence), chainrule.tensor([2.0]),
                                  sorter=chainrule.argsort(chainrule.tensor(sequence)))
    theirs = torch.searchsorted(torch.tensor(sequence), torch.tensor([2.0]),
                                sorter=torch.argsort(torch.tensor(sequence)))
    assert ours.tolist() == theirs.tolist()
    assert chainrule.bucketize(2.0, chainrule.tensor([1.0, 2.0, 3.0]), right=True).item() == 2


@pytest.mark.parametrize("call, words", [
    (lambda: chainrule.searchsorted(chainrule.tensor([[1, 2]]), chainrule.tensor([[1], [2]])),
     ["searchsorted", "(1, 2)", "(2, 1)"]),
    (lambda: chainrule.searchsorted(chainrule.tensor([1, 2]), chainrule.tensor([1]), side="left",
                                    right=True), ["searchsorted", "opposites"]),
    (lambda: chainrule.searchsorted(chainrule.tensor([1, 2]), chainrule.tensor([1]), side="up"),
     ["searchsorted", "up"]),
    (lambda: chainrule.bucketize(chainrule.tensor([1]), chainrule.tensor([[1, 2]])),
     ["bucketize", "1-D", "(1, 2)"]),
])
def test_search_errors_name_the_op_and_shapes(call, words):
    with pytest.raises(RuntimeError) as info:
        call()
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("name", ["topk", "kthvalue"])
def test_a_float_k_is_refused_naming_the_op(name):
    with pytest.raises(TypeError):   # torch refuses it too
        getattr(torch.ones(5), name)(2.0)
    with pytest.raises(TypeError, match=rf"{name}: k must be an int, got 2.0"):
        getattr(chainrule.ones(5), name)(2.0)
