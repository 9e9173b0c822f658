"""F.interpolate, Upsample, UpsamplingNearest2d and UpsamplingBilinear2d against torch: outputs
and gradients (float64 and float32), a sweep of sizes and scale factors that must pick torch's
source indices exactly, reprs, gradcheck and double backward, and the errors torch raises."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.nn.upsampling import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from tests.nn.helpers import assert_matches_torch

# (constructor keyword arguments, input shape)
UPSAMPLES = [
    (dict(scale_factor=2), (2, 3, 4, 5)),
    (dict(scale_factor=2, mode="nearest"), (2, 3, 5)),
    (dict(size=(3, 7)), (1, 2, 5, 4)),                                       # down and up
    (dict(scale_factor=(1.5, 2.5, 0.7), mode="nearest"), (1, 2, 3, 4, 5)),
    (dict(scale_factor=1.7, mode="nearest-exact"), (2, 2, 4, 3)),
    (dict(size=9, mode="nearest-exact"), (1, 2, 4)),
    (dict(scale_factor=2, mode="linear"), (2, 3, 5)),
    (dict(size=4, mode="linear", align_corners=True), (2, 3, 7)),
    (dict(scale_factor=2, mode="bilinear"), (2, 3, 4, 5)),
    (dict(scale_factor=2, mode="bilinear", align_corners=True), (2, 3, 4, 5)),
    (dict(size=(5, 3), mode="bilinear"), (1, 2, 3, 6)),
    (dict(scale_factor=(0.6, 1.3), mode="bilinear"), (1, 2, 7, 5)),
    (dict(scale_factor=1.7, mode="bilinear", recompute_scale_factor=True), (1, 2, 4, 3)),
    (dict(size=(1, 4), mode="bilinear", align_corners=True), (1, 2, 3, 3)),   # one output row
    (dict(scale_factor=2, mode="trilinear"), (1, 2, 2, 3, 2)),
    (dict(size=(3, 2, 4), mode="trilinear", align_corners=True), (1, 2, 4, 3, 2)),
    (dict(scale_factor=2, mode="bicubic"), (1, 2, 3, 4)),
    (dict(size=(5, 7), mode="bicubic", align_corners=True), (2, 1, 4, 3)),
    (dict(size=(2, 3), mode="bicubic"), (1, 2, 5, 7)),
    (dict(size=(3, 2), mode="area"), (1, 2, 6, 5)),
    (dict(scale_factor=0.5, mode="area"), (2, 2, 8)),
]


@pytest.mark.parametrize("kwargs, shape", UPSAMPLES, ids=[str(k) for k, _ in UPSAMPLES])
def test_upsample_matches_torch(kwargs, shape):
    ours, theirs = Upsample(**kwargs), torch.nn.Upsample(**kwargs)
    assert repr(ours) == repr(theirs)
    assert_matches_torch(ours, theirs, [np.random.default_rng(0).standard_normal(shape)])


@pytest.mark.parametrize("ours, theirs, shape", [
    (UpsamplingNearest2d(scale_factor=2), torch.nn.UpsamplingNearest2d(scale_factor=2),
     (2, 3, 3, 4)),
    (UpsamplingNearest2d(size=(5, 6)), torch.nn.UpsamplingNearest2d(size=(5, 6)), (1, 2, 3, 4)),
    (UpsamplingBilinear2d(scale_factor=3), torch.nn.UpsamplingBilinear2d(scale_factor=3),
     (1, 2, 3, 2)),
    (UpsamplingBilinear2d(size=5), torch.nn.UpsamplingBilinear2d(size=5), (2, 1, 3, 4)),
], ids=repr)
def test_fixed_mode_layers_match_torch(ours, theirs, shape):
    assert repr(ours) == repr(theirs)
    assert_matches_torch(ours, theirs, [np.random.default_rng(1).standard_normal(shape)])


def _sweep(mode, dims, align_corners=None):
    """Every (input size, output size or scale factor) pair of a grid, in both precisions."""
    rng = np.random.default_rng(2)
    specs = ([dict(size=n) for n in (1, 2, 3, 5, 8, 13, 21)]
             + [dict(scale_factor=s) for s in (0.3, 0.5, 2 / 3, 1.0001, 1.2, 2, 2.0001, 2.5, 3.1)]
             + [dict(scale_factor=s, recompute_scale_factor=True) for s in (0.7, 1.3, 2.5)])
    for dtype in ("float32", "float64"):
        for n in (2, 3, 5, 7, 10):
            for spec in specs:
                x = rng.standard_normal((1, 2) + (n,) * dims).astype(dtype)
                if min(n * spec.get("scale_factor", 1), spec.get("size", 1)) < 1:
                    continue
                yield x, dict(spec, mode=mode, align_corners=align_corners)


@pytest.mark.parametrize("mode, dims", [("nearest", 1), ("nearest", 2), ("nearest", 3),
                                        ("nearest-exact", 1), ("nearest-exact", 2),
                                        ("nearest-exact", 3)])
def test_nearest_picks_exactly_torchs_indices(mode, dims):
    # torch's 2-D nearest has two CPU kernels (outputs with H + W <= 128 take the vectorized one)
    # that round differently; the sweep covers both, and 2-D outputs past 128 below
    cases = list(_sweep(mode, dims))
    if dims == 2:
        rng = np.random.default_rng(3)
        cases += [(rng.standard_normal(shape), dict(scale_factor=s, mode=mode))
                  for shape in ((1, 2, 40, 70), (1, 2, 64, 64), (1, 2, 64, 65))
                  for s in (1.0001, 2.0001, 1.2, 0.7)]
    for x, kwargs in cases:
        out = F.interpolate(cr.tensor(x), **kwargs).numpy()
        expected = torch.nn.functional.interpolate(torch.tensor(x), **kwargs).numpy()
        np.testing.assert_array_equal(out, expected, err_msg=f"{x.shape} {x.dtype} {kwargs}")


@pytest.mark.parametrize("mode, dims", [("linear", 1), ("bilinear", 2), ("bicubic", 2),
                                        ("trilinear", 3)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_linear_modes_match_torch_over_a_sweep(mode, dims, align_corners):
    for x, kwargs in _sweep(mode, dims, align_corners):
        if dims == 3 and x.shape[-1] > 5:
            continue
        out = F.interpolate(cr.tensor(x), **kwargs).numpy()
        expected = torch.nn.functional.interpolate(torch.tensor(x), **kwargs).numpy()
        tolerance = 1e-5 if x.dtype == np.float32 else 1e-12
        np.testing.assert_allclose(out, expected, rtol=tolerance, atol=tolerance,
                                   err_msg=f"{x.shape} {x.dtype} {kwargs}")


@pytest.mark.parametrize("kwargs, shape", [
    (dict(scale_factor=1.5, mode="nearest"), (1, 2, 3, 2)),
    (dict(size=5, mode="linear"), (1, 2, 3)),
    (dict(scale_factor=(1.6, 0.8), mode="bilinear"), (1, 1, 3, 4)),
    (dict(size=(4, 3), mode="bilinear", align_corners=True), (1, 1, 3, 2)),
    (dict(scale_factor=1.5, mode="bicubic"), (1, 1, 3, 3)),
    (dict(size=(2, 3, 2), mode="trilinear"), (1, 1, 2, 2, 3)),
])
def test_gradcheck_and_double_backward(kwargs, shape):
    x = cr.tensor(np.random.default_rng(4).standard_normal(shape), requires_grad=True)

    def fn(t):
        return F.interpolate(t, **kwargs)
    assert gradcheck(fn, (x,))
    assert gradgradcheck(lambda t: fn(t * t), (x,))


def test_integer_inputs_take_the_nearest_modes_and_keep_their_dtype():
    x = np.arange(12).reshape(1, 1, 3, 4)
    out = F.interpolate(cr.tensor(x), scale_factor=1.5)
    assert out.dtype == cr.int64
    # torch's CPU kernel takes no int64; its float result holds the same values
    expected = torch.nn.functional.interpolate(torch.tensor(x, dtype=torch.float64),
                                               scale_factor=1.5)
    np.testing.assert_array_equal(out.numpy(), expected.numpy())


def test_the_deprecated_spellings_warn_and_call_interpolate():
    x = np.random.default_rng(5).standard_normal((1, 2, 3, 3))
    for ours, theirs in [(F.upsample, torch.nn.functional.upsample),
                         (F.upsample_nearest, torch.nn.functional.upsample_nearest),
                         (F.upsample_bilinear, torch.nn.functional.upsample_bilinear)]:
        with pytest.warns(UserWarning, match="deprecated"):
            out = ours(cr.tensor(x), scale_factor=2)
        with pytest.warns(UserWarning):
            expected = theirs(torch.tensor(x), scale_factor=2)
        np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)


@pytest.mark.parametrize("kwargs, shape, error, message", [
    (dict(scale_factor=2, mode="nearest", align_corners=True), (1, 1, 4), ValueError,
     r"align_corners can only be set with the interpolating modes .* not 'nearest'"),
    (dict(size=4, scale_factor=2), (1, 1, 4), ValueError,
     "give exactly one of size and scale_factor, got both"),
    (dict(), (1, 1, 4), ValueError, "give exactly one of size and scale_factor, got neither"),
    (dict(scale_factor=2), (4, 4), NotImplementedError,
     r"expected a 3-D, 4-D or 5-D input \(N, C, ...\), got shape \(4, 4\)"),
    (dict(scale_factor=2, mode="bilinear"), (1, 2, 4), NotImplementedError,
     r"mode 'bilinear' needs a 4-D input, got shape \(1, 2, 4\)"),
    (dict(scale_factor=2, mode="linear"), (1, 2, 4, 4), NotImplementedError,
     r"mode 'linear' needs a 3-D input, got shape \(1, 2, 4, 4\)"),
    (dict(scale_factor=2, mode="cubic"), (1, 2, 4, 4), NotImplementedError,
     r"mode 'cubic' is not supported"),
    (dict(size=(3, 4)), (1, 2, 4), ValueError,
     r"the input has 1 spatial dims \[4\] but size has 2 entries"),
    (dict(scale_factor=(2, 2, 2)), (1, 2, 4, 4), ValueError,
     r"the input has 2 spatial dims \[4, 4\] but scale_factor has 3 entries"),
    (dict(size=2.5), (1, 2, 4), TypeError, "size must be an int or a tuple of 1 ints"),
    (dict(scale_factor=0.1), (1, 2, 4, 4), RuntimeError,
     r"output sizes should be greater than 0, but got input spatial size \[4, 4\] and output "
     r"size \[0, 0\]"),
    (dict(size=3, recompute_scale_factor=True), (1, 2, 4), ValueError,
     "recompute_scale_factor is not meaningful with an explicit size"),
])
def test_bad_arguments_are_refused_with_torchs_error_types(kwargs, shape, error, message):
    with pytest.raises(error, match=message):
        F.interpolate(cr.ones(*shape), **kwargs)
    with pytest.raises(error):   # torch refuses each of these with the same type
        torch.nn.functional.interpolate(torch.ones(*shape), **kwargs)


def test_antialias_is_refused_saying_it_is_not_implemented():
    # torch has it (a Pillow-like filter when downsampling); chainrule does not yet
    with pytest.raises(NotImplementedError, match="antialias=True is not implemented"):
        F.interpolate(cr.ones(1, 2, 4, 4), scale_factor=0.5, mode="bilinear", antialias=True)


def test_non_tensor_and_integer_inputs_are_refused():
    with pytest.raises(TypeError,
                       match="interpolate: expected a Tensor as argument 0, got numpy.ndarray"):
        F.interpolate(np.ones((1, 1, 2, 2)), scale_factor=2)
    with pytest.raises(RuntimeError, match="mode 'bilinear' needs a floating input, got int64"):
        F.interpolate(cr.ones(1, 1, 2, 2, dtype=cr.int64), scale_factor=2, mode="bilinear")


# ----- the layers together, as the programs that use them build them -----------------------------
def espcn(nn):
    """Shi et al. 2016's sub-pixel super-resolution net, small: features, then PixelShuffle."""
    return nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.Tanh(), nn.Conv2d(8, 4, 3, padding=1),
                         nn.PixelShuffle(2))


