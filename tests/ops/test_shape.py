"""Shape ops: each op's cases, checked by the shared harness; then errors and view semantics."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks

MATRIX = [((3, 4),), ((1, 6),), ((0, 2),)]
CUBE = [((2, 3, 4),), ((1, 2, 1),), ((2, 0, 3),)]


def pad_of(L):
    """pad lives in nn.functional."""
    return L.nn.functional.pad


def weighted(L, pieces, dim):
    """Pieces joined back with a distinct weight each, so each piece's gradient is checked."""
    return L.cat([p * (i + 1.0) for i, p in enumerate(pieces)], dim)


def np_weighted(pieces, axis):
    return np.concatenate([p * (i + 1.0) for i, p in enumerate(pieces)], axis)


def np_pad(a, pairs, mode="constant", value=0.0):
    """NumPy's pad with torch's pad tuple (last dim first; negative pads crop)."""
    widths = [(0, 0)] * (a.ndim - len(pairs)) + list(reversed(pairs))
    crop = tuple(slice(max(-lo, 0), n - max(-hi, 0)) for n, (lo, hi) in zip(a.shape, widths))
    widths = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
    numpy_mode = {"replicate": "edge", "circular": "wrap"}.get(mode, mode)
    extra = {"constant_values": value} if mode == "constant" else {}
    return np.pad(a[crop], widths, mode=numpy_mode, **extra)


