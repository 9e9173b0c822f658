"""Scatters and selections (scatter, scatter_reduce, index_copy, index_fill, put, masked_select,
masked_scatter, take, take_along_dim, isin): cases against NumPy and torch, then dtypes and errors.

Index tensors are built inside each case with L.tensor(numpy array), so one fn runs on both."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks, distinct

ROWS = np.array([[0, 1, 2, 0], [2, 0, 0, 1]])           # distinct per column: no write clashes
CLASH = np.array([[0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 1, 1]])   # repeats, for the reductions


def grid(index, dim):
    g = list(np.indices(index.shape, sparse=True))
    g[dim] = index
    return tuple(g)


def scatter_np(a, dim, index, src):
    out = a.copy()
    out[grid(index, dim)] = src[tuple(slice(0, n) for n in index.shape)]
    return out

def reduce_np(a, dim, index, src, how, include_self=True):
    out = a.copy()
    g = grid(index, dim)
    src = src[tuple(slice(0, n) for n in index.shape)]
    hit = np.zeros(a.shape, bool)
    hit[g] = True
    if not include_self:
        out[hit] = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}[how]
    ufunc = {"sum": np.add, "mean": np.add, "prod": np.multiply, "amax": np.maximum,
             "amin": np.minimum}[how]
    ufunc.at(out, g, src)
    if how == "mean":
        count = np.zeros(a.shape) + (1 if include_self else 0)
        np.add.at(count, g, 1)
        out = out / np.maximum(count, 1)
    return out


def reduce_case(how, include_self, double=True):
    return Case(f"scatter_reduce_{how}_{include_self}",
                lambda L, x, s: L.scatter_reduce(x, 0, L.tensor(CLASH), s, how,
                                                 include_self=include_self),
                lambda x, s: reduce_np(x, 0, CLASH, s, how, include_self),
                [((2, 4), (3, 4))], make=(distinct, shifted), double=double)


def shifted(rng, shape):
    """distinct values that differ from distinct()'s too: no ties between input and src."""
    return distinct(rng, shape) + 0.05


def masked(shape):
    return np.arange(int(np.prod(shape))).reshape(shape) % 3 == 1


