"""Indexing ops: each op's cases, checked by the shared harness, then slice assignment and errors.

Integer index tensors are built inside each case's fn with L.tensor(numpy array), so the same fn
runs on chainrule and on torch.
"""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks, check_error_names

MATRIX = [((3, 4),), ((5, 2),)]
CUBE = [((2, 3, 4),), ((3, 1, 2),)]


def every_third(shape):
    """A fixed bool mask with some True and some False entries."""
    return np.arange(int(np.prod(shape))).reshape(shape) % 3 == 0


def ints(*values):
    return np.array(values, dtype=np.int64)


def put(a, index, value):
    a = a.copy()
    a[index] = value
    return a


def scatter_add(a, dim, index, src):
    out = a.copy()
    grid = list(np.indices(index.shape, sparse=True))
    grid[dim] = index
    np.add.at(out, tuple(grid), src[tuple(slice(0, n) for n in index.shape)])
    return out


def index_add(a, dim, index, source):
    out = a.copy()
    np.add.at(out, (slice(None),) * dim + (index,), source)
    return out


CASES = [
    # basic indices: views
    Case("int", lambda L, x: x[1], lambda a: a[1], MATRIX + CUBE),
    Case("negative_int", lambda L, x: x[-1, -1], lambda a: a[-1, -1], MATRIX + CUBE),
    Case("slice", lambda L, x: x[1:], lambda a: a[1:], MATRIX + [((1, 3),), ((0, 2),)]),
    Case("slice_steps", lambda L, x: x[::2, 1::2], lambda a: a[::2, 1::2],
         MATRIX + [((1, 1),), ((0, 3),)]),
    Case("ellipsis", lambda L, x: x[..., 0], lambda a: a[..., 0], MATRIX + CUBE),
    Case("ellipsis_middle", lambda L, x: x[1:, ..., :1], lambda a: a[1:, ..., :1], CUBE),
    Case("none", lambda L, x: x[None, :, None], lambda a: a[None, :, None],
         MATRIX + [((0, 2),), ((1,),)]),
    Case("none_scalar", lambda L, x: x[None, ..., None], lambda a: a[None, ..., None], [((),)]),
    Case("none_ellipsis_int", lambda L, x: x[None, ..., 1, None], lambda a: a[None, ..., 1, None],
         MATRIX + CUBE),
    Case("scalar_full", lambda L, x: x[...], lambda a: a[...], [((),), ((2,),)]),
    Case("select", lambda L, x: L.select(x, 1, -1), lambda a: a[:, -1], MATRIX + CUBE),
    Case("narrow", lambda L, x: x.narrow(0, 1, 2), lambda a: a[1:3], MATRIX + CUBE[1:]),
    # integer arrays: copies whose gradient accumulates repeated indices
    Case("int_list_repeats", lambda L, x: x[[0, 2, 0, 0]], lambda a: a[[0, 2, 0, 0]],
         MATRIX + [((3,),)]),
    Case("int_tensor_negative", lambda L, x: x[L.tensor(ints(-1, 0, -1))],
         lambda a: a[[-1, 0, -1]], MATRIX + CUBE),
    Case("int_2d_index", lambda L, x: x[L.tensor(ints(0, 1, 1, 0).reshape(2, 2))],
         lambda a: a[ints(0, 1, 1, 0).reshape(2, 2)], MATRIX + CUBE),
    Case("slice_then_ints", lambda L, x: x[:, [1, 1, 0]], lambda a: a[:, [1, 1, 0]],
         MATRIX + [((0, 2),)]),
    Case("paired_ints", lambda L, x: x[L.tensor(ints(0, 2, 2)), L.tensor(ints(1, -1, 1))],
         lambda a: a[[0, 2, 2], [1, -1, 1]], MATRIX + [((3, 2, 2),)]),
    Case("separated_ints", lambda L, x: x[[0, 1, 1], :, [1, 0, 1]],
         lambda a: a[[0, 1, 1], :, [1, 0, 1]], CUBE),
    Case("ints_none_ellipsis", lambda L, x: x[None, ..., [1, 0, 1]],
         lambda a: a[None, ..., [1, 0, 1]], MATRIX + CUBE),
    Case("empty_int_list", lambda L, x: x[[]], lambda a: a[ints()], MATRIX),
    # a range is a list of ints to torch: a copy
    Case("range", lambda L, x: x[range(2)], lambda a: a[[0, 1]], MATRIX + CUBE),
    Case("range_step_after_slice", lambda L, x: x[:, range(1, -1, -1)], lambda a: a[:, [1, 0]],
         MATRIX + CUBE[:1]),
    Case("paired_ranges", lambda L, x: x[range(0, 3, 2), range(2)], lambda a: a[[0, 2], [0, 1]],
         MATRIX + [((3, 2, 2),)]),
    Case("empty_range", lambda L, x: x[range(0)], lambda a: a[ints()], MATRIX),
    # bool masks
    Case("bool_mask_full", lambda L, x: x[L.tensor(every_third(tuple(x.shape)))],
         lambda a: a[every_third(a.shape)], MATRIX + CUBE + [((0, 3),)]),
    Case("bool_mask_rows", lambda L, x: x[L.tensor(np.array([True, False, True]))],
         lambda a: a[[True, False, True]], [((3, 4),), ((3, 1, 2),)]),
    Case("bool_mask_after_slice", lambda L, x: x[1:, L.tensor(np.array([True, False]))],
         lambda a: a[1:, [True, False]], [((5, 2),), ((3, 2, 2),)]),
    # the ops built on gather and scatter
    Case("index_select", lambda L, x: x.index_select(1, L.tensor(ints(1, 0, 1))),
         lambda a: a[:, [1, 0, 1]], MATRIX + CUBE[:1]),
    Case("index_select_dim0", lambda L, x: L.index_select(x, 0, L.tensor(ints(2, 2))),
         lambda a: a[[2, 2]], [((3, 4),), ((3,),)]),
    Case("gather", lambda L, x: x.gather(1, L.tensor(ints(0, 1, 0, 1, 1, 1).reshape(3, 2))),
         lambda a: np.take_along_axis(a[:3], ints(0, 1, 0, 1, 1, 1).reshape(3, 2), 1),
         [((3, 4),), ((4, 2),)]),
    Case("gather_dim0", lambda L, x: L.gather(x, 0, L.tensor(ints(2, 0, 2, 2).reshape(2, 2))),
         lambda a: np.take_along_axis(a[:, :2], ints(2, 0, 2, 2).reshape(2, 2), 0),
         [((3, 4),), ((3, 2),)]),
    Case("scatter_add",
         lambda L, x, s: x.scatter_add(0, L.tensor(ints(1, 0, 1, 1).reshape(2, 2)), s),
         lambda a, s: scatter_add(a, 0, ints(1, 0, 1, 1).reshape(2, 2), s),
         [((3, 4), (2, 2)), ((2, 2), (2, 2))]),
    # src larger than the index: only its leading part is used. torch 2.13's backward rejects
    # this shape (ScatterAddBackward0 returns the index's shape), so forward only here.
    Case("scatter_add_larger_src",
         lambda L, x, s: x.scatter_add(0, L.tensor(ints(1, 0, 1, 1).reshape(2, 2)), s),
         lambda a, s: scatter_add(a, 0, ints(1, 0, 1, 1).reshape(2, 2), s),
         [((2, 2), (3, 3))], differentiable=False),
    Case("index_add", lambda L, x, s: x.index_add(1, L.tensor(ints(0, 2, 0)), s),
         lambda a, s: index_add(a, 1, ints(0, 2, 0), s), [((3, 4), (3, 3)), ((1, 3), (1, 3))]),
    Case("index_add_alpha", lambda L, x, s: L.index_add(x, 0, L.tensor(ints(1, 1)), s, alpha=2.0),
         lambda a, s: index_add(a, 0, ints(1, 1), 2.0 * s), [((3, 4), (2, 4))]),
    Case("index_put", lambda L, x, v: L.index_put(x, (L.tensor(ints(0, 2)),), v),
         lambda a, v: put(a, [0, 2], v), [((3, 4), (4,)), ((3, 4), (2, 4)), ((3,), ())]),
    Case("index_put_accumulate",
         lambda L, x, v: x.index_put((L.tensor(ints(2, 0, 2)),), v, accumulate=True),
         lambda a, v: index_add(a, 0, ints(2, 0, 2), np.broadcast_to(v, (3,) + a.shape[1:])),
         [((3, 4), (4,)), ((3, 2), (3, 2)), ((3,), ())]),
    # masks
    Case("masked_fill", lambda L, x: x.masked_fill(L.tensor(every_third(tuple(x.shape))), 0.5),
         lambda a: np.where(every_third(a.shape), 0.5, a), MATRIX + CUBE + [((0, 2),)]),
    Case("masked_fill_broadcast",
         lambda L, x: L.masked_fill(x, L.tensor(np.array([True, False, False, True])), -1.0),
         lambda a: np.where([True, False, False, True], -1.0, a), [((3, 4),), ((4,),), ((1, 4),)]),
    Case("masked_fill_tensor_value",
         lambda L, x, v: x.masked_fill(L.tensor(every_third(tuple(x.shape))), v),
         lambda a, v: np.where(every_third(a.shape), v, a), [((3, 4), ()), ((2, 3, 1), ())]),
    Case("tril", lambda L, x: x.tril(), np.tril, MATRIX + CUBE + [((0, 3),)]),
    Case("tril_offset", lambda L, x: L.tril(x, -1), lambda a: np.tril(a, -1), MATRIX + CUBE),
    Case("triu", lambda L, x: x.triu(1), lambda a: np.triu(a, 1), MATRIX + CUBE + [((1, 1),)]),
]


