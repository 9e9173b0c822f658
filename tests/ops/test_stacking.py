"""Stacking, splitting, tiling and sliding windows: cases against NumPy and torch, then the
multi-output ops (splits, broadcast_tensors), views and errors."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks


def windows(a, dim, size, step):
    """NumPy's view of Tensor.unfold: windows along dim, each window a new last dim."""
    dim = dim % a.ndim
    moved = np.moveaxis(a, dim, -1)
    count = (moved.shape[-1] - size) // step + 1
    out = np.stack([moved[..., i * step:i * step + size] for i in range(count)], -2)
    return np.moveaxis(out, -2, dim)


def cat_of(parts):
    """A split's pieces joined flat, so a multi-output op is checked as one tensor."""
    return lambda L, *xs: L.cat([p.reshape(-1) for p in parts(L, *xs)])


CASES = [
    Case("hstack", lambda L, a, b: L.hstack([a, b]), lambda a, b: np.hstack([a, b]),
         [((2, 3), (2, 1)), ((3,), (2,)), ((), (2,))]),
    Case("vstack", lambda L, a, b: L.vstack((a, b)), lambda a, b: np.vstack([a, b]),
         [((2, 3), (1, 3)), ((3,), (3,))]),
    Case("row_stack", lambda L, a, b: L.row_stack((a, b)), lambda a, b: np.vstack([a, b]),
         [((3,), (2, 3))]),
    Case("dstack", lambda L, a, b: L.dstack([a, b]), lambda a, b: np.dstack([a, b]),
         [((2, 3), (2, 3)), ((3,), (3,)), ((2, 3, 1), (2, 3, 2))]),
    Case("column_stack", lambda L, a, b: L.column_stack([a, b]),
         lambda a, b: np.column_stack([a, b]), [((3,), (3, 2)), ((), ())]),
    Case("atleast_3d", lambda L, a: L.atleast_3d(a) * 1, np.atleast_3d,
         [((),), ((2,),), ((2, 3),), ((1, 2, 3, 1),)]),
    Case("atleast_2d", lambda L, a: L.atleast_2d(a) * 1, np.atleast_2d, [((),), ((2,),)]),
    Case("atleast_1d", lambda L, a: L.atleast_1d(a) * 1, np.atleast_1d, [((),), ((2,),)]),
    Case("tile", lambda L, a: L.tile(a, (2, 1, 3)), lambda a: np.tile(a, (2, 1, 3)),
         [((2, 3),), ((3,),)]),
    Case("tile_short", lambda L, a: a.tile(2), lambda a: np.tile(a, (1,) * (a.ndim - 1) + (2,)),
         [((2, 3),)]),
    Case("rot90", lambda L, a: L.rot90(a), np.rot90, [((2, 3),), ((2, 3, 4),)]),
    Case("rot90_k", lambda L, a: L.rot90(a, 3, (1, 2)) + a.rot90(-2, [2, 0]).sum(),
         lambda a: np.rot90(a, 3, (1, 2)) + np.rot90(a, -2, (2, 0)).sum(), [((2, 3, 4),)]),
    Case("rot90_zero", lambda L, a: L.rot90(a, 4), lambda a: a, [((2, 3),)]),
    Case("fliplr", lambda L, a: L.fliplr(a), np.fliplr, [((2, 3),), ((2, 3, 4),)]),
    Case("flipud", lambda L, a: a.flipud(), np.flipud, [((3,),), ((2, 3),)]),
    Case("tensor_split_int", cat_of(lambda L, a: L.tensor_split(a, 3, dim=1)),
         lambda a: np.concatenate([p.reshape(-1) for p in np.array_split(a, 3, 1)]),
         [((2, 7),), ((1, 2),)]),
    Case("tensor_split_indices", cat_of(lambda L, a: a.tensor_split([1, 4, 9], 0)),
         lambda a: a.reshape(-1), [((6,),)]),
    Case("hsplit", cat_of(lambda L, a: [p * (i + 1) for i, p in enumerate(L.hsplit(a, 2))]),
         lambda a: np.concatenate([p.reshape(-1) * (i + 1)
                                   for i, p in enumerate(np.hsplit(a, 2))]), [((3, 4),), ((4,),)]),
    Case("vsplit", cat_of(lambda L, a: [p * (i + 1) for i, p in enumerate(L.vsplit(a, [1]))]),
         lambda a: np.concatenate([p.reshape(-1) * (i + 1)
                                   for i, p in enumerate(np.vsplit(a, [1]))]), [((3, 4),)]),
    Case("dsplit", cat_of(lambda L, a: [p * (i + 1) for i, p in enumerate(a.dsplit(2))]),
         lambda a: np.concatenate([p.reshape(-1) * (i + 1)
                                   for i, p in enumerate(np.dsplit(a, 2))]), [((2, 1, 4),)]),
    Case("broadcast_tensors", cat_of(lambda L, a, b: [t * (i + 1) for i, t in
                                                      enumerate(L.broadcast_tensors(a, b))]),
         lambda a, b: np.concatenate([t.reshape(-1) * (i + 1) for i, t in
                                      enumerate(np.broadcast_arrays(a, b))]),
         [((3, 1), (4,)), ((2,), (2,))]),
    Case("unfold", lambda L, a: a.unfold(1, 3, 2), lambda a: windows(a, 1, 3, 2),
         [((2, 7),), ((2, 3, 4),)]),
    Case("unfold_overlapping", lambda L, a: a.unfold(0, 2, 1), lambda a: windows(a, 0, 2, 1),
         [((5,),), ((4, 2),)]),
    Case("unfold_last", lambda L, a: a.unfold(-1, 4, 4), lambda a: windows(a, -1, 4, 4),
         [((2, 9),)]),
]


