"""Conv1d/2d/3d and ConvTranspose1d/2d against torch: outputs and gradients with copied weights in
train and eval mode, reprs, initialisation, and the errors for bad arguments and inputs."""
import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn import conv as layers
from tests.nn.helpers import assert_matches_torch

pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")


def both(name, *args, **kwargs):
    return getattr(layers, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)


@pytest.mark.parametrize("name, args, kwargs, input_shape", [
    ("Conv2d", (3, 4, 3), {}, (2, 3, 7, 6)),
    ("Conv2d", (2, 4, (3, 2)), dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2)), (1, 2, 9, 7)),
    ("Conv2d", (4, 6, 3), dict(groups=2, bias=False, padding="same"), (2, 4, 5, 5)),
    ("Conv2d", (3, 3, 2), dict(groups=3, padding="same", dilation=2), (1, 3, 6, 5)),
    ("Conv2d", (2, 3, 3), dict(padding="valid", stride=2), (2, 7, 8)),          # unbatched
    ("Conv2d", (2, 3, 3), dict(padding=1, padding_mode="reflect"), (2, 2, 5, 6)),
    ("Conv2d", (2, 3, (2, 3)), dict(padding=(1, 2), padding_mode="replicate"), (1, 2, 4, 5)),
    ("Conv2d", (2, 3, 3), dict(padding="same", padding_mode="circular", dilation=2), (1, 2, 6, 6)),
    ("Conv1d", (3, 5, 3), {}, (4, 3, 10)),
    ("Conv1d", (4, 2, 5), dict(stride=2, padding=2, dilation=2, groups=2), (2, 4, 13)),
    ("Conv1d", (1, 25, 5), dict(stride=2, padding=1), (5, 1, 40)),   # the MNIST-1D CNN's first
    ("Conv1d", (2, 3, 4), dict(padding="same"), (2, 9)),                 # unbatched
    ("Conv3d", (2, 3, (2, 3, 2)), dict(padding=1, stride=(1, 2, 1)), (1, 2, 3, 5, 4)),
    ("ConvTranspose2d", (3, 4, 3), {}, (2, 3, 4, 5)),
    ("ConvTranspose2d", (4, 6, (3, 2)), dict(stride=2, padding=1, output_padding=1, groups=2),
     (2, 4, 3, 4)),
    ("ConvTranspose2d", (2, 2, 3), dict(stride=(1, 2), dilation=(2, 1), output_padding=(1, 1),
                                        bias=False), (1, 2, 3, 3)),
    ("ConvTranspose2d", (3, 2, 2), dict(stride=2), (3, 4, 4)),            # unbatched
    ("ConvTranspose1d", (3, 2, 4), dict(stride=3, padding=1, output_padding=2), (2, 3, 5)),
    ("ConvTranspose3d", (2, 4, (2, 3, 2)), dict(stride=(2, 1, 1), padding=(0, 1, 0), groups=2),
     (1, 2, 3, 3, 2)),
])
def test_layers_match_torch(name, args, kwargs, input_shape):
    ours, theirs = both(name, *args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert_matches_torch(ours, theirs, [np.random.default_rng(1).standard_normal(input_shape)])


def test_conv_transpose_output_size_picks_the_output_padding():
    ours, theirs = both("ConvTranspose2d", 2, 3, 3, stride=2, padding=1)
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(2).standard_normal((1, 2, 4, 4)).astype(np.float32)
    for size in [(7, 7), (8, 7), (1, 3, 8, 8)]:
        out = ours(cr.tensor(x), output_size=size)
        expected = theirs(torch.tensor(x), output_size=size)
        assert out.shape == tuple(expected.shape)
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-6)
    with pytest.raises(ValueError, match=r"output_size \(9, 9\) is not reachable .* \(7, 7\)"):
        ours(cr.tensor(x), output_size=(9, 9))


@pytest.mark.parametrize("name, args, fan_in", [
    ("Conv2d", (32, 64, 3), 32 * 9), ("Conv2d", (32, 64, (3, 5), 1, 0, 1, 4), 8 * 15),
    ("Conv1d", (16, 400, 7), 16 * 7), ("ConvTranspose2d", (64, 32, 3), 32 * 9),
    ("ConvTranspose2d", (64, 32, 3, 1, 0, 0, 2), 16 * 9),
])
def test_init_matches_torchs_distribution(name, args, fan_in):
    """weight ~ kaiming_uniform_(a=√5) = U(±1/√fan_in), bias ~ U(±1/√fan_in), with torch's fan_in
    (weight.shape[1] times the kernel's size, also for the transposed layers)."""
    cr.manual_seed(0)
    layer = getattr(layers, name)(*args)
    bound = 1 / math.sqrt(fan_in)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert w.shape == tuple(getattr(torch.nn, name)(*args).weight.shape)
    assert w.min() >= -bound and w.max() <= bound and w.max() > 0.98 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert abs(w.mean()) < 0.02 * bound
    assert b.min() >= -bound and b.max() <= bound


def test_parameters_have_torchs_names_shapes_and_dtypes():
    ours, theirs = both("Conv2d", 4, 6, (3, 2), groups=2)
    assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
    assert layers.Conv2d(2, 3, 3, bias=False).bias is None
    layer = layers.Conv2d(2, 3, 3, dtype=cr.float64)
    assert layer.weight.dtype == np.float64 and layer(cr.ones(1, 2, 4, 4, dtype=cr.float64)).dtype \
        == np.float64


