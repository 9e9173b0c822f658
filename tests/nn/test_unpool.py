"""LPPool1d/2d/3d and MaxUnpool1d/2d/3d against torch: outputs, gradients, reprs, and the errors for
indices that do not fit the output."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn import unpool as layers
from tests.nn.helpers import assert_matches_torch


@pytest.mark.parametrize("name, args, kwargs, input_shape", [
    ("LPPool2d", (2, 3), {}, (2, 3, 8, 9)),
    ("LPPool2d", (4, (2, 3), (1, 2)), dict(ceil_mode=True), (2, 3, 8, 9)),
    ("LPPool2d", (1.5, 2), {}, (3, 6, 4)),
    ("LPPool1d", (2, 3, 2), {}, (2, 3, 9)),
    ("LPPool1d", (3, 2), {}, (4, 8)),
    ("LPPool3d", (2, 2), {}, (1, 2, 4, 5, 4)),
    ("LPPool3d", (3, (2, 1, 2), 1), dict(ceil_mode=True), (2, 3, 4, 5)),
    ("LPPool2d", (float("inf"), 2), {}, (2, 3, 6, 5)),
    ("LPPool1d", (float("-inf"), 3, 2), {}, (2, 3, 9)),
])
def test_lp_pool_matches_torch(name, args, kwargs, input_shape):
    ours, theirs = getattr(layers, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    # positive entries: a fractional power of a negative window sum is NaN in both libraries
    x = np.random.default_rng(1).uniform(0.1, 2.0, input_shape)
    assert_matches_torch(ours, theirs, [x])


@pytest.mark.parametrize("dims, shape, kwargs, output_size", [
    (1, (2, 3, 8), {}, None),
    (1, (2, 3, 9), dict(stride=2, padding=1), (9,)),
    (2, (2, 3, 8, 6), {}, None),
    (2, (3, 8, 7), {}, (8, 7)),                          # unbatched, odd width: output_size
    (2, (1, 2, 9, 8), dict(stride=2, padding=1), (1, 2, 9, 8)),
    (3, (1, 2, 4, 6, 4), {}, None),
])
def test_max_unpool_inverts_max_pool_as_torch(dims, shape, kwargs, output_size):
    kernel = 3 if "padding" in kwargs else 2
    x = torch.tensor(np.random.default_rng(2).standard_normal(shape))
    pooled, indices = getattr(torch.nn.functional, f"max_pool{dims}d")(
        x, kernel, return_indices=True, **kwargs)
    name = f"MaxUnpool{dims}d"
    ours = getattr(layers, name)(kernel, **kwargs)
    theirs = getattr(torch.nn, name)(kernel, **kwargs)
    assert repr(ours) == repr(theirs)
    p_ours = cr.tensor(pooled.numpy(), requires_grad=True)
    p_theirs = pooled.clone().requires_grad_()
    out = ours(p_ours, cr.tensor(indices.numpy()), output_size)
    expected = theirs(p_theirs, indices, output_size)
    np.testing.assert_array_equal(out.detach().numpy(), expected.detach().numpy())
    upstream = np.random.default_rng(3).standard_normal(expected.shape)
    out.backward(cr.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    np.testing.assert_array_equal(p_ours.grad.numpy(), p_theirs.grad.numpy())


def test_max_unpool_refuses_indices_outside_the_output():
    x = torch.randn(1, 1, 8, 7)
    pooled, indices = torch.nn.functional.max_pool2d(x, 2, return_indices=True)
    with pytest.raises(RuntimeError, match=r"max_unpool2d: found an invalid max index 5\d"):
        cr.nn.functional.max_unpool2d(cr.tensor(pooled.numpy()), cr.tensor(indices.numpy()), 2)
    with pytest.raises(ValueError, match=r"max_unpool2d: invalid output_size \(12, 12\)"):
        cr.nn.functional.max_unpool2d(cr.tensor(pooled.numpy()), cr.tensor(indices.numpy()), 2,
                                      output_size=(12, 12))
    with pytest.raises(RuntimeError, match=r"max_unpool2d: .*indices of its shape"):
        cr.nn.functional.max_unpool2d(cr.tensor(pooled.numpy()), cr.zeros(1, 1, 2, 2).long(), 2)


def test_max_unpool_takes_chainrules_own_max_pool_indices():
    x = cr.tensor(np.random.default_rng(4).standard_normal((2, 3, 6, 8)))
    pooled, indices = cr.nn.functional.max_pool2d(x, 2, return_indices=True)
    restored = cr.nn.MaxUnpool2d(2)(pooled, indices)
    expected = torch.nn.functional.max_unpool2d(torch.tensor(pooled.numpy()),
                                                torch.tensor(indices.numpy()), 2)
    np.testing.assert_array_equal(restored.numpy(), expected.numpy())
