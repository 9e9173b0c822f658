"""affine_grid and grid_sample against torch: outputs and gradients (wrt input and grid) for every
mode (bicubic in 2-D only, as torch), padding mode and align_corners, in 2-D and 3-D;
finite-difference first and second derivatives; the Spatial Transformer tutorial's model; and
the errors for bad shapes and modes."""
import itertools

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck


def _close(ours, theirs):
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-10,
                               atol=1e-12)


@pytest.mark.parametrize("dims, align_corners", list(itertools.product((2, 3), (False, True))))
def test_affine_grid_matches_torch(dims, align_corners):
    rng = np.random.default_rng(dims)
    theta = rng.standard_normal((2, dims, dims + 1))
    size = (2, 3, 4, 5) if dims == 2 else (2, 3, 4, 5, 1)
    ours = cr.tensor(theta, requires_grad=True)
    theirs = torch.tensor(theta, requires_grad=True)
    out = F.affine_grid(ours, size, align_corners=align_corners)
    expected = torch.nn.functional.affine_grid(theirs, size, align_corners=align_corners)
    _close(out, expected)
    upstream = rng.standard_normal(expected.shape)
    out.backward(cr.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    _close(ours.grad, theirs.grad)


@pytest.mark.parametrize("dims, mode, padding_mode, align_corners", [
    case for case in itertools.product((2, 3), ("bilinear", "nearest", "bicubic"),
                                       ("zeros", "border", "reflection"), (False, True, None))
    if case[:2] != (3, "bicubic")])
def test_grid_sample_matches_torch(dims, mode, padding_mode, align_corners):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((2, 3) + (5, 4, 3)[3 - dims:])
    grid = rng.uniform(-1.7, 1.7, (2,) + (4, 3, 2)[3 - dims:] + (dims,))
    grid[0, 0, 0] = 1.0   # exactly on the border
    xs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gs = cr.tensor(grid, requires_grad=True), torch.tensor(grid, requires_grad=True)
    out = F.grid_sample(xs[0], gs[0], mode, padding_mode, align_corners)
    expected = torch.nn.functional.grid_sample(xs[1], gs[1], mode, padding_mode, align_corners)
    _close(out, expected)
    upstream = rng.standard_normal(expected.shape)
    out.backward(cr.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    _close(xs[0].grad, xs[1].grad)
    _close(gs[0].grad, gs[1].grad)


@pytest.mark.parametrize("mode, padding_mode", [
    ("bilinear", "zeros"), ("bilinear", "border"), ("bilinear", "reflection"),
    ("bicubic", "zeros"), ("bicubic", "reflection")])
def test_grid_sample_differentiates_twice(mode, padding_mode):
    rng = np.random.default_rng(3)
    x = cr.tensor(rng.standard_normal((1, 2, 4, 3)), requires_grad=True)
    # away from integer positions, where the bilinear weights have kinks
    grid = cr.tensor(rng.uniform(-1.3, 1.3, (1, 3, 2, 2)), requires_grad=True)

    def sample(x, grid):
        return F.grid_sample(x, grid, mode, padding_mode, align_corners=False)
    assert gradcheck(sample, (x, grid))
    assert gradgradcheck(sample, (x, grid))


def test_affine_grid_differentiates_twice():
    theta = cr.tensor(np.random.default_rng(1).standard_normal((2, 2, 3)), requires_grad=True)
    assert gradgradcheck(lambda t: F.affine_grid(t, (2, 1, 3, 4), False) ** 2, (theta,))


@pytest.mark.parametrize("mode", ["bilinear", "nearest", "bicubic"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_reads_nan_coordinates_as_torch(mode, padding_mode):
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    grid = np.array([[[[np.nan, 0.2], [0.1, 0.3]]]])
    out = F.grid_sample(cr.tensor(x), cr.tensor(grid), mode, padding_mode, align_corners=False)
    expected = torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(grid), mode,
                                               padding_mode, align_corners=False)
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12)


def test_spatial_transformer_round_trip():
    """The identity transform with align_corners=False reads every pixel back, as in torch's
    Spatial Transformer tutorial."""
    x = cr.randn(2, 3, 5, 6)
    theta = cr.tensor([[[1.0, 0, 0], [0, 1, 0]]] * 2)
    out = F.grid_sample(x, F.affine_grid(theta, x.size(), align_corners=False),
                        align_corners=False)
    np.testing.assert_allclose(out.numpy(), x.numpy(), atol=1e-6)


@pytest.mark.parametrize("call, match", [
    (lambda: F.affine_grid(cr.zeros(2, 3, 3), (2, 1, 4, 4)), "affine_grid.*2x3.*3, 3"),
    (lambda: F.affine_grid(cr.zeros(2, 2, 3), (2, 1, 4)), "affine_grid.*4-D and 5-D"),
    (lambda: F.grid_sample(cr.zeros(1, 1, 3, 3), cr.zeros(1, 2, 2, 3)), "grid_sample.*grid"),
    (lambda: F.grid_sample(cr.zeros(1, 3, 3), cr.zeros(1, 2, 2)), "grid_sample.*4-D or 5-D"),
    (lambda: F.grid_sample(cr.zeros(1, 1, 3, 3), cr.zeros(1, 2, 2, 2), mode="cubic"),
     "grid_sample.*mode"),
    (lambda: F.grid_sample(cr.zeros(1, 1, 3, 3), cr.zeros(1, 2, 2, 2), padding_mode="wrap"),
     "grid_sample.*padding_mode"),
    (lambda: F.grid_sample(cr.zeros(1, 1, 2, 3, 3), cr.zeros(1, 2, 2, 2, 3), mode="bicubic"),
     "grid_sample: bicubic interpolation only supports 4D input"),
])
def test_bad_inputs_are_refused(call, match):
    with pytest.raises((RuntimeError, ValueError, NotImplementedError), match=match):
        call()


def _spatial_transformer(nn, F):
    """The localisation net and sampler of PyTorch's Spatial Transformer Networks tutorial, on
    small images."""
    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.localization = nn.Sequential(
                nn.Conv2d(1, 4, kernel_size=3), nn.MaxPool2d(2, stride=2), nn.ReLU(True),
                nn.Conv2d(4, 5, kernel_size=3), nn.MaxPool2d(2, stride=2), nn.ReLU(True))
            self.fc_loc = nn.Sequential(nn.Linear(5 * 2 * 2, 8), nn.ReLU(True), nn.Linear(8, 6))
            self.head = nn.Linear(14 * 14, 3)

        def forward(self, x):
            xs = self.localization(x).view(-1, 5 * 2 * 2)
            theta = self.fc_loc(xs).view(-1, 2, 3)
            grid = F.affine_grid(theta, x.size(), align_corners=False)
            x = F.grid_sample(x, grid, align_corners=False)
            return F.log_softmax(self.head(x.flatten(1)), dim=1)
    return Net()


def test_spatial_transformer_tutorial_model_matches_torch():
    from tests.nn.helpers import assert_matches_torch
    torch.manual_seed(0)
    theirs = _spatial_transformer(torch.nn, torch.nn.functional)
    ours = _spatial_transformer(cr.nn, F)
    images = np.random.default_rng(5).standard_normal((3, 1, 14, 14))
    assert_matches_torch(ours, theirs, [images])
