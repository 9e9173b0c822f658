"""Pooling layers against torch: outputs and gradients in train and eval mode, reprs, indices, and
the error for an input with the wrong number of dims."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn import pool as layers
from tests.nn.helpers import assert_matches_torch
from tests.ops.edges import matches_torch_at


@pytest.mark.parametrize("name, args, kwargs, input_shape", [
    ("MaxPool2d", (2,), {}, (2, 3, 8, 6)),
    ("MaxPool2d", (3, 2, 1), dict(ceil_mode=True), (1, 2, 7, 6)),
    ("MaxPool2d", ((2, 3), (1, 2), (1, 0), (2, 1)), {}, (2, 6, 5)),      # unbatched
    ("MaxPool1d", (3,), dict(stride=2, padding=1, dilation=2, ceil_mode=True), (2, 3, 11)),
    ("MaxPool1d", (2,), {}, (4, 9)),                                        # unbatched
    ("MaxPool3d", (2,), dict(stride=1, padding=1), (1, 2, 3, 4, 3)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 6)),
    ("AvgPool2d", (3, 2, 1), dict(ceil_mode=True, count_include_pad=False), (1, 2, 7, 6)),
    ("AvgPool2d", ((3, 2),), dict(stride=1, padding=1, divisor_override=5), (2, 5, 4)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1, ceil_mode=True), (2, 3, 10)),
    ("AvgPool1d", (2,), dict(count_include_pad=False, padding=1), (3, 7)),
    ("AvgPool3d", (2,), dict(padding=1, count_include_pad=False), (1, 2, 3, 4, 3)),
    ("AdaptiveAvgPool2d", ((3, 4),), {}, (2, 3, 7, 9)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 5, 5)),
    ("AdaptiveAvgPool2d", ((None, 2),), {}, (3, 5, 4)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 10)),
    ("AdaptiveAvgPool3d", ((2, 3, None),), {}, (1, 2, 5, 7, 4)),
    ("AdaptiveAvgPool3d", (2,), {}, (2, 4, 6, 8)),
    ("AdaptiveMaxPool1d", (3,), {}, (2, 3, 7)),
    ("AdaptiveMaxPool1d", (4,), {}, (3, 10)),
    ("AdaptiveMaxPool2d", ((3, 4),), {}, (2, 3, 7, 9)),
    ("AdaptiveMaxPool2d", ((None, 2),), {}, (3, 5, 4)),
    ("AdaptiveMaxPool2d", (6,), {}, (1, 2, 4, 5)),     # windows overlap: outputs > inputs
    ("AdaptiveMaxPool3d", ((2, 3, 2),), {}, (1, 2, 5, 6, 3)),
])
def test_layers_match_torch(name, args, kwargs, input_shape):
    ours, theirs = getattr(layers, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(1).permutation(np.prod(input_shape)).reshape(input_shape) / 10.0
    assert_matches_torch(ours, theirs, [x])


@pytest.mark.parametrize("name, norm_type, values", [
    ("lp_pool1d", 2, [[[0.0, 0.0, 1.0, 2.0, -0.0, 0.0]]]),
    ("lp_pool1d", 3, [[[0.0, 0.0, -1.0, 2.0, 0.5, 0.25]]]),
    ("lp_pool2d", 1.5, [[[[0.0, 0.0], [0.0, 0.0]]]])])
def test_lp_pool_of_zeros_has_torchs_zero_gradient(name, norm_type, values):
    """A window of zeros sits at the root's pole (0^(1/p)): torch's relu zeroes the gradient
    there, where inf * 0 would be NaN."""
    matches_torch_at(lambda L, x: getattr(L.nn.functional, name)(x, norm_type, 2), values)


def test_max_pool_returns_torchs_indices():
    ours = layers.MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True)
    theirs = torch.nn.MaxPool2d(3, 2, 1, return_indices=True, ceil_mode=True)
    x = np.random.default_rng(3).standard_normal((2, 3, 9, 8))
    (out, indices), (expected, expected_indices) = ours(cr.tensor(x)), theirs(torch.tensor(x))
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    assert indices.dtype == cr.int64
    np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())


@pytest.mark.parametrize("dims, output_size, shape", [
    (1, 3, (2, 3, 7)), (2, (3, 4), (2, 3, 7, 9)), (2, 7, (3, 5, 5)),
    (3, (2, 3, 4), (1, 2, 5, 6, 7))])
def test_adaptive_max_pool_returns_torchs_indices(dims, output_size, shape):
    name = f"adaptive_max_pool{dims}d"
    x = np.random.default_rng(4).standard_normal(shape)
    out, indices = getattr(cr.nn.functional, name)(cr.tensor(x), output_size, True)
    expected, expected_indices = getattr(torch.nn.functional, name)(torch.tensor(x),
                                                                     output_size, True)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())
    assert indices.dtype == cr.int64
    np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())


def test_adaptive_max_pool_differentiates_twice():
    x = cr.tensor(np.random.default_rng(5).standard_normal((1, 2, 5, 7)), requires_grad=True)
    assert cr.autograd.gradgradcheck(
        lambda x: cr.nn.functional.adaptive_max_pool2d(x, (3, 4)) ** 2, (x,))


def test_reprs_keep_arguments_as_given():
    assert repr(layers.MaxPool2d(2)) == "MaxPool2d(kernel_size=2, stride=2, padding=0, " \
                                       "dilation=1, ceil_mode=False)"
    assert repr(layers.AvgPool1d(2)) == "AvgPool1d(kernel_size=(2,), stride=(2,), padding=(0,))"
    assert repr(layers.AdaptiveAvgPool2d((None, 3))) == "AdaptiveAvgPool2d(output_size=(None, 3))"


@pytest.mark.parametrize("layer, shape, message", [
    (layers.MaxPool2d(2), (1, 1, 1, 4, 4),
     r"MaxPool2d\(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False\): expected "
     r"input of shape \(N, C, H, W\) or \(C, H, W\), got \(1, 1, 1, 4, 4\)"),
    (layers.MaxPool1d(2), (8,), r"MaxPool1d\(.*\): expected input of shape \(N, C, L\) or "
                                r"\(C, L\), got \(8,\)"),
    (layers.AvgPool2d(2), (4, 4), r"AvgPool2d\(kernel_size=2, stride=2, padding=0\): expected "
                                  r"input of shape \(N, C, H, W\) or \(C, H, W\), got \(4, 4\)"),
    (layers.AvgPool3d(2), (2, 4, 4), r"AvgPool3d\(.*\): expected input of shape "
                                     r"\(N, C, D, H, W\) or \(C, D, H, W\)"),
    (layers.AdaptiveAvgPool2d(2), (4, 4), r"AdaptiveAvgPool2d\(output_size=2\): expected input"),
    (layers.AdaptiveMaxPool1d(2), (4,), r"AdaptiveMaxPool1d\(output_size=2\): expected input"),
])
def test_wrong_input_shape_names_the_layer_and_the_expected_shape(layer, shape, message):
    with pytest.raises(RuntimeError, match=message):
        layer(cr.ones(*shape))