# ----- slice assignment through __setitem__ -------------------------------------------------------
def even_columns(shape):
    """Values for the even columns of a buffer of this shape (as in a positional encoding)."""
    rows, columns = shape[0], (shape[1] + 1) // 2
    return np.sin(np.arange(rows * columns)).reshape(rows, columns)


def buffer_fill(L, x):
    """Unrecorded: a buffer that needs no gradient, written slice by slice, then used."""
    buffer = L.zeros(tuple(x.shape), dtype=x.dtype)
    buffer[:, 0::2] = L.tensor(even_columns(tuple(x.shape))).to(x.dtype)
    buffer[0] = 2.0
    buffer[L.tensor(ints(-1))] += 1.0   # get, add, then set back through an integer index
    buffer[range(1, 3)] *= 0.5           # through a range
    return x * buffer


def np_buffer_fill(a):
    buffer = np.zeros_like(a)
    buffer[:, 0::2] = even_columns(a.shape)
    buffer[0] = 2.0
    buffer[-1] += 1.0
    buffer[1:3] *= 0.5
    return a * buffer


def recorded_writes(L, x, v):
    """Recorded: writes into a non-leaf that requires grad, with values that require grad."""
    y = x.clone()
    y[0] = v * 2.0        # broadcast over the row
    y[:, 1] = 0.0         # a Python scalar: no gradient flows from it
    y[[2, 0]] = v         # an integer index (not repeated: which write wins is undefined)
    y[range(1, 3), 1] = v.sum() * 3.0    # a range: a list of ints
    y[L.tensor(every_third(tuple(y.shape)))] = -y[L.tensor(every_third(tuple(y.shape)))]
    return y * y


