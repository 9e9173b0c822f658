"""Joining and cutting ops: each op's cases, checked by the shared harness; then errors."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks, check_error_names

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
    # cutting: each piece a differentiable slice (unbind: tests/ops/test_unbind.py)
    Case("split_size", lambda L, x: weighted(L, x.split(2, dim=1), 1),
         lambda a: np_weighted(np.split(a, range(2, a.shape[1], 2), 1), 1),
         [((3, 5),), ((2, 4),), ((0, 3),), ((1, 1),)]),
    Case("split_sections", lambda L, x: weighted(L, L.split(x, [1, 0, 3], 0), 0),
         lambda a: np_weighted(np.split(a, [1, 1], 0), 0), [((4, 2),), ((4,),)]),
    Case("chunk", lambda L, x: weighted(L, x.chunk(3), 0),
         lambda a: np_weighted(np.split(a, range(-(-len(a) // 3), len(a), -(-len(a) // 3))), 0)
         if len(a) else a, [((5, 2),), ((6,),), ((1, 3),), ((0, 2),)]),
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
    # flipping, repeating
    Case("flip", lambda L, x: x.flip(0), lambda a: a[::-1], MATRIX + CUBE),
    Case("flip_dims", lambda L, x: L.flip(x, (0, -1)), lambda a: a[::-1, ..., ::-1], MATRIX + CUBE),
    Case("flip_dims_keyword", lambda L, x: x.flip(dims=(0, 1)), lambda a: a[::-1, ::-1],
         MATRIX + CUBE),
    Case("flip_dims_list", lambda L, x: x.flip([1, 0]), lambda a: a[::-1, ::-1], MATRIX),
    Case("flip_varargs", lambda L, x: x.flip(-1, 0), lambda a: a[::-1, ..., ::-1], CUBE),
    Case("flip_function_keyword", lambda L, x: L.flip(x, dims=[1]), lambda a: a[:, ::-1], MATRIX),
    # rolling: a cyclic shift, whose gradient shifts back
    Case("roll_flat", lambda L, x: L.roll(x, 2), lambda a: np.roll(a, 2),
         MATRIX + CUBE + [((),), ((5,),)]),
    Case("roll_dim", lambda L, x: x.roll(-1, 1), lambda a: np.roll(a, -1, 1), MATRIX + CUBE),
    Case("roll_dims", lambda L, x: L.roll(x, shifts=(1, -2), dims=(0, -1)),
         lambda a: np.roll(a, (1, -2), (0, -1)), MATRIX + CUBE),
    Case("roll_beyond_size", lambda L, x: x.roll(shifts=7, dims=0), lambda a: np.roll(a, 7, 0),
         MATRIX),
    Case("roll_dims_repeated", lambda L, x: x.roll((1, 2), (0, 0)), lambda a: np.roll(a, 3, 0),
         MATRIX),
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
]


class TestJoin(OpChecks):
    cases = CASES


# ----- errors name the op and the shapes ----------------------------------------------------------
@pytest.mark.parametrize("call, words", [
    (lambda x: chainrule.cat([x, chainrule.zeros(2, 3)], 1), ["cat", "(3, 4)", "(2, 3)"]),
    (lambda x: chainrule.stack([x, chainrule.zeros(4, 3)]), ["stack", "(3, 4)", "(4, 3)"]),
    (lambda x: chainrule.cat([chainrule.zeros(())]), ["cat", "zero"]),
    (lambda x: x.split([1, 1], 0), ["split", "(3, 4)"]),
    (lambda x: chainrule.nn.functional.pad(x, (1, 2, 3)), ["pad", "(3, 4)"]),
    (lambda x: chainrule.nn.functional.pad(x, (4, 0), mode="reflect"),
     ["pad", "reflect", "(3, 4)"]),
    (lambda x: x.repeat(2), ["repeat", "(3, 4)"]),
    (lambda x: x.repeat(2, -1), ["repeat", "non-negative", "(2, -1)", "(3, 4)"]),
    (lambda x: x.repeat_interleave(-1, dim=1), ["repeat_interleave", "non-negative", "-1", "(3, 4)"]),
    (lambda x: x.repeat_interleave(chainrule.tensor([1, -2, 1]), dim=0),
     ["repeat_interleave", "non-negative", "-2", "(3, 4)"]),
    (lambda x: x.repeat_interleave(chainrule.tensor([1, 2]), dim=0),
     ["repeat_interleave", "dim 0", "(3, 4)", "(2,)"]),
    (lambda x: x.roll((1, 2)), ["roll", "(1, 2)", "(3, 4)"]),
    (lambda x: x.roll((1, 2), (0,)), ["roll", "(1, 2)", "(0,)", "(3, 4)"]),
    (lambda x: x.flip((0, 0)), ["flip", "dim 0", "(3, 4)"]),
])
def test_errors_name_op_and_shapes(call, words):
    check_error_names(call, RuntimeError, words)


def test_chunk_of_empty_dim_gives_chunks_pieces():
    for lib in (chainrule, torch):
        assert len(lib.zeros(0, 3).chunk(3)) == 3


@pytest.mark.parametrize("call, error, words", [
    (lambda x: x.roll(1, 2), IndexError, ["roll", "2", "(3, 4)"]),
    (lambda x: x.flip(), TypeError, ["flip", "dims", "(3, 4)"]),
    (lambda x: x.flip(0, dims=(1,)), TypeError, ["flip", "dims"]),
])
def test_other_errors_name_op_and_shapes(call, error, words):
    check_error_names(call, error, words)


@pytest.mark.parametrize("call", [
    lambda L, x: x.roll((1, 2)), lambda L, x: L.roll(x, 1, (0, 1)), lambda L, x: x.roll(1, 2),
    lambda L, x: x.flip(), lambda L, x: L.flip(x, (0, 0)), lambda L, x: x[0, 0].roll(1, 0),
])
def test_refused_where_torch_refuses(call):
    with pytest.raises(Exception) as theirs:
        call(torch, torch.zeros(3, 4))
    with pytest.raises(type(theirs.value)):
        call(chainrule, chainrule.zeros(3, 4))


def test_roll_of_an_empty_tensor_keeps_its_shape():
    for lib in (chainrule, torch):
        assert tuple(lib.zeros(0, 3).roll(1, 0).shape) == (0, 3)
        assert tuple(lib.zeros(0, 3).roll(2).shape) == (0, 3)


def test_an_all_zero_pad_returns_a_new_tensor_as_torch():
    x = chainrule.ones(2, 3)
    y = chainrule.nn.functional.pad(x, (0, 0))
    y[0, 0] = 5.0
    assert x[0, 0].item() == 1.0


@pytest.mark.parametrize("shape, pad, mode", [((5,), (1, 1), "reflect"),
                                              ((2, 2, 2, 5), (1, 1), "circular"),
                                              ((3, 5), (1, 1, 1, 1), "replicate")])
def test_non_constant_pads_take_the_dims_torch_takes(shape, pad, mode):
    with pytest.raises(NotImplementedError):
        torch.nn.functional.pad(torch.ones(shape), pad, mode=mode)
    with pytest.raises(NotImplementedError, match=rf"pad: {mode} padding of .* got shape"):
        chainrule.nn.functional.pad(chainrule.ones(*shape), pad, mode=mode)


@pytest.mark.parametrize("call, words", [
    (lambda L, x: x.chunk(2.0), ["chunk", "chunks must be an int", "2.0"]),
    (lambda L, x: x.split(2.5), ["split", "must be an int or a list of ints", "2.5"]),
])
def test_a_float_size_is_refused_naming_the_op(call, words):
    with pytest.raises(TypeError):   # torch refuses it too
        call(torch, torch.ones(6))
    check_error_names(lambda x: call(chainrule, x), TypeError, words)