@pytest.mark.parametrize("layer, shape, message", [
    (lambda: layers.Conv2d(3, 8, 3), (2, 4, 8, 8),
     r"Conv2d\(3, 8, kernel_size=\(3, 3\), stride=\(1, 1\)\): expected input of shape "
     r"\(N, 3, H, W\) or \(3, H, W\), got \(2, 4, 8, 8\)"),
    (lambda: layers.Conv2d(3, 8, 3), (3, 8),
     r"Conv2d\(3, 8, .*\): expected input of shape \(N, 3, H, W\) or \(3, H, W\), got \(3, 8\)"),
    (lambda: layers.Conv1d(2, 4, 3), (2, 3, 9),
     r"Conv1d\(2, 4, kernel_size=\(3,\), stride=\(1,\)\): expected input of shape \(N, 2, L\) or "
     r"\(2, L\), got \(2, 3, 9\)"),
    (lambda: layers.Conv3d(2, 4, 3), (1, 2, 3, 3),
     r"Conv3d\(2, 4, .*\): expected input of shape \(N, 2, D, H, W\) or \(2, D, H, W\)"),
    (lambda: layers.ConvTranspose2d(4, 2, 3), (1, 2, 5, 5),
     r"ConvTranspose2d\(4, 2, .*\): expected input of shape \(N, 4, H, W\) or \(4, H, W\), got "
     r"\(1, 2, 5, 5\)"),
])
def test_wrong_input_shape_names_the_layer_and_the_expected_shape(layer, shape, message):
    with pytest.raises(RuntimeError, match=message):
        layer()(cr.ones(*shape))


@pytest.mark.parametrize("make, error, message", [
    (lambda: layers.Conv2d(3, 8, 3, groups=2), ValueError,
     r"Conv2d: in_channels \(3\) and out_channels \(8\) must be divisible by groups \(2\)"),
    (lambda: layers.Conv2d(4, 6, 3, groups=4), ValueError, r"must be divisible by groups \(4\)"),
    (lambda: layers.Conv2d(3, 8, 3, padding="full"), ValueError,
     r"Conv2d: invalid padding string 'full'"),
    (lambda: layers.Conv2d(3, 8, 3, stride=2, padding="same"), RuntimeError,
     r"Conv2d: padding='same' is not supported for strided convolutions"),
    (lambda: layers.Conv2d(3, 8, 3, padding_mode="mirror"), ValueError,
     r"Conv2d: padding_mode must be one of \('zeros', 'reflect', 'replicate', 'circular'\)"),
    (lambda: layers.ConvTranspose2d(3, 8, 3, padding_mode="reflect"), ValueError,
     r"ConvTranspose2d: padding_mode must be one of \('zeros',\)"),
    (lambda: layers.ConvTranspose2d(3, 8, 3, padding="same"), ValueError,
     r"ConvTranspose2d: padding must be an int or a tuple"),
    (lambda: layers.Conv2d(3, 8, (3, 3, 3)), ValueError,
     r"Conv2d: kernel_size must be an int or a tuple of 2 ints"),
    (lambda: layers.Conv2d(3, 8, 3, device="cuda"), RuntimeError, r"Conv2d: .*CPU only"),
])
def test_bad_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("name, x, weight, bias, message", [
    ("conv2d", (1, 3, 8, 8), (4, 3, 3, 3), (5,),
     r"conv2d: given weight of shape \(4, 3, 3, 3\), expected bias to be 1-D with 4 elements, "
     r"got bias of shape \(5,\)"),
    ("conv1d", (1, 3, 8), (4, 3, 3), (4, 1), r"conv1d: .*4 elements, got bias of shape \(4, 1\)"),
    ("conv_transpose1d", (1, 3, 8), (3, 4, 3), (3,),
     r"conv_transpose1d: given weight of shape \(3, 4, 3\), expected bias to be 1-D with 4 "
     r"elements, got bias of shape \(3,\)"),
])
def test_a_bias_of_the_wrong_shape_names_the_conv(name, x, weight, bias, message):
    for lib in (torch, cr):   # torch refuses it too
        with pytest.raises(RuntimeError, match=message if lib is cr else None):
            getattr(lib.nn.functional, name)(lib.ones(*x), lib.ones(*weight), lib.ones(*bias))


def test_outputs_flatten_with_view_as_in_torch_models():
    """Convolution outputs are batch-last in memory (see chainrule.ops.conv); the idiom
    x.view(x.shape[0], -1) of torch models (MNIST-1D's CNN, LeNet) still needs no copy."""
    ours, theirs = both("Conv1d", 1, 25, 5, stride=2, padding=1)
    ours.load_state_dict(theirs.state_dict())
    x = np.random.default_rng(5).standard_normal((4, 1, 40)).astype(np.float32)
    out, expected = ours(cr.tensor(x)).relu(), theirs(torch.tensor(x)).relu()
    flat = out.view(out.shape[0], -1)
    assert np.shares_memory(flat.detach().numpy(), out.detach().numpy())
    np.testing.assert_allclose(flat.detach().numpy(),
                               expected.view(expected.shape[0], -1).detach().numpy(), atol=1e-6)
