"""Gradient clipping (nn.utils.clip_grad_norm_, clip_grad_value_ and their parts) against torch:
the total norm returned and the gradients left, for each norm type, dtype and case."""
import math
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.utils as utils

SHAPES = [(3, 4), (4,), (2, 2, 2)]


def with_grads(L, dtype, scale=1.0, seed=0, extra=None):
    """Three parameters with gradients (and one without), the same in both libraries."""
    rng = np.random.default_rng(seed)
    params = []
    for shape in SHAPES:
        p = (torch.zeros(shape, dtype=getattr(torch, dtype), requires_grad=True) if L is torch
             else cr.nn.Parameter(cr.zeros(*shape, dtype=dtype)))
        grad = (rng.normal(size=shape) * scale).astype(dtype)
        p.grad = torch.tensor(grad) if L is torch else cr.tensor(grad)
        params.append(p)
    if extra is not None:
        params[0].grad[0, 0] = extra
    no_grad = torch.zeros(2, requires_grad=True) if L is torch else cr.nn.Parameter(cr.zeros(2))
    return params + [no_grad]


def grads_of(params):
    return [p.grad.numpy() for p in params if p.grad is not None]


@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 1e-5)])
@pytest.mark.parametrize("norm_type", [2.0, 1, math.inf, -math.inf, 0.5, 3.0, 0])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm, dtype, rtol):
    ours, theirs = with_grads(cr, dtype), with_grads(torch, dtype)
    total = utils.clip_grad_norm_(ours, max_norm, norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, cr.Tensor) and total.shape == () and total.dtype == dtype
    np.testing.assert_allclose(total.item(), expected.item(), rtol=rtol)
    for got, want in zip(grads_of(ours), grads_of(theirs), strict=True):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * 1e-3)


def test_clipping_rescales_to_max_norm_and_leaves_small_gradients_alone():
    params = with_grads(cr, "float64", scale=10.0)
    before = [g.copy() for g in grads_of(params)]
    total = utils.clip_grad_norm_(params, 1.0)
    after = utils.get_total_norm([p.grad for p in params if p.grad is not None])
    assert total.item() > 10 and after.item() == pytest.approx(1.0, rel=1e-5)
    utils.clip_grad_norm_(params, 2.0)   # already below: the coefficient is clamped to 1
    for got, old in zip(grads_of(params), before):
        np.testing.assert_allclose(got, old / total.item(), rtol=1e-5)


def test_one_tensor_an_empty_list_and_an_empty_generator():
    p = cr.nn.Parameter(cr.tensor([3.0, 4.0]))
    p.grad = cr.tensor([3.0, 4.0])
    assert utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), [0.6, 0.8], rtol=1e-5)
    assert utils.clip_grad_norm_([], 1.0).item() == 0.0
    with pytest.warns(UserWarning, match="empty generator"):
        utils.clip_grad_norm_((q for q in []), 1.0)


@pytest.mark.parametrize("bad", [math.inf, math.nan])
def test_a_non_finite_norm_raises_on_request_and_otherwise_scales_as_torch(bad):
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_(with_grads(cr, "float64", extra=bad), 1.0, error_if_nonfinite=True)
    ours, theirs = with_grads(cr, "float64", extra=bad), with_grads(torch, "float64", extra=bad)
    np.testing.assert_equal(utils.clip_grad_norm_(ours, 1.0).item(),
                            torch.nn.utils.clip_grad_norm_(theirs, 1.0).item())
    for got, want in zip(grads_of(ours), grads_of(theirs)):
        np.testing.assert_equal(got, want)


def test_clipping_changes_the_gradients_in_place_and_bumps_their_versions():
    params = with_grads(cr, "float64", scale=10.0)
    arrays, versions = [p.grad.array for p in params[:3]], [p.grad._version[0] for p in params[:3]]
    utils.clip_grad_norm_(params, 1.0)
    utils.clip_grad_value_(params, 0.1)
    for p, array, version in zip(params, arrays, versions):
        assert p.grad.array is array and p.grad._version[0] == version + 2


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("clip_value", [0.3, 5.0])
def test_clip_grad_value_matches_torch(clip_value, dtype):
    ours, theirs = with_grads(cr, dtype), with_grads(torch, dtype)
    assert utils.clip_grad_value_(ours, clip_value) is None
    torch.nn.utils.clip_grad_value_(theirs, clip_value)
    for got, want in zip(grads_of(ours), grads_of(theirs), strict=True):
        np.testing.assert_array_equal(got, want)
        assert np.abs(got).max() <= clip_value


def test_the_parts_and_the_deprecated_name_match_torch():
    ours, theirs = with_grads(cr, "float64"), with_grads(torch, "float64")
    total = utils.get_total_norm([p.grad for p in ours[:3]], 3.0)
    expected = torch.nn.utils.get_total_norm([p.grad for p in theirs[:3]], 3.0)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    utils.clip_grads_with_norm_(ours, 0.1, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.1, expected)
    for got, want in zip(grads_of(ours), grads_of(theirs)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.warns(FutureWarning, match="deprecated"):
        utils.clip_grad_norm(ours, 1.0)


def test_a_norm_type_that_is_not_a_number_is_named():
    p = cr.nn.Parameter(cr.ones(2))
    p.grad = cr.ones(2)
    with pytest.raises(RuntimeError, match="get_total_norm: norm_type must be a number .*, got "
                                           "'fro2'"):
        utils.clip_grad_norm_([p], 1.0, norm_type="fro2")


def test_clip_grad_value_refuses_a_negative_clip_value():
    # torch raises an obscure RuntimeError; clamping into [1, -1] would set every entry to -1
    p = cr.nn.Parameter(cr.ones(2))
    p.grad = cr.tensor([0.5, -3.0])
    with pytest.raises(RuntimeError, match="clip_grad_value_: clip_value must be non-negative, got "
                                           "-1.0"):
        utils.clip_grad_value_([p], -1.0)
    assert p.grad.tolist() == [0.5, -3.0]


@pytest.mark.parametrize("norm_type", [2.0, 3.0])
def test_a_norm_beyond_the_dtypes_range_is_inf_silently_as_torch(norm_type):
    ours, theirs = with_grads(cr, "float64", scale=1e200), with_grads(torch, "float64", scale=1e200)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)   # NumPy's "overflow encountered"
        total = utils.clip_grad_norm_(ours, 1.0, norm_type)
    assert total.item() == torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type).item() == math.inf
    for got, want in zip(grads_of(ours), grads_of(theirs)):
        np.testing.assert_equal(got, want)
