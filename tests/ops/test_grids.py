"""nonzero, argwhere, meshgrid and logspace: cases checked by the shared harness (meshgrid is
differentiable), then dtypes, shapes, the meshgrid warning and errors compared with torch."""
import warnings

import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks


def sparse(rng, shape):
    """About half zeros, for nonzero."""
    return rng.integers(-1, 2, shape).astype(float)


def np_meshgrid(*arrays, indexing):
    return np.stack(np.meshgrid(*arrays, indexing=indexing))


def stacked(L, grids):
    return L.stack(list(grids))


CASES = [
    Case("nonzero", lambda L, x: L.nonzero(x), np.argwhere,
         [((3, 4),), ((5,),), ((2, 3, 2),), ((),), ((0, 3),)], make=sparse,
         differentiable=False),
    Case("nonzero_method_tuple", lambda L, x: x.nonzero(as_tuple=True)[-1],
         lambda a: np.nonzero(a)[-1], [((3, 4),), ((5,),)], make=sparse, differentiable=False),
    Case("argwhere", lambda L, x: L.argwhere(x), np.argwhere, [((3, 4),), ((2, 3, 2),)],
         make=sparse, differentiable=False),
    Case("meshgrid_ij", lambda L, a, b: stacked(L, L.meshgrid(a, b, indexing="ij")),
         lambda a, b: np_meshgrid(a, b, indexing="ij"), [((3,), (4,)), ((1,), (2,))]),
    Case("meshgrid_xy", lambda L, a, b: stacked(L, L.meshgrid([a, b], indexing="xy")),
         lambda a, b: np_meshgrid(a, b, indexing="xy"), [((3,), (4,))]),
    Case("meshgrid_three_xy", lambda L, a, b, c: L.meshgrid(a, b, c, indexing="xy")[2] * 2,
         lambda a, b, c: np.meshgrid(a, b, c, indexing="xy")[2] * 2, [((3,), (4,), (2,))]),
    Case("cartesian_prod", lambda L, a, b, c: L.cartesian_prod(a, b, c),
         lambda a, b, c: np.stack([g.reshape(-1) for g in np.meshgrid(a, b, c, indexing="ij")], 1),
         [((2,), (3,), (2,)), ((1,), (0,), (2,))]),
    Case("cartesian_prod_one", lambda L, a: L.cartesian_prod(a) * 1, lambda a: a, [((3,),)]),
    Case("meshgrid_product", lambda L, a, b: L.prod(L.stack(L.meshgrid(a, b, indexing="ij")), 0),
         lambda a, b: np.prod(np_meshgrid(a, b, indexing="ij"), 0), [((2,), (3,))]),
]


class TestGrids(OpChecks):
    cases = CASES


def test_nonzero_as_tuple_of_a_0d_tensor_is_one_index_as_in_torch():
    for value in (3.0, 0.0):
        ours = chainrule.nonzero(chainrule.tensor(value), as_tuple=True)
        theirs = torch.nonzero(torch.tensor(value), as_tuple=True)
        assert len(ours) == len(theirs) == 1
        assert ours[0].tolist() == theirs[0].tolist() and ours[0].dtype == chainrule.int64


def test_nonzero_of_bools_and_integers():
    values = [[True, False], [False, True]]
    ours, theirs = chainrule.tensor(values).nonzero(), torch.tensor(values).nonzero()
    assert ours.dtype == chainrule.int64 and ours.tolist() == theirs.tolist()


def test_meshgrid_without_indexing_warns_as_torch_and_reads_ij():
    a, b = chainrule.arange(3), chainrule.arange(4)
    with pytest.warns(UserWarning, match="indexing"):
        x, y = chainrule.meshgrid(a, b)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tx, ty = torch.meshgrid(torch.arange(3), torch.arange(4))
    assert x.tolist() == tx.tolist() and y.tolist() == ty.tolist()


def test_meshgrid_of_0d_tensors():
    x, y = chainrule.meshgrid(chainrule.tensor(1.0), chainrule.tensor([1.0, 2.0]), indexing="xy")
    tx, ty = torch.meshgrid(torch.tensor(1.0), torch.tensor([1.0, 2.0]), indexing="xy")
    assert tuple(x.shape) == tuple(tx.shape) and y.tolist() == ty.tolist()


@pytest.mark.parametrize("call, error, words", [
    (lambda: chainrule.meshgrid(chainrule.zeros(2, 2), indexing="ij"), RuntimeError,
     ["meshgrid", "(2, 2)"]),
    (lambda: chainrule.meshgrid(chainrule.zeros(2), chainrule.arange(2), indexing="ij"),
     RuntimeError, ["meshgrid", "dtype"]),
    (lambda: chainrule.meshgrid(chainrule.zeros(2), indexing="ji"), ValueError,
     ["meshgrid", "ji"]),
    (lambda: chainrule.logspace(0, 1, -1), RuntimeError, ["logspace", "-1"]),
    (lambda: chainrule.nonzero([1, 0]), TypeError, ["nonzero", "list"]),
])
def test_bad_input_is_refused_naming_the_op(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("args, kwargs", [
    ((0, 3, 4), {}), ((-2.0, 2.0, 5), {"base": 2.0}), ((1, 1, 1), {}), ((0, 1, 0), {}),
    ((0, 2, 3), {"dtype": "float64"}), ((0, 3, 4), {"dtype": "int64"}),
    ((2, -1, 7), {"base": 3}),
])
def test_logspace_matches_torch(args, kwargs):
    ours_kwargs = dict(kwargs)
    if "dtype" in kwargs:
        ours_kwargs["dtype"] = getattr(chainrule, kwargs["dtype"])
        kwargs = {**kwargs, "dtype": getattr(torch, kwargs["dtype"])}
    ours, theirs = chainrule.logspace(*args, **ours_kwargs), torch.logspace(*args, **kwargs)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_logspace_requires_grad_makes_a_leaf():
    x = chainrule.logspace(0, 1, 3, requires_grad=True)
    assert x.requires_grad and x.grad_fn is None
