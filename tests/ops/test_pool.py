"""Max and average pooling (and adaptive average pooling, built on them): each configuration checked
by the shared harness (NumPy where a window view makes it a one-liner, gradcheck, gradgradcheck,
torch); then ties, the indices return_indices gives, and the errors bad arguments raise."""
import numpy as np
import pytest
import torch
from numpy.lib.stride_tricks import sliding_window_view

import chainrule as cr
import chainrule.nn.functional as F
from tests.ops.harness import Case, OpChecks, distinct, normal


def numpy_pool(reduce, kernel, stride=None):
    """Pooling without padding or ceil_mode: reduce over each window of a window view."""
    stride = stride or kernel

    def reference(x):
        dims = len(kernel)
        windows = sliding_window_view(x, kernel, axis=tuple(range(-dims, 0)))
        windows = windows[(Ellipsis,) + tuple(slice(None, None, s) for s in stride) +
                          (slice(None),) * dims]
        return reduce(windows, axis=tuple(range(-dims, 0)))
    return reference


def pool_case(name, pool, shapes, numpy=None, make=distinct, **kwargs):
    return Case(name, lambda L, x: getattr(L.nn.functional, pool)(x, **kwargs), numpy, shapes,
                make=make)


def pool_gradient(pool, **kwargs):
    """The gradient of a pooling as a function of the input and the upstream gradient v, with
    create_graph: its own gradient is the double backward of the pooling. (Times x, so that x's
    gradient is not zero, which torch and chainrule would report differently: 0 and None.)"""
    def fn(L, x, v):
        out = getattr(L.nn.functional, pool)(x, **kwargs)
        return L.autograd.grad(out, x, v, create_graph=True)[0] * x
    return fn


CASES = [
    pool_case("max_pool2d", "max_pool2d", [((2, 2, 4, 6),), ((1, 1, 5, 5),)],
              numpy_pool(np.max, (2, 2)), kernel_size=2),
    pool_case("max_pool2d_stride", "max_pool2d", [((1, 2, 5, 6),)],
              numpy_pool(np.max, (3, 2), (1, 2)), kernel_size=(3, 2), stride=(1, 2)),
    pool_case("max_pool2d_padding_ceil", "max_pool2d", [((1, 2, 6, 5),)],
              kernel_size=3, stride=2, padding=1, ceil_mode=True),
    pool_case("max_pool2d_ceil_overhang", "max_pool2d", [((1, 1, 5, 4),)],
              kernel_size=2, ceil_mode=True),
    pool_case("max_pool2d_dilation", "max_pool2d", [((1, 2, 6, 5),)],
              kernel_size=(2, 3), stride=(1, 2), padding=(1, 0), dilation=(2, 1)),
    pool_case("max_pool2d_unbatched", "max_pool2d", [((2, 4, 5),)], kernel_size=2, stride=1),
    pool_case("max_pool1d", "max_pool1d", [((2, 3, 7),), ((1, 1, 2),)],
              numpy_pool(np.max, (2,)), kernel_size=2),
    pool_case("max_pool1d_all_options", "max_pool1d", [((2, 2, 9),)],
              kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True),
    pool_case("max_pool1d_unbatched", "max_pool1d", [((3, 6),)], kernel_size=3, stride=2),
    pool_case("max_pool3d", "max_pool3d", [((1, 1, 3, 4, 3),)], kernel_size=2, stride=1),
    Case("max_pool2d_indices", lambda L, x: L.nn.functional.max_pool2d(
        x, 3, 2, 1, ceil_mode=True, return_indices=True)[1], None, [((2, 2, 6, 5),)],
         make=distinct, differentiable=False),
    Case("max_pool1d_indices", lambda L, x: L.nn.functional.max_pool1d(
        x, 2, 1, dilation=2, return_indices=True)[1], None, [((2, 3, 7),)],
         make=distinct, differentiable=False),
    Case("max_pool2d_gradient", pool_gradient("max_pool2d", kernel_size=2, stride=1),
         None, [((1, 2, 3, 3), (1, 2, 2, 2))], make=(distinct, normal)),
    Case("max_pool2d_gradient_padded", pool_gradient("max_pool2d", kernel_size=3, stride=2,
                                                     padding=1),
         None, [((1, 1, 4, 3), (1, 1, 2, 2))], make=(distinct, normal)),
    pool_case("avg_pool2d", "avg_pool2d", [((2, 2, 4, 6),), ((1, 1, 3, 3),)],
              numpy_pool(np.mean, (2, 3)), make=normal,
              kernel_size=(2, 3)),
    pool_case("avg_pool2d_stride", "avg_pool2d", [((1, 2, 5, 6),)],
              numpy_pool(np.mean, (3, 2), (1, 2)), kernel_size=(3, 2), stride=(1, 2)),
    pool_case("avg_pool2d_padding", "avg_pool2d", [((1, 2, 5, 4),)],
              kernel_size=3, stride=2, padding=1),
    pool_case("avg_pool2d_exclude_pad", "avg_pool2d", [((1, 2, 5, 4),)],
              kernel_size=3, stride=2, padding=1, count_include_pad=False),
    pool_case("avg_pool2d_ceil", "avg_pool2d", [((1, 2, 6, 5),)],
              kernel_size=3, stride=2, padding=1, ceil_mode=True),
    pool_case("avg_pool2d_ceil_exclude_pad", "avg_pool2d", [((1, 1, 6, 5),)],
              kernel_size=(3, 2), stride=2, padding=1, ceil_mode=True, count_include_pad=False),
    pool_case("avg_pool2d_divisor_override", "avg_pool2d", [((1, 2, 4, 4),)],
              kernel_size=2, padding=1, divisor_override=3),
    pool_case("avg_pool2d_unbatched", "avg_pool2d", [((2, 4, 5),)], kernel_size=2, stride=1),
    pool_case("avg_pool1d", "avg_pool1d", [((2, 3, 7),)], numpy_pool(np.mean, (3,), (2,)),
              kernel_size=3, stride=2),
    pool_case("avg_pool1d_all_options", "avg_pool1d", [((1, 2, 8),)], kernel_size=3, stride=2,
              padding=1, ceil_mode=True, count_include_pad=False),
    pool_case("avg_pool3d", "avg_pool3d", [((1, 1, 3, 4, 3),)], kernel_size=2, padding=1),
    pool_case("adaptive_avg_pool2d_even", "adaptive_avg_pool2d", [((2, 2, 4, 6),)],
              numpy_pool(np.mean, (2, 3)), output_size=2),
    pool_case("adaptive_avg_pool2d_uneven", "adaptive_avg_pool2d", [((1, 2, 5, 7),)],
              output_size=(3, 4)),
    pool_case("adaptive_avg_pool2d_larger", "adaptive_avg_pool2d", [((1, 1, 3, 2),)],
              output_size=(5, 3)),
    pool_case("adaptive_avg_pool2d_none", "adaptive_avg_pool2d", [((1, 2, 5, 3),)],
              output_size=(2, None)),
    pool_case("adaptive_avg_pool2d_global", "adaptive_avg_pool2d", [((2, 3, 3, 3),)],
              lambda x: x.mean((2, 3), keepdims=True), output_size=1),
    pool_case("adaptive_avg_pool2d_unbatched", "adaptive_avg_pool2d", [((2, 5, 4),)],
              output_size=(2, 3)),
    pool_case("adaptive_avg_pool1d", "adaptive_avg_pool1d", [((2, 2, 7),)], output_size=3),
]