CASES = [
    # reshaping: views when the memory allows, a copy (Reshape) when it does not
    Case("reshape", lambda L, x: x.reshape(-1, 2), lambda a: a.reshape(-1, 2),
         [((3, 4),), ((2, 1, 2),), ((0, 2),)]),
    Case("reshape_tuple", lambda L, x: L.reshape(x, (x.shape[-1], -1)),
         lambda a: a.reshape(a.shape[-1], -1), MATRIX + CUBE),
    Case("reshape_scalar", lambda L, x: x.reshape(1, 1).reshape(()), lambda a: a.reshape(()),
         [((),), ((1,),)]),
    Case("view", lambda L, x: x.view(-1), lambda a: a.reshape(-1), MATRIX + CUBE),
    Case("view_as", lambda L, x: x.view(2, -1).view_as(x), lambda a: a, [((2, 3),), ((4, 1),)]),
    Case("reshape_transposed_copy", lambda L, x: x.t().reshape(-1), lambda a: a.T.reshape(-1),
         MATRIX),
    Case("view_transposed", lambda L, x: x.transpose(0, 1).view(x.shape[1], 1, x.shape[0]),
         lambda a: a.T.reshape(a.shape[1], 1, a.shape[0]), MATRIX),
    Case("flatten", lambda L, x: x.flatten(), lambda a: a.reshape(-1), CUBE + [((),)]),
    Case("flatten_middle", lambda L, x: L.flatten(x, 1), lambda a: a.reshape(a.shape[0], -1), CUBE),
    Case("flatten_range", lambda L, x: x.flatten(0, -2),
         lambda a: a.reshape(-1, a.shape[-1]), CUBE),
    Case("unflatten", lambda L, x: x.unflatten(1, (2, -1)),
         lambda a: a.reshape(a.shape[0], 2, a.shape[1] // 2), [((3, 4),), ((1, 6),), ((0, 4),)]),
    Case("squeeze_all", lambda L, x: x.squeeze(), np.squeeze,
         [((1, 3, 1),), ((2, 1, 1),), ((1,),), ((),), ((0, 1),)]),
    Case("squeeze_dim", lambda L, x: x.squeeze(1), lambda a: a.squeeze(1) if a.shape[1] == 1 else a,
         [((1, 3, 1),), ((2, 1, 1),), ((0, 1),)]),
    Case("squeeze_dims", lambda L, x: L.squeeze(x, (0, -1)),
         lambda a: a.reshape([n for i, n in enumerate(a.shape)
                              if not (i in (0, a.ndim - 1) and n == 1)]),
         [((1, 3, 1),), ((2, 1, 1),), ((1, 0, 4),)]),
    Case("unsqueeze", lambda L, x: x.unsqueeze(0).unsqueeze(-1),
         lambda a: a[None, ..., None], MATRIX + [((),)]),
    Case("unsqueeze_middle", lambda L, x: L.unsqueeze(x, 1), lambda a: np.expand_dims(a, 1),
         CUBE),
    # permutations of dims
    Case("transpose", lambda L, x: x.transpose(0, -1), lambda a: np.swapaxes(a, 0, -1),
         MATRIX + CUBE),
    Case("swapaxes", lambda L, x: L.swapaxes(x, 1, 2), lambda a: np.swapaxes(a, 1, 2), CUBE),
    Case("permute", lambda L, x: x.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), CUBE),
    Case("permute_tuple", lambda L, x: L.permute(x, (1, -1, 0)), lambda a: a.transpose(1, 2, 0),
         CUBE),
    Case("T", lambda L, x: x.T, lambda a: a.T, MATRIX),
    Case("t", lambda L, x: x.t(), lambda a: a.T, MATRIX + [((3,),)]),
    Case("mT", lambda L, x: x.mT, lambda a: np.swapaxes(a, -1, -2), MATRIX + CUBE),
    Case("movedim", lambda L, x: x.movedim(0, -1), lambda a: np.moveaxis(a, 0, -1), CUBE),
    Case("movedim_tuple", lambda L, x: L.movedim(x, (0, 1), (2, 0)),
         lambda a: np.moveaxis(a, (0, 1), (2, 0)), CUBE),
    # joining
    Case("cat", lambda L, a, b: L.cat([a, b], dim=1), lambda a, b: np.concatenate([a, b], 1),
         [((2, 3), (2, 1)), ((2, 0), (2, 2)), ((1, 3, 2), (1, 4, 2))]),
    Case("cat_three_negative_dim", lambda L, a, b, c: L.cat((a, b, c), -1),
         lambda a, b, c: np.concatenate([a, b, c], -1),
         [((2, 3), (2, 1), (2, 2)), ((3,), (0,), (1,))]),
    Case("cat_skips_1d_empty", lambda L, a, b, c: L.cat([a, b, c], 1),
         lambda a, b, c: np.concatenate([a, c], 1), [((2, 3), (0,), (2, 2))]),
    Case("concatenate", lambda L, a, b: L.concatenate([a, b]), lambda a, b: np.concatenate([a, b]),
         [((2, 3), (1, 3)), ((0, 2), (0, 2))]),
    Case("cat_promotes_int",
         lambda L, a: L.cat([a, L.tensor(np.ones((a.shape[0], 1), np.int64))], 1),
         lambda a: np.concatenate([a, np.ones((a.shape[0], 1))], 1), [((2, 3),), ((0, 1),)]),
    Case("stack", lambda L, a, b: L.stack([a, b]), lambda a, b: np.stack([a, b]),
         [((2, 3), (2, 3)), ((0, 2), (0, 2)), ((), ())]),
    Case("stack_last", lambda L, a, b, c: L.stack((a, b, c), dim=-1),
         lambda a, b, c: np.stack([a, b, c], -1), [((2, 3),) * 3, ((1,),) * 3]),
    # cutting: each piece a differentiable slice
    Case("split_size", lambda L, x: weighted(L, x.split(2, dim=1), 1),
         lambda a: np_weighted(np.split(a, range(2, a.shape[1], 2), 1), 1),
         [((3, 5),), ((2, 4),), ((0, 3),), ((1, 1),)]),
    Case("split_sections", lambda L, x: weighted(L, L.split(x, [1, 0, 3], 0), 0),
         lambda a: np_weighted(np.split(a, [1, 1], 0), 0), [((4, 2),), ((4,),)]),
    Case("chunk", lambda L, x: weighted(L, x.chunk(3), 0),
         lambda a: np_weighted(np.split(a, range(-(-len(a) // 3), len(a), -(-len(a) // 3))), 0)
         if len(a) else a, [((5, 2),), ((6,),), ((1, 3),), ((0, 2),)]),
    Case("unbind", lambda L, x: L.stack([p * (i + 1.0) for i, p in enumerate(x.unbind(1))], 0),
         lambda a: np.stack([a[:, i] * (i + 1.0) for i in range(a.shape[1])]),
         [((2, 3),), ((0, 2),), ((1, 1, 2),)]),
    # padding: negative pads crop; the other modes gather, so their gradients accumulate
    Case("pad_constant", lambda L, x: pad_of(L)(x, (1, 2)), lambda a: np_pad(a, [(1, 2)]),
         MATRIX + [((3,),)]),
    Case("pad_crop_value", lambda L, x: pad_of(L)(x, (1, -1, 0, 2), value=0.5),
         lambda a: np_pad(a, [(1, -1), (0, 2)], value=0.5), [((3, 4),), ((2, 2, 3),), ((0, 2),)]),
    Case("pad_reflect", lambda L, x: pad_of(L)(x, (2, 1), mode="reflect"),
         lambda a: np_pad(a, [(2, 1)], "reflect"), [((2, 4),), ((2, 3, 5),)]),
    Case("pad_reflect_2d", lambda L, x: pad_of(L)(x, (1, 1, 2, 0), mode="reflect"),
         lambda a: np_pad(a, [(1, 1), (2, 0)], "reflect"), [((1, 3, 4),), ((2, 1, 3, 2),)]),
    Case("pad_replicate", lambda L, x: pad_of(L)(x, (3, 1, 1, 2), mode="replicate"),
         lambda a: np_pad(a, [(3, 1), (1, 2)], "edge"), [((1, 3, 4),), ((2, 1, 1, 2),)]),
    Case("pad_circular", lambda L, x: pad_of(L)(x, (2, 1), mode="circular"),
         lambda a: np_pad(a, [(2, 1)], "wrap"), [((2, 4),), ((1, 2, 3),)]),
    # flipping, repeating, copying
    Case("flip", lambda L, x: x.flip(0), lambda a: a[::-1], MATRIX + CUBE),
    Case("flip_dims", lambda L, x: L.flip(x, (0, -1)), lambda a: a[::-1, ..., ::-1], MATRIX + CUBE),
    Case("repeat", lambda L, x: x.repeat(2, 3), lambda a: np.tile(a, (2, 3)),
         MATRIX + [((3,),), ((),)]),
    Case("repeat_new_dims", lambda L, x: x.repeat(2, 1, 3, 1),
         lambda a: np.tile(a, (2, 1, 3, 1)), CUBE),
    Case("repeat_interleave", lambda L, x: x.repeat_interleave(2),
         lambda a: np.repeat(a, 2), MATRIX + [((),)]),
    Case("repeat_interleave_dim", lambda L, x: L.repeat_interleave(x, 3, dim=1),
         lambda a: np.repeat(a, 3, axis=1), MATRIX + CUBE),
    Case("repeat_interleave_counts",
         lambda L, x: x.repeat_interleave(L.tensor(np.arange(x.shape[0]) % 3), dim=0),
         lambda a: np.repeat(a, np.arange(a.shape[0]) % 3, axis=0), MATRIX + CUBE),
    Case("clone", lambda L, x: x.clone(), lambda a: a.copy(), MATRIX + [((),)]),
    Case("contiguous", lambda L, x: x.t().contiguous(), lambda a: a.T.copy(), MATRIX),
]


class TestShape(OpChecks):
    cases = CASES


# ----- errors name the op and the shapes ----------------------------------------------------------
@pytest.mark.parametrize("call, words", [
    (lambda x: x.reshape(5, 3), ["reshape", "(3, 4)", "(5, 3)"]),
    (lambda x: x.view(-1, -1), ["view", "(3, 4)"]),
    (lambda x: x.reshape(5, -1), ["reshape", "(3, 4)", "(5, -1)"]),
    (lambda x: x.t().view(-1), ["view", "(4, 3)", ".reshape"]),
    (lambda x: chainrule.cat([x, chainrule.zeros(2, 3)], 1), ["cat", "(3, 4)", "(2, 3)"]),
    (lambda x: chainrule.stack([x, chainrule.zeros(4, 3)]), ["stack", "(3, 4)", "(4, 3)"]),
    (lambda x: chainrule.cat([chainrule.zeros(())]), ["cat", "zero"]),
    (lambda x: x.flatten(1, 0), ["flatten", "(3, 4)"]),
    (lambda x: x.permute(0, 0), ["permute", "(3, 4)"]),
    (lambda x: x.unsqueeze(0).t(), ["t", "(1, 3, 4)"]),
    (lambda x: x[0].mT, ["mT", "(4,)"]),
    (lambda x: x.split([1, 1], 0), ["split", "(3, 4)"]),
    (lambda x: chainrule.nn.functional.pad(x, (1, 2, 3)), ["pad", "(3, 4)"]),
    (lambda x: chainrule.nn.functional.pad(x, (4, 0), mode="reflect"), ["pad", "reflect", "(3, 4)"]),
    (lambda x: x.repeat(2), ["repeat", "(3, 4)"]),
])
def test_errors_name_op_and_shapes(call, words):
    x = chainrule.zeros(3, 4)
    with pytest.raises(RuntimeError) as info:
        call(x)
    for word in words:
        assert word in str(info.value)


@pytest.mark.parametrize("call", [lambda x: x.squeeze(2), lambda x: x.unsqueeze(3),
                                  lambda x: x.transpose(0, 2), lambda x: x.flip(-3)])
def test_dims_out_of_range_raise_index_error(call):
    with pytest.raises(IndexError, match="range"):
        call(chainrule.zeros(3, 4))


# ----- views share memory and the version counter; copies do not --------------------------------
@pytest.mark.parametrize("make_view", [lambda x: x.view(-1), lambda x: x.reshape(2, 6),
                                       lambda x: x.t(), lambda x: x.unsqueeze(0),
                                       lambda x: x.split(2, 1)[1], lambda x: x.flatten()])
def test_views_write_through(make_view):
    x = chainrule.zeros(3, 4)
    view = make_view(x)
    view.fill_(7.0)
    assert (x.numpy() == 7.0).sum() == view.numel()
    assert x._version is view._version


@pytest.mark.parametrize("make_copy", [lambda x: x.flip(0), lambda x: x.clone(),
                                       lambda x: x.t().reshape(-1), lambda x: x.repeat(1, 1),
                                       lambda x: chainrule.cat([x, x])])
def test_copies_do_not_write_through(make_copy):
    x = chainrule.zeros(3, 4)
    make_copy(x).fill_(7.0)
    assert not x.numpy().any()


def test_contiguous_returns_self_when_contiguous():
    x = chainrule.zeros(3, 4)
    assert x.contiguous() is x
    assert x.t().contiguous().numpy().flags.c_contiguous


def test_in_place_change_of_a_viewed_input_is_caught():
    x = chainrule.randn(3, 4, requires_grad=True)
    y = x * 1.0
    z = y.view(-1) * y.view(-1)  # Mul saved the view, which shares y's version counter
    with chainrule.no_grad():
        y.view(-1).mul_(2.0)
    with pytest.raises(RuntimeError, match="modified"):
        z.sum().backward()


def test_chunk_of_empty_dim_gives_chunks_pieces():
    for lib in (chainrule, torch):
        assert len(lib.zeros(0, 3).chunk(3)) == 3