CASES = [
    Case("scatter_src", lambda L, x, s: L.scatter(x, 0, L.tensor(ROWS), s),
         lambda x, s: scatter_np(x, 0, ROWS, s), [((3, 4), (2, 4)), ((3, 5), (2, 4))]),
    Case("scatter_dim1", lambda L, x, s: x.scatter(1, L.tensor(ROWS.T[:, :2] % 3), s),
         lambda x, s: scatter_np(x, 1, ROWS.T[:, :2] % 3, s), [((4, 3), (4, 2))]),
    Case("scatter_value", lambda L, x: x.scatter(0, L.tensor(ROWS), 2.5),
         lambda x: scatter_np(x, 0, ROWS, np.full(ROWS.shape, 2.5)), [((3, 4),)]),
    Case("scatter_reduce_add", lambda L, x, s: x.scatter(0, L.tensor(CLASH), s, reduce="add"),
         lambda x, s: reduce_np(x, 0, CLASH, s, "sum"), [((2, 4), (3, 4))],
         differentiable=False),   # torch: "derivative for aten::scatter is not implemented"
    reduce_case("sum", True), reduce_case("sum", False), reduce_case("mean", True),
    reduce_case("mean", False), reduce_case("amax", True), reduce_case("amax", False),
    reduce_case("amin", True), reduce_case("prod", True), reduce_case("prod", False),
    Case("index_copy", lambda L, x, s: x.index_copy(1, L.tensor([2, 0]), s),
         lambda x, s: (lambda o: (o.__setitem__((slice(None), [2, 0]), s), o)[1])(x.copy()),
         [((3, 4), (3, 2))]),
    Case("index_fill", lambda L, x: L.index_fill(x, 0, L.tensor([1]), -1.0),
         lambda x: (lambda o: (o.__setitem__(1, -1.0), o)[1])(x.copy()), [((3, 4),)]),
    Case("index_reduce_prod", lambda L, x, s: x.index_reduce(0, L.tensor([1, 0, 1]), s, "prod"),
         lambda x, s: reduce_np(x, 0, np.array([[1] * 4, [0] * 4, [1] * 4]), s, "prod"),
         [((2, 4), (3, 4))], make=(distinct, shifted)),
    Case("index_reduce_amax", lambda L, x, s: L.index_reduce(x, 1, L.tensor([2, 2]), s, "amax",
                                                             include_self=False),
         lambda x, s: reduce_np(x, 1, np.array([[2, 2]] * 3), s, "amax", False),
         [((3, 4), (3, 2))], make=(distinct, shifted)),
    Case("index_reduce_mean", lambda L, x, s: x.index_reduce(0, L.tensor([0, 0, 1]), s, "mean"),
         lambda x, s: reduce_np(x, 0, np.array([[0] * 4, [0] * 4, [1] * 4]), s, "mean"),
         [((2, 4), (3, 4))]),
    Case("put", lambda L, x, s: x.put(L.tensor([[0, 5], [7, 2]]), s),
         lambda x, s: (lambda o: (o.reshape(-1).__setitem__([0, 5, 7, 2], s.reshape(-1)), o)[1])(
             x.copy()), [((3, 4), (2, 2))]),
    Case("put_accumulate", lambda L, x, s: x.put(L.tensor([1, 1, -1]), s, accumulate=True),
         lambda x, s: (lambda o: (np.add.at(o.reshape(-1), [1, 1, -1], s), o)[1])(x.copy()),
         [((3, 4), (3,))]),
    Case("masked_select", lambda L, x: L.masked_select(x, L.tensor(masked((3, 4)))),
         lambda x: x[masked((3, 4))], [((3, 4),)]),
    Case("masked_select_broadcast", lambda L, x: x.masked_select(L.tensor(masked((2, 1, 4)))),
         lambda x: np.broadcast_to(x, (2, 3, 4))[np.broadcast_to(masked((2, 1, 4)), (2, 3, 4))],
         [((3, 4),)]),
    Case("masked_scatter", lambda L, x, s: x.masked_scatter(L.tensor(masked((3, 4))), s),
         lambda x, s: (lambda o: (o.__setitem__(masked((3, 4)), s.reshape(-1)[:4]), o)[1])(
             x.copy()), [((3, 4), (2, 3))]),
    Case("take", lambda L, x: L.take(x, L.tensor([[0, 11], [5, -1]])),
         lambda x: x.reshape(-1)[[[0, 11], [5, -1]]], [((3, 4),)]),
    Case("take_along_dim", lambda L, x: L.take_along_dim(x, L.tensor(ROWS.T[:, :1]), 1),
         lambda x: np.take_along_axis(x, ROWS.T[:, :1], 1), [((4, 3),)]),
    Case("take_along_dim_broadcast", lambda L, x: x.take_along_dim(L.tensor([[1], [0]]), 1),
         lambda x: np.take_along_axis(x, np.array([[1], [0]]), 1), [((2, 4),)]),
    Case("take_along_dim_flat", lambda L, x: L.take_along_dim(x, L.tensor([3, 0, 3])),
         lambda x: x.reshape(-1)[[3, 0, 3]], [((2, 2),)]),
]


class TestScatter(OpChecks):
    cases = CASES


def test_one_hot_idiom_matches_torch():
    labels = np.array([[2], [0], [3]])
    ours = chainrule.zeros(3, 5).scatter_(1, chainrule.tensor(labels), 1)
    theirs = torch.zeros(3, 5).scatter_(1, torch.tensor(labels), 1)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_scatter_reads_the_corner_of_a_larger_src():
    # torch's backward fails on this shape mismatch (ScatterBackward0), so forward only
    x, src = np.zeros((3, 5)), np.arange(18.0).reshape(3, 6)
    ours = chainrule.tensor(x).scatter(0, chainrule.tensor(ROWS), chainrule.tensor(src))
    theirs = torch.tensor(x).scatter(0, torch.tensor(ROWS), torch.tensor(src))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_prod_gradients_at_zeros_match_torch():
    def run(L):
        x = L.tensor([2.0, 0.0, 3.0], requires_grad=True)
        s = L.tensor([0.0, 5.0, 4.0, 0.0], requires_grad=True)
        out = L.scatter_reduce(x, 0, L.tensor([0, 0, 1, 2]), s, "prod")
        (out * L.tensor([1.0, 2.0, 3.0])).sum().backward()
        return out.detach().numpy(), x.grad.numpy(), s.grad.numpy()
    for ours, theirs in zip(run(chainrule), run(torch)):
        np.testing.assert_allclose(ours, theirs)