class TestPool(OpChecks):
    cases = CASES


# ----- ties: the gradient goes to the first maximum of each window, in scan order, as torch ------
@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
    dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1), ceil_mode=True),
])
def test_max_pool_ties_route_the_gradient_as_torch(kwargs):
    rng = np.random.default_rng(0)
    x = np.maximum(rng.integers(-1, 2, (2, 3, 7, 6)), 0).astype(np.float64)  # ReLU-like zeros
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = F.max_pool2d(ours, **kwargs), torch.nn.functional.max_pool2d(theirs, **kwargs)
    upstream = rng.standard_normal(expected.shape)
    out.backward(cr.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-12)
    indices = F.max_pool2d(ours, return_indices=True, **kwargs)[1]
    expected_indices = torch.nn.functional.max_pool2d(theirs, return_indices=True, **kwargs)[1]
    np.testing.assert_array_equal(indices.numpy(), expected_indices.numpy())


@pytest.mark.parametrize("pool, args", [
    ("max_pool2d", (2,)), ("avg_pool2d", (2,)), ("adaptive_avg_pool2d", (3,)),
    ("adaptive_avg_pool2d", ((2, 4),)),
])
def test_an_empty_batch_gives_an_empty_batch(pool, args):
    """As torch: a batch of 0 passes (only the channel and spatial sizes must be non-zero)."""
    x = np.ones((0, 3, 5, 5))
    ours = getattr(F, pool)(cr.tensor(x), *args)
    assert ours.shape == tuple(getattr(torch.nn.functional, pool)(torch.tensor(x), *args).shape)


def test_max_pool_propagates_nan_and_pools_integers():
    x = cr.tensor([[[1.0, float("nan"), 2.0, 3.0]]])
    assert np.isnan(F.max_pool1d(x, 2).numpy()[0, 0, 0])
    ints = cr.tensor([[[4, -1, 2, 7, 5]]])
    out = F.max_pool1d(ints, 2, padding=1)
    assert out.dtype == cr.int64 and out.tolist() == [[[4, 2, 7]]]