def style_block(nn):
    """Johnson et al. 2016's fast style transfer pieces: reflection-padded convolutions, instance
    norm, and an upsampling convolution (nearest Upsample, then Conv2d)."""
    return nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(3, 4, 3),
                         nn.InstanceNorm2d(4, affine=True), nn.ReLU(),
                         nn.Upsample(scale_factor=2, mode="nearest"), nn.ReflectionPad2d(1),
                         nn.Conv2d(4, 3, 3))


def decoder(nn):
    """A GAN generator's or U-Net's upsampling path: bilinear Upsample, zero padding, conv."""
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True),
                         nn.ZeroPad2d((1, 0, 1, 0)), nn.Conv2d(2, 2, 2),
                         nn.UpsamplingNearest2d(scale_factor=1.5),
                         nn.ReplicationPad2d((0, 1, 1, 0)), nn.PixelUnshuffle(2))


@pytest.mark.parametrize("build, shape", [(espcn, (2, 1, 6, 6)), (style_block, (2, 3, 5, 4)),
                                          (decoder, (2, 2, 3, 3))],
                         ids=["espcn", "style", "decoder"])
def test_models_built_from_these_layers_compute_as_torch(build, shape):
    torch.manual_seed(0)
    ours, theirs = build(cr.nn), build(torch.nn)
    assert repr(ours) == repr(theirs)
    assert_matches_torch(ours, theirs, [np.random.default_rng(6).standard_normal(shape)])