def test_integer_scatter_reduce_mean_floors_as_torch():
    args = (0, np.array([0, 0, 1]), np.array([3, 4, 7]))
    ours = chainrule.tensor([1, 1]).scatter_reduce(args[0], chainrule.tensor(args[1]),
                                                   chainrule.tensor(args[2]), "mean")
    theirs = torch.tensor([1, 1]).scatter_reduce(args[0], torch.tensor(args[1]),
                                                 torch.tensor(args[2]), "mean")
    assert str(ours.dtype) == "int64"
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_isin_matches_torch():
    for invert in (False, True):
        ours = chainrule.isin(chainrule.tensor([1, 2, 3, 4]), chainrule.tensor([2, 4]),
                              invert=invert)
        theirs = torch.isin(torch.tensor([1, 2, 3, 4]), torch.tensor([2, 4]), invert=invert)
        assert ours.dtype == chainrule.bool
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_amax_ties_share_the_gradient_as_torch():
    def run(L):
        x = L.tensor([1.0, 5.0], requires_grad=True)
        s = L.tensor([5.0, 5.0, 2.0], requires_grad=True)
        L.scatter_reduce(x, 0, L.tensor([1, 1, 0]), s, "amax").sum().backward()
        return x.grad.numpy(), s.grad.numpy()
    for ours, theirs in zip(run(chainrule), run(torch)):
        np.testing.assert_allclose(ours, theirs)


@pytest.mark.parametrize("call, words", [
    (lambda x: x.scatter(0, chainrule.tensor([[5]]), 1.0), ["scatter", "5", "out of bounds"]),
    (lambda x: x.scatter(0, chainrule.tensor([0]), 1.0), ["scatter", "dims", "(3, 4)"]),
    (lambda x: x.scatter(0, chainrule.tensor([[0.5]]), 1.0), ["scatter", "integer"]),
    (lambda x: x.scatter(0, chainrule.tensor([[0]]), chainrule.ones(1, 1).double()),
     ["scatter", "float64", "float32"]),
    (lambda x: x.scatter_reduce(0, chainrule.tensor([[0]]), x, "max"),
     ["scatter_reduce", "amax"]),
    (lambda x: x.scatter(0, chainrule.tensor([[0]]), x, reduce="max"), ["scatter", "multiply"]),
    (lambda x: x.masked_select(chainrule.ones(3, 4)), ["masked_select", "bool"]),
    (lambda x: x.masked_select(chainrule.ones(2, 4).bool()), ["masked_select", "(2, 4)"]),
    (lambda x: x.masked_scatter(chainrule.ones(3, 4).bool(), chainrule.ones(2)),
     ["masked_scatter", "12", "2"]),
    (lambda x: x.take(chainrule.tensor([12])), ["take", "12", "(3, 4)"]),
    (lambda x: x.index_copy(0, chainrule.tensor([0]), chainrule.ones(2, 4)),
     ["index_copy", "(2, 4)", "(1, 4)"]),
    (lambda x: x.index_fill(1, chainrule.tensor([4]), 0.0), ["index_fill", "4", "size 4"]),
    (lambda x: x.put(chainrule.tensor([0, 1]), chainrule.ones(3)), ["put", "2", "(3,)"]),
    (lambda x: x.index_reduce(0, chainrule.tensor([0]), x[:1], "sum"), ["index_reduce", "amax"]),
    (lambda x: x.index_reduce(0, chainrule.tensor([0]), x, "prod"), ["index_reduce", "(1, 4)"]),
    (lambda x: chainrule.take_along_dim(x, chainrule.tensor([0]), 0),
     ["take_along_dim", "dimensions"]),
])
def test_errors_name_the_op(call, words):
    with pytest.raises((RuntimeError, IndexError, TypeError)) as info:
        call(chainrule.zeros(3, 4))
    for word in words:
        assert word in str(info.value), str(info.value)