def np_recorded_writes(a, v):
    y = a.copy()
    y[0] = v * 2.0
    y[:, 1] = 0.0
    y[[2, 0]] = v
    y[[1, 2], 1] = v.sum() * 3.0
    mask = every_third(y.shape)
    y[mask] = -y[mask]
    return y * y


def written_from_graph(L, x):
    """A buffer that needs no gradient takes values that do: the write is recorded."""
    buffer = L.zeros((x.shape[0] + 1,) + tuple(x.shape[1:]), dtype=x.dtype)
    buffer[1:] = x
    buffer[..., :1] = x[:1, ..., :1] * 3.0
    return buffer


def np_written_from_graph(a):
    buffer = np.zeros((a.shape[0] + 1,) + a.shape[1:])
    buffer[1:] = a
    buffer[..., :1] = a[:1, ..., :1] * 3.0
    return buffer


CASES += [
    Case("setitem_buffer", buffer_fill, np_buffer_fill, [((3, 4),), ((3, 1),), ((4, 5),)]),
    Case("setitem_recorded", recorded_writes, np_recorded_writes, [((3, 4), (4,)), ((4, 2), ())]),
    Case("setitem_into_buffer", written_from_graph, np_written_from_graph,
         [((2, 3),), ((1, 2, 2),), ((3, 1),)]),
]


