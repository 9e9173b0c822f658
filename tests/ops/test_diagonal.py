"""diagonal, diag, diag_embed, trace, tril_indices and triu_indices: each op's cases, checked by
the shared harness, then dtypes and errors compared with torch directly."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks


def np_diag_embed(a, offset=0):
    """The planes (last two dims) hold a's last dim on diagonal `offset`."""
    size = a.shape[-1] + abs(offset)
    out = np.zeros(a.shape[:-1] + (size, size))
    steps = np.arange(a.shape[-1])
    out[..., steps + max(-offset, 0), steps + max(offset, 0)] = a
    return out


def _np_block_diag(*arrays):
    blocks = [a.reshape(1, -1) if a.ndim < 2 else a for a in arrays]
    out = np.zeros((sum(b.shape[0] for b in blocks), sum(b.shape[1] for b in blocks)))
    row = col = 0
    for b in blocks:
        out[row:row + b.shape[0], col:col + b.shape[1]] = b
        row, col = row + b.shape[0], col + b.shape[1]
    return out


CASES = [
    Case("diagonal", lambda L, x: L.diagonal(x), lambda a: np.diagonal(a).copy(),
         [((3, 4),), ((4, 3),), ((2, 3, 4),), ((0, 3),)]),
    Case("diagonal_offset_dims_method", lambda L, x: x.diagonal(1, 2, 0),
         lambda a: np.diagonal(a, 1, 2, 0).copy(), [((2, 3, 4),), ((3, 2, 3),)]),
    Case("diagonal_below_negative_dims", lambda L, x: L.diagonal(x, offset=-1, dim1=-1, dim2=-2),
         lambda a: np.diagonal(a, -1, -1, -2).copy(), [((2, 3, 4),), ((3, 3),)]),
    Case("diag_of_vector", lambda L, x: L.diag(x), np.diag, [((4,),), ((1,),), ((0,),)]),
    Case("diag_of_vector_offset_method", lambda L, x: x.diag(2), lambda a: np.diag(a, 2),
         [((3,),)]),
    Case("diag_of_vector_below", lambda L, x: L.diag(x, -1), lambda a: np.diag(a, -1), [((3,),)]),
    Case("diag_of_matrix", lambda L, x: L.diag(x), lambda a: np.diag(a).copy(),
         [((3, 4),), ((4, 3),)]),
    Case("diag_of_matrix_offset", lambda L, x: x.diag(-1), lambda a: np.diag(a, -1).copy(),
         [((3, 4),), ((4, 3),)]),
    Case("diag_squared", lambda L, x: L.diag(x * x), lambda a: np.diag(a * a), [((3,),)]),
    Case("diag_embed", lambda L, x: L.diag_embed(x), np_diag_embed, [((3,),), ((2, 3),),
                                                                      ((2, 1, 4),)]),
    Case("diag_embed_offset_method", lambda L, x: x.diag_embed(1), lambda a: np_diag_embed(a, 1),
         [((2, 3),)]),
    Case("diag_embed_dims", lambda L, x: L.diag_embed(x, -1, 0, 2),
         lambda a: np.moveaxis(np_diag_embed(a, -1), (-2, -1), (0, 2)), [((2, 3),)]),
    Case("trace", lambda L, x: L.trace(x), lambda a: np.trace(a), [((3, 4),), ((4, 3),),
                                                                   ((1, 1),)]),
    Case("trace_method", lambda L, x: (x * x).trace(), lambda a: np.trace(a * a), [((3, 3),)]),
    Case("block_diag", lambda L, a, b, c: L.block_diag(a, b, c),
         lambda a, b, c: _np_block_diag(a, b, c), [((2, 3), (1, 2), (4,)), ((), (2,), (0, 2))]),
    Case("tril_indices", lambda L, x: L.tril_indices(4, 3) + 0 * x.long().sum(),
         lambda a: np.stack(np.tril_indices(4, 0, 3)), [((),)], differentiable=False),
    Case("triu_indices_offset", lambda L, x: L.triu_indices(3, 5, 1) + 0 * x.long().sum(),
         lambda a: np.stack(np.triu_indices(3, 1, 5)), [((),)], differentiable=False),
]


class TestDiagonal(OpChecks):
    cases = CASES


@pytest.mark.parametrize("row, col, offset", [(4, 3, 0), (3, 5, 1), (5, 5, -2), (0, 3, 0),
                                              (3, 3, 7), (3, 3, -7)])
@pytest.mark.parametrize("name", ["tril_indices", "triu_indices"])
def test_triangle_indices_match_torch(name, row, col, offset):
    ours = getattr(chainrule, name)(row, col, offset)
    theirs = getattr(torch, name)(row, col, offset)
    assert ours.dtype == chainrule.int64 and tuple(ours.shape) == tuple(theirs.shape)
    assert ours.tolist() == theirs.tolist()


def test_triangle_indices_take_an_integer_dtype():
    assert chainrule.tril_indices(3, 3, dtype=chainrule.int32).dtype == chainrule.int32
    with pytest.raises(RuntimeError, match="tril_indices.*integer"):
        chainrule.tril_indices(3, 3, dtype=chainrule.float32)


def test_trace_of_integers_is_int64():
    values = [[1, 2], [3, 4]]
    ours, theirs = chainrule.trace(chainrule.tensor(values)), torch.trace(torch.tensor(values))
    assert ours.dtype == chainrule.int64 and ours.item() == theirs.item() == 5


def test_diag_of_integers_keeps_the_dtype():
    ours = chainrule.diag(chainrule.tensor([1, 2]))
    assert ours.dtype == chainrule.int64 and ours.tolist() == [[1, 0], [0, 2]]


@pytest.mark.parametrize("call, error, words", [
    (lambda: chainrule.diag(chainrule.zeros(2, 3, 4)), RuntimeError, ["diag", "(2, 3, 4)"]),
    (lambda: chainrule.diagonal(chainrule.zeros(3)), RuntimeError, ["diagonal", "(3,)"]),
    (lambda: chainrule.diagonal(chainrule.zeros(3, 4), 0, 1, -1), RuntimeError,
     ["diagonal", "same dim", "(3, 4)"]),
    (lambda: chainrule.diagonal(chainrule.zeros(3, 4), 0, 0, 2), IndexError,
     ["diagonal", "(3, 4)"]),
    (lambda: chainrule.trace(chainrule.zeros(2, 3, 4)), RuntimeError, ["trace", "(2, 3, 4)"]),
    (lambda: chainrule.diag_embed(chainrule.zeros(2, 3), 0, 1, 1), RuntimeError,
     ["diag_embed", "same dim"]),
    (lambda: chainrule.triu_indices(-1, 3), RuntimeError, ["triu_indices", "-1"]),
])
def test_bad_input_is_refused_naming_the_op(call, error, words):
    with pytest.raises(error) as info:
        call()
    for word in words:
        assert word in str(info.value)


def test_block_diag_promotes_as_torch():
    ours = chainrule.block_diag(chainrule.tensor([1, 2]), chainrule.tensor([[1.5]]))
    theirs = torch.block_diag(torch.tensor([1, 2]), torch.tensor([[1.5]]))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert ours.tolist() == theirs.tolist()
    with pytest.raises(RuntimeError, match=r"block_diag.*\(1, 1, 1\)"):
        chainrule.block_diag(chainrule.zeros(1, 1, 1))
