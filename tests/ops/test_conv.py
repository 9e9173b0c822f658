"""Sliding windows (unfold, fold) and the convolutions built on them (conv1d/2d/3d,
conv_transpose1d/2d): each configuration checked by the shared harness against a NumPy loop over
kernel offsets, gradcheck, gradgradcheck and torch; then the errors bad arguments raise."""
import itertools

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from tests.ops.harness import Case, OpChecks

# torch warns that it copies the input for an uneven 'same' padding; that is its business
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")


def numpy_conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """Direct convolution: one product per kernel offset, summed (independent of unfold)."""
    dims = x.ndim - 2
    stride, dilation = _tuple(stride, dims), _tuple(dilation, dims)
    if padding == "same":
        totals = [d * (k - 1) for k, d in zip(w.shape[2:], dilation)]
        pads = [(t // 2, t - t // 2) for t in totals]
    else:
        pads = [(p, p) for p in _tuple(0 if padding == "valid" else padding, dims)]
    x = np.pad(x, [(0, 0), (0, 0)] + pads)
    out_size = [(n - d * (k - 1) - 1) // s + 1
                for n, k, s, d in zip(x.shape[2:], w.shape[2:], stride, dilation)]
    per_group_in, per_group_out = w.shape[1], w.shape[0] // groups
    out = np.zeros((x.shape[0], w.shape[0], *out_size))
    for g in range(groups):
        xs = x[:, g * per_group_in:(g + 1) * per_group_in]
        ws = w[g * per_group_out:(g + 1) * per_group_out]
        for offset in itertools.product(*(range(k) for k in w.shape[2:])):
            window = xs[(Ellipsis,) + tuple(slice(o * d, o * d + s * (n - 1) + 1, s) for
                                            o, d, s, n in zip(offset, dilation, stride, out_size))]
            out[:, g * per_group_out:(g + 1) * per_group_out] += np.einsum(
                "oc,nc...->no...", ws[(Ellipsis,) + offset], window)
    return out if b is None else out + b.reshape((-1,) + (1,) * dims)


def _tuple(value, dims):
    return (value,) * dims if isinstance(value, int) else tuple(value)


def conv_case(name, conv, shapes, **kwargs):
    def fn(L, x, w, b=None):
        return getattr(L.nn.functional, conv)(x, w, b, **kwargs)

    def reference(x, w, b=None):
        if x.ndim == w.ndim - 1:  # unbatched
            return numpy_conv(x[None], w, b, **kwargs)[0]
        return numpy_conv(x, w, b, **kwargs)
    return Case(name, fn, reference, shapes)


def transpose_case(name, conv, shapes, **kwargs):
    return Case(name, lambda L, x, w, b=None: getattr(L.nn.functional, conv)(x, w, b, **kwargs),
                None, shapes)


CASES = [
    # unfold and fold, as torch.nn.functional spells them
    Case("unfold", lambda L, x: L.nn.functional.unfold(x, 2), None, [((2, 2, 3, 4),)]),
    Case("unfold_strided", lambda L, x: L.nn.functional.unfold(
        x, (2, 3), dilation=(2, 1), padding=1, stride=(2, 1)), None, [((1, 2, 5, 4),)]),
    Case("fold", lambda L, x: L.nn.functional.fold(x, (3, 4), 2), None, [((2, 8, 6),)]),
    Case("unfold_unbatched", lambda L, x: L.nn.functional.unfold(x, 2), None, [((2, 3, 4),)]),
    Case("fold_unbatched", lambda L, x: L.nn.functional.fold(x, (3, 4), 2), None, [((8, 6),)]),
    Case("fold_strided", lambda L, x: L.nn.functional.fold(
        x, (5, 4), (2, 3), dilation=(2, 1), padding=1, stride=(2, 1)), None, [((1, 12, 12),)]),
    # conv2d: strides, paddings (int, tuple, same, valid), dilations, groups, bias, batch 1
    conv_case("conv2d", "conv2d", [((2, 2, 4, 5), (3, 2, 2, 3), (3,)), ((1, 1, 3, 3),
                                                                       (2, 1, 3, 3), (2,))]),
    conv_case("conv2d_no_bias", "conv2d", [((1, 2, 4, 3), (2, 2, 2, 2))]),
    conv_case("conv2d_stride_padding", "conv2d", [((1, 2, 5, 4), (2, 2, 3, 2), (2,))],
              stride=2, padding=1),
    conv_case("conv2d_tuples", "conv2d", [((1, 1, 6, 5), (2, 1, 2, 3), (2,))],
              stride=(2, 1), padding=(1, 2), dilation=(2, 1)),
    conv_case("conv2d_dilation", "conv2d", [((1, 2, 5, 5), (2, 2, 2, 2), (2,))], dilation=2),
    conv_case("conv2d_groups", "conv2d", [((1, 4, 4, 3), (4, 2, 2, 2), (4,))], groups=2),
    conv_case("conv2d_depthwise", "conv2d", [((2, 3, 3, 4), (3, 1, 2, 2), (3,))], groups=3,
              padding=1),
    conv_case("conv2d_same_even_kernel", "conv2d", [((1, 2, 4, 5), (2, 2, 2, 3), (2,))],
              padding="same", dilation=(1, 2)),
    conv_case("conv2d_valid", "conv2d", [((1, 2, 4, 4), (1, 2, 3, 3), (1,))], padding="valid"),
    conv_case("conv2d_1x1", "conv2d", [((2, 3, 3, 2), (2, 3, 1, 1), (2,))]),
    conv_case("conv2d_unbatched", "conv2d", [((2, 4, 3), (2, 2, 2, 2), (2,))], padding=1),
    conv_case("conv1d", "conv1d", [((2, 2, 7), (3, 2, 3), (3,)), ((1, 1, 4), (1, 1, 4), (1,))]),
    conv_case("conv1d_stride_dilation_groups", "conv1d", [((1, 4, 9), (2, 2, 3), (2,))],
              stride=2, padding=2, dilation=2, groups=2),
    conv_case("conv1d_same", "conv1d", [((1, 2, 5), (2, 2, 4))], padding="same"),
    conv_case("conv1d_unbatched", "conv1d", [((2, 5), (3, 2, 2), (3,))], stride=2),
    conv_case("conv3d", "conv3d", [((1, 2, 3, 3, 2), (2, 2, 2, 2, 1), (2,))], padding=(1, 0, 0)),
    # conv_transpose: the gradient of conv in its input, with every argument torch takes
    transpose_case("conv_transpose2d", "conv_transpose2d", [((1, 2, 3, 2), (2, 3, 2, 2), (3,))]),
    transpose_case("conv_transpose2d_strided", "conv_transpose2d",
                   [((2, 2, 2, 3), (2, 2, 3, 3), (2,))], stride=2, padding=1, output_padding=1),
    transpose_case("conv_transpose2d_groups_dilation", "conv_transpose2d",
                   [((1, 4, 2, 2), (4, 1, 2, 3), (2,))], stride=(1, 2), padding=(0, 1),
                   output_padding=(0, 1), groups=2, dilation=(2, 1)),
    transpose_case("conv_transpose2d_output_padding_below_dilation", "conv_transpose2d",
                   [((1, 1, 2, 2), (1, 2, 2, 2))], output_padding=1, dilation=2),
    transpose_case("conv_transpose2d_unbatched", "conv_transpose2d",
                   [((2, 2, 2), (2, 1, 2, 2), (1,))], stride=2),
    transpose_case("conv_transpose1d", "conv_transpose1d", [((2, 2, 3), (2, 3, 3), (3,))],
                   stride=2, padding=1, output_padding=1),
    transpose_case("conv_transpose1d_groups", "conv_transpose1d", [((1, 4, 3), (4, 1, 2))],
                   groups=4, dilation=2),
    transpose_case("conv_transpose3d", "conv_transpose3d", [((1, 2, 2, 2, 1), (2, 1, 2, 1, 2),
                                                             (1,))], stride=(2, 1, 1)),
]


class TestConv(OpChecks):
    cases = CASES


# ----- larger shapes than gradcheck affords: forward and gradients against torch only -------------
@pytest.mark.parametrize("conv, shapes, kwargs", [
    ("conv2d", ((8, 3, 17, 13), (16, 3, 5, 3), (16,)), dict(stride=2, padding=(2, 1))),
    ("conv2d", ((4, 6, 12, 12), (6, 2, 3, 3), (6,)), dict(groups=3, dilation=2, padding="same")),
    ("conv1d", ((5, 4, 40), (8, 4, 5), (8,)), dict(stride=3, padding=2)),
    # windows x batch = 12544, 64 x the other sizes: the weight gradient as 64 partial products
    ("conv2d", ((16, 1, 28, 28), (6, 1, 5, 5), (6,)), dict(padding=2)),
    ("conv_transpose2d", ((3, 6, 7, 5), (6, 4, 4, 3), (8,)),
     dict(stride=(2, 3), padding=1, output_padding=(1, 2), groups=2)),
])
@pytest.mark.parametrize("dtype, rtol", [("float32", 1e-5), ("float64", 1e-10)])
def test_larger_convolutions_match_torch(conv, shapes, kwargs, dtype, rtol):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape).astype(dtype) for shape in shapes]
    ours = [cr.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = getattr(F, conv)(*ours, **kwargs)
    expected = getattr(torch.nn.functional, conv)(*theirs, **kwargs)
    upstream = rng.standard_normal(expected.shape).astype(dtype)
    out.backward(cr.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    for a, b in [(out, expected)] + list(zip((t.grad for t in ours), (t.grad for t in theirs))):
        a, b = a.detach().numpy(), b.detach().numpy()
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * np.abs(b).max())



@pytest.mark.parametrize("conv, shapes, kwargs", [
    ("conv2d", ((3, 4, 9, 7), (6, 2, 3, 2), (6,)), dict(stride=(2, 1), padding=1, groups=2)),
    ("conv1d", ((2, 3, 11), (4, 3, 3), (4,)), dict(dilation=2)),
    ("conv3d", ((2, 2, 4, 3, 5), (3, 2, 2, 2, 3), (3,)), dict(padding=(1, 0, 1))),
])
def test_convolutions_in_one_step_blocks_match_torch(conv, shapes, kwargs, monkeypatch):
    """Columns made a block at a time give what whole columns give: here one window step per
    block, the most blocks there can be."""
    monkeypatch.setattr("chainrule.ops.conv.BLOCK_BYTES", 1)
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    ours = [cr.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = getattr(F, conv)(*ours, **kwargs)
    expected = getattr(torch.nn.functional, conv)(*theirs, **kwargs)
    upstream = rng.standard_normal(expected.shape)
    out.backward(cr.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    for a, b in [(out, expected)] + list(zip((t.grad for t in ours), (t.grad for t in theirs))):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10,
                                   atol=1e-10)

# ----- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, message", [
    (lambda: F.conv2d(cr.ones(2, 4, 8, 8), cr.ones(8, 3, 3, 3)), RuntimeError,
     r"conv2d: given groups=1, weight of size \(8, 3, 3, 3\) expects an input with 3 channels, "
     r"got input of shape \(2, 4, 8, 8\)"),
    (lambda: F.conv2d(cr.ones(2, 4, 8, 8), cr.ones(6, 2, 3, 3), groups=3), RuntimeError,
     r"groups=3.*6 channels"),
    (lambda: F.conv2d(cr.ones(3, 8), cr.ones(8, 3, 3, 3)), RuntimeError,
     r"conv2d: expected a 3-D \(unbatched\) or 4-D \(batched\) input, got shape \(3, 8\)"),
    (lambda: F.conv2d(cr.ones(1, 3, 8, 8), cr.ones(8, 3, 3)), RuntimeError,
     r"conv2d: expected a 4-D weight, got shape \(8, 3, 3\)"),
    (lambda: F.conv2d(cr.ones(1, 3, 2, 2), cr.ones(8, 3, 3, 3)), RuntimeError,
     r"conv2d: input of spatial size \(2, 2\) .* smaller than the kernel \(3, 3\)"),
    (lambda: F.conv2d(cr.ones(1, 3, 8, 8), cr.ones(8, 3, 3, 3), padding="same", stride=2),
     RuntimeError, r"padding='same' is not supported for strided convolutions"),
    (lambda: F.conv2d(cr.ones(1, 3, 8, 8), cr.ones(8, 3, 3, 3), padding="full"), ValueError,
     r"conv2d: invalid padding string 'full'"),
    (lambda: F.conv2d(cr.ones(1, 3, 8, 8), cr.ones(8, 3, 3, 3), stride=0), ValueError,
     r"conv2d: stride must be at least 1, got 0"),
    (lambda: F.conv2d(cr.ones(1, 3, 8, 8), cr.ones(8, 3, 3, 3), stride=(1, 2, 3)), ValueError,
     r"conv2d: stride must be an int or a tuple of 2 ints, got \(1, 2, 3\)"),
    (lambda: F.conv2d(cr.ones(1, 3, 8, 8), cr.ones(8, 3, 3, 3, dtype=cr.float64)), RuntimeError,
     r"conv2d: input \(float32\) and weight \(float64\) must have the same dtype"),
    (lambda: F.conv_transpose2d(cr.ones(1, 2, 3, 3), cr.ones(2, 2, 3, 3), stride=2,
                                output_padding=2), RuntimeError,
     r"conv_transpose2d: output padding must be smaller than either stride or dilation"),
    (lambda: F.conv_transpose2d(cr.ones(1, 3, 3, 3), cr.ones(2, 2, 3, 3)), RuntimeError,
     r"conv_transpose2d: given groups=1, weight of size \(2, 2, 3, 3\) expects an input with 2 "
     r"channels"),
    (lambda: F.conv_transpose2d(cr.ones(1, 2, 1, 1), cr.ones(2, 2, 1, 1), padding=1),
     RuntimeError, r"conv_transpose2d: .* gives an output of size \(-1, -1\)"),
    (lambda: F.unfold(cr.ones(3, 4), 2), RuntimeError,
     r"unfold: expected a 3-D \(C, H, W\) or 4-D \(N, C, H, W\) input, got shape \(3, 4\)"),
    (lambda: F.fold(cr.ones(1, 7, 6), (3, 4), 2), RuntimeError,
     r"fold: expected input of shape \(N, C·4, 6\) for output_size \(3, 4\)"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("conv, weight_shape", [("conv2d", (4, 3, 3, 3)),
                                                 ("conv_transpose2d", (3, 4, 3, 3))])
def test_an_empty_batch_gives_an_empty_batch(conv, weight_shape):
    x, w = np.ones((0, 3, 5, 5)), np.ones(weight_shape)
    out = getattr(F, conv)(cr.tensor(x), cr.tensor(w))
    assert out.shape == tuple(getattr(torch.nn.functional, conv)(torch.tensor(x),
                                                                 torch.tensor(w)).shape)


def test_unfold_copies_and_fold_adds_overlaps():
    """unfold's columns are a copy (writing them leaves x alone); fold of unfold counts how many
    windows cover each position."""
    x = cr.ones(1, 1, 3, 3)
    cols = F.unfold(x, 2)
    assert not np.shares_memory(cols.numpy(), x.numpy())
    covered = F.fold(cols, (3, 3), 2).numpy()[0, 0]
    np.testing.assert_array_equal(covered, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