class TestIndex(OpChecks):
    cases = CASES


def test_buffer_assignment_is_unrecorded():
    position = chainrule.arange(0, 5).float()[:, None]
    pe = chainrule.zeros(5, 4)
    pe[:, 0::2] = chainrule.tensor(np.sin(position.numpy() * np.array([1.0, 0.01])))
    pe[:, 1::2] = chainrule.tensor(np.cos(position.numpy() * np.array([1.0, 0.01])))
    assert pe.grad_fn is None and not pe.requires_grad and pe._version[0] == 2
    expected = torch.zeros(5, 4)
    expected[:, 0::2] = torch.sin(torch.arange(5.0)[:, None] * torch.tensor([1.0, 0.01]))
    expected[:, 1::2] = torch.cos(torch.arange(5.0)[:, None] * torch.tensor([1.0, 0.01]))
    np.testing.assert_allclose(pe.numpy(), expected.numpy(), rtol=1e-6)


def test_recorded_assignment_to_a_leaf_that_requires_grad_raises():
    x = chainrule.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        x[0] = 1.0


def test_getitem_shares_memory_for_basic_indices_only():
    x = chainrule.zeros(3, 4)
    x[1:][0].fill_(1.0)       # a view of a view
    x[[2]].fill_(5.0)         # an integer array gives a copy
    assert x.numpy()[1].tolist() == [1.0] * 4 and not x.numpy()[2].any()


# ----- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, words", [
    (lambda x: x[5], IndexError, ["(3, 4)", "5"]),
    (lambda x: x[chainrule.tensor([0, 7])], IndexError, ["(3, 4)", "7"]),
    (lambda x: x[:, chainrule.tensor([True, False])], IndexError, ["(3, 4)"]),
    (lambda x: x[chainrule.tensor([0.5])], IndexError, ["float32"]),
    (lambda x: x["a"], IndexError, ["str"]),
    (lambda x: x[::-1], ValueError, ["step"]),
    (lambda x: x.index_select(0, chainrule.tensor([-1])), IndexError, ["index_select", "-1"]),
    (lambda x: x.index_select(0, chainrule.tensor([[1]])), IndexError, ["index_select", "(1, 1)"]),
    (lambda x: x.gather(1, chainrule.tensor([0, 1])), RuntimeError, ["gather", "(2,)", "(3, 4)"]),
    (lambda x: x.gather(0, chainrule.tensor([[3]])), IndexError, ["gather", "3"]),
    (lambda x: x.masked_fill(chainrule.tensor([1, 0, 1, 0]), 0.0), RuntimeError, ["bool"]),
    (lambda x: x.masked_fill(chainrule.tensor([True, False]), 0.0), RuntimeError,
     ["masked_fill", "(2,)", "(3, 4)"]),
    (lambda x: x[0].tril(), RuntimeError, ["tril", "(4,)"]),
    (lambda x: x.narrow(1, 3, 2), IndexError, ["narrow", "(3, 4)"]),
])
def test_errors_name_the_shape(call, error, words):
    check_error_names(call, error, words)


def test_setitem_errors_name_the_shape():
    x = chainrule.zeros(3, 4)
    with pytest.raises(IndexError, match=r"\(3, 4\)"):
        x[3] = 1.0
    with pytest.raises(ValueError, match=r"\(3, 4\)"):
        x[0] = chainrule.ones(3)


def test_scatter_add_with_larger_src_is_differentiable():
    """What torch cannot differentiate: src larger than the index (its tail gets no gradient)."""
    from chainrule.autograd import gradcheck, gradgradcheck
    rng = np.random.default_rng(0)
    x = chainrule.tensor(rng.standard_normal((2, 2)), requires_grad=True)
    src = chainrule.tensor(rng.standard_normal((3, 3)), requires_grad=True)

    def fn(x, src):
        return x.scatter_add(0, chainrule.tensor(ints(1, 0, 1, 1).reshape(2, 2)), src)
    assert gradcheck(fn, [x, src]) and gradgradcheck(fn, [x, src])
