"""PixelShuffle and PixelUnshuffle against torch: outputs, gradients, reprs, round trips, the
batch dims they accept and the errors for channels or sizes that do not divide."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.nn.pixelshuffle import PixelShuffle, PixelUnshuffle
from tests.nn.helpers import assert_matches_torch


@pytest.mark.parametrize("name, factor, shape", [
    ("PixelShuffle", 2, (2, 8, 3, 4)),
    ("PixelShuffle", 3, (1, 9, 2, 2)),
    ("PixelShuffle", 2, (12, 2, 3)),               # unbatched
    ("PixelShuffle", 2, (2, 3, 4, 2, 1)),          # extra batch dims
    ("PixelShuffle", 1, (2, 3, 2, 2)),
    ("PixelUnshuffle", 2, (2, 3, 4, 6)),
    ("PixelUnshuffle", 3, (2, 6, 3)),              # unbatched
    ("PixelUnshuffle", 2, (2, 1, 2, 4, 2)),
])
def test_layers_match_torch(name, factor, shape):
    ours = {"PixelShuffle": PixelShuffle, "PixelUnshuffle": PixelUnshuffle}[name](factor)
    theirs = getattr(torch.nn, name)(factor)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal(shape)
    assert_matches_torch(ours, theirs, [x])


def test_unshuffle_undoes_shuffle_and_integer_inputs_keep_their_dtype():
    x = cr.arange(2 * 18 * 2 * 3).reshape(2, 18, 2, 3)
    shuffled = F.pixel_shuffle(x, 3)
    assert shuffled.shape == (2, 2, 6, 9) and shuffled.dtype == cr.int64
    np.testing.assert_array_equal(F.pixel_unshuffle(shuffled, 3).numpy(), x.numpy())
    np.testing.assert_array_equal(
        shuffled.numpy(), torch.nn.functional.pixel_shuffle(torch.tensor(x.numpy()), 3).numpy())


def test_gradcheck_and_double_backward():
    x = cr.tensor(np.random.default_rng(1).standard_normal((1, 4, 2, 3)), requires_grad=True)
    assert gradcheck(lambda t: F.pixel_shuffle(t, 2), (x,))
    assert gradgradcheck(lambda t: F.pixel_unshuffle(F.pixel_shuffle(t, 2) * 2, 2), (x,))


@pytest.mark.parametrize("call, message", [
    (lambda: F.pixel_shuffle(cr.ones(2, 5, 3, 3), 2),
     r"pixel_shuffle expects its input's 'channel' dimension to be divisible by the square of "
     r"upscale_factor \(4\), but input.size\(-3\)=5 is not \(input shape \(2, 5, 3, 3\)\)"),
    (lambda: F.pixel_shuffle(cr.ones(4, 3), 2),
     r"pixel_shuffle expects input to have at least 3 dimensions, but got input of shape \(4, 3\)"),
    (lambda: F.pixel_shuffle(cr.ones(4, 3, 3), 0),
     r"pixel_shuffle expects a positive integer upscale_factor, but got 0"),
    (lambda: F.pixel_shuffle(cr.ones(4, 3, 3), 2.0),
     r"pixel_shuffle expects a positive integer upscale_factor, but got 2.0"),
    (lambda: F.pixel_unshuffle(cr.ones(2, 1, 5, 4), 2),
     r"pixel_unshuffle expects height to be divisible by downscale_factor \(2\), but "
     r"input.size\(-2\)=5 is not \(input shape \(2, 1, 5, 4\)\)"),
    (lambda: F.pixel_unshuffle(cr.ones(2, 1, 4, 5), 2),
     r"pixel_unshuffle expects width to be divisible by downscale_factor \(2\), but "
     r"input.size\(-1\)=5"),
    (lambda: PixelUnshuffle(-1)(cr.ones(1, 4, 4)),
     r"pixel_unshuffle expects a positive integer downscale_factor, but got -1"),
])
def test_bad_inputs_are_refused_naming_the_shapes(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


def test_a_numpy_array_is_refused():
    with pytest.raises(TypeError,
                       match="pixel_shuffle: expected a Tensor as argument 0, got numpy.ndarray"):
        F.pixel_shuffle(np.ones((1, 4, 2, 2)), 2)