class TestStacking(OpChecks):
    cases = CASES


def test_broadcast_shapes_matches_torch():
    for shapes in [((3, 1), (4,)), ((2,), ()), (5, (1, 5)), ((0, 1), (3,))]:
        ours = chainrule.broadcast_shapes(*shapes)
        assert tuple(ours) == tuple(torch.broadcast_shapes(*shapes))
        assert isinstance(ours, chainrule.Size)


def test_splits_and_unfold_are_views():
    x = chainrule.arange(12.0).reshape(3, 4)
    windows = x.unfold(1, 2, 2)
    pieces = x.tensor_split(2, dim=1)
    with chainrule.no_grad():
        x[0, 0] = 100.0
    assert pieces[0][0, 0].item() == 100.0
    assert windows.shape == (3, 2, 2)


def test_tensor_split_sections_match_torch():
    for size, sections in [(7, 3), (2, 5), (0, 2)]:
        ours = chainrule.zeros(size).tensor_split(sections)
        theirs = torch.zeros(size).tensor_split(sections)
        assert [p.shape[0] for p in ours] == [p.shape[0] for p in theirs]


@pytest.mark.parametrize("call, words", [
    (lambda x: x.unfold(1, 5, 1), ["unfold", "5", "4"]),
    (lambda x: x.unfold(1, 2, 0), ["unfold", "step"]),
    (lambda x: x.unfold(2, 2, 1), ["unfold", "2", "(3, 4)"]),
    (lambda x: x.hsplit(3), ["hsplit", "4", "3"]),
    (lambda x: x[0].vsplit(1), ["vsplit", "2", "(4,)"]),
    (lambda x: x.dsplit(1), ["dsplit", "3", "(3, 4)"]),
    (lambda x: x.tensor_split(0), ["tensor_split", "0"]),
    (lambda x: x.rot90(1, (0, 0)), ["rot90", "different"]),
    (lambda x: x[0].fliplr(), ["fliplr", "(4,)"]),
    (lambda x: chainrule.hstack(x), ["hstack", "tuple or list"]),
    (lambda x: chainrule.vstack([]), ["vstack", "non-empty"]),
    (lambda x: chainrule.broadcast_tensors(x, chainrule.zeros(2)), ["broadcast", "(3, 4)", "(2,)"]),
])
def test_errors_name_the_op(call, words):
    with pytest.raises((RuntimeError, IndexError, TypeError)) as info:
        call(chainrule.zeros(3, 4))
    for word in words:
        assert word in str(info.value), str(info.value)


@pytest.mark.parametrize("call, error, words", [
    (lambda x: x.tile(-1), RuntimeError, ["tile", "non-negative", "(3, 4)"]),
    (lambda x: x.tensor_split(1.5), TypeError, ["tensor_split", "float"]),
    (lambda x: chainrule.broadcast_shapes((2,), "a"), TypeError, ["broadcast_shapes"]),
])
def test_bad_arguments_are_refused_by_name(call, error, words):
    with pytest.raises(error) as info:
        call(chainrule.zeros(3, 4))
    for word in words:
        assert word in str(info.value), str(info.value)