@pytest.mark.parametrize("pool, kwargs", [
    ("max_pool2d", dict(kernel_size=3, stride=2, padding=1, ceil_mode=True)),
    ("avg_pool2d", dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ("adaptive_avg_pool2d", dict(output_size=(5, 3))),
])
@pytest.mark.parametrize("dtype, rtol", [("float32", 1e-5), ("float64", 1e-10)])
def test_larger_pools_match_torch(pool, kwargs, dtype, rtol):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 6, 17, 13)).astype(dtype)
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = getattr(F, pool)(ours, **kwargs)
    expected = getattr(torch.nn.functional, pool)(theirs, **kwargs)
    upstream = rng.standard_normal(expected.shape).astype(dtype)
    out.backward(cr.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=rtol,
                               atol=rtol)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=rtol, atol=rtol)



@pytest.mark.parametrize("kwargs", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)])
@pytest.mark.parametrize("upstream_layout", ["C", "batch last"])
def test_max_pool_of_a_convolution_matches_torch_in_either_gradient_layout(kwargs,
                                                                           upstream_layout):
    """A convolution's output is batch-last in memory; the gradient that reaches the pool may be
    laid out either way (a flatten's is C-ordered): the scatter gives the same gradient."""
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((5, 2, 9, 8)), rng.standard_normal((3, 2, 3, 3))
    ours = [cr.tensor(a, requires_grad=True) for a in (x, w)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w)]
    out = F.max_pool2d(F.conv2d(*ours), **kwargs)
    expected = torch.nn.functional.max_pool2d(torch.nn.functional.conv2d(*theirs), **kwargs)
    upstream = rng.standard_normal(expected.shape)
    if upstream_layout == "batch last":
        upstream = np.moveaxis(np.ascontiguousarray(np.moveaxis(upstream, 0, -1)), -1, 0)
    out.backward(cr.tensor(upstream))
    expected.backward(torch.tensor(np.ascontiguousarray(upstream)))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-10)

# ----- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, error, message", [
    (lambda: F.max_pool2d(cr.ones(1, 1, 4, 4), 2, padding=2), RuntimeError,
     r"max_pool2d: pad should be at most half of effective kernel size, but got pad=2, "
     r"kernel_size=2 and dilation=1"),
    (lambda: F.avg_pool2d(cr.ones(1, 1, 4, 4), 2, padding=2), RuntimeError,
     r"avg_pool2d: pad should be at most half"),
    (lambda: F.max_pool2d(cr.ones(1, 1, 2, 2), 3), RuntimeError,
     r"max_pool2d: input of spatial size \(2, 2\) gives an output of size \(0, 0\), which is too "
     r"small"),
    (lambda: F.max_pool2d(cr.ones(1, 1, 1, 4, 4), 2), RuntimeError,
     r"max_pool2d: expected a 3-D or 4-D \(batched\) input with non-zero channel and spatial "
     r"sizes, got shape \(1, 1, 1, 4, 4\)"),
    (lambda: F.max_pool1d(cr.ones(2, 0, 4), 2), RuntimeError,
     r"max_pool1d: .*non-zero channel and spatial sizes, got shape \(2, 0, 4\)"),
    (lambda: F.max_pool2d(cr.ones(1, 1, 4, 4), (2, 2, 2)), ValueError,
     r"max_pool2d: kernel_size must be an int or a tuple of 2 ints, got \(2, 2, 2\)"),
    (lambda: F.max_pool2d(cr.ones(1, 1, 4, 4), 0), ValueError,
     r"max_pool2d: kernel_size must be at least 1"),
    (lambda: F.avg_pool2d(cr.ones(1, 1, 4, 4, dtype=cr.int64), 2), RuntimeError,
     r"avg_pool2d: expected a floating-point input, got int64"),
    (lambda: F.avg_pool2d(cr.ones(1, 1, 4, 4), 2, divisor_override=0), RuntimeError,
     r"avg_pool2d: divisor_override must be non-zero"),
    (lambda: F.adaptive_avg_pool2d(cr.ones(1, 1, 4, 4), (2, 2, 2)), RuntimeError,
     r"adaptive_avg_pool2d: output_size must have 2 entries, got \(2, 2, 2\)"),
    (lambda: F.adaptive_avg_pool2d(cr.ones(4, 4), 2), RuntimeError,
     r"adaptive_avg_pool2d: expected a 3-D or 4-D \(batched\) input .*, got shape \(4, 4\)"),
    (lambda: F.adaptive_avg_pool2d(cr.ones(1, 4, 4), 0), RuntimeError,
     r"adaptive_avg_pool2d: output_size must be positive"),
])
def test_bad_arguments(call, error, message):
    with pytest.raises(error, match=message):
        call()
