"""Regressions found in review, each against torch 2.13: values, gradients, dtypes, aliasing."""
import numpy as np
import pytest
import torch

import chainrule as cr


def both(values, dtype="float64", requires_grad=True):
    return (cr.tensor(np.array(values, dtype=dtype), requires_grad=requires_grad),
            torch.tensor(np.array(values, dtype=dtype), requires_grad=requires_grad))


@pytest.mark.parametrize("fn", [
    lambda L, x: (x ** 0).sum(),
    lambda L, x: (x.reshape(3, 1) ** L.arange(3)).sum(),
    lambda L, x: (L.zeros(3, dtype=x.dtype) ** x).sum(),
], ids=["x**0", "polynomial features", "0**x"])
def test_pow_gradient_at_zero_is_torchs(fn):
    ours, theirs = both([0.0, 1.0, 2.0])
    fn(cr, ours).backward()
    fn(torch, theirs).backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())


def test_max_with_nan_sends_the_gradient_to_the_nan():
    ours, theirs = both([1.0, float("nan"), 3.0, 2.0])
    ours.max().backward()
    theirs.max().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_a_float64_seed_gives_a_float32_leaf_a_float32_gradient():
    x = cr.ones(3, requires_grad=True)
    x.exp().backward(cr.ones(3, dtype=cr.float64))
    assert x.grad.dtype == cr.float32


def test_recorded_in_place_keeps_the_dtype_or_refuses():
    x = cr.ones(3, requires_grad=True)
    y = x * 2
    y.add_(cr.ones(3, dtype=cr.float64, requires_grad=True))
    assert y.dtype == cr.float32
    a = cr.zeros(3, dtype=cr.int64)
    with pytest.raises(RuntimeError, match="add_: cannot write a float32 result into a int64"):
        a.add_(cr.ones(3, requires_grad=True))


def test_recorded_in_place_into_a_view_of_a_live_base_is_refused():
    b = cr.zeros(4)
    v = b[:2]
    with pytest.raises(RuntimeError, match="is a view of another live tensor"):
        v.add_(cr.ones(2, requires_grad=True))
    a = cr.ones(3, requires_grad=True)
    y = a * 2
    v = y[:2]
    y.mul_(3)   # the base may change: the view keeps its value and its history, consistently
    y.sum().backward(retain_graph=True)
    assert a.grad.numpy().tolist() == [6.0, 6.0, 6.0]
    assert v.detach().numpy().tolist() == [2.0, 2.0]


def test_create_graph_and_retained_gradients_own_their_memory():
    x, w = cr.ones(3, requires_grad=True), cr.ones(3, requires_grad=True)
    seed = cr.ones(3)
    (x + w).backward(seed, create_graph=True)
    with cr.no_grad():
        x.grad.mul_(5)
    assert w.grad.detach().numpy().tolist() == [1, 1, 1] and seed.numpy().tolist() == [1, 1, 1]
    z = cr.ones(3, requires_grad=True)
    z.sum().backward(create_graph=True)
    with cr.no_grad():
        z.grad.zero_()   # was a read-only broadcast array
    y = x * 2
    y.retain_grad()
    seed = cr.ones(3)
    y.backward(seed)
    seed[0] = 7
    assert y.grad.numpy().tolist() == [1, 1, 1]


def test_tensor_of_a_tensor_is_a_copy():
    a = cr.ones(3)
    b = cr.tensor(a)
    b[0] = 5
    assert a.numpy().tolist() == [1, 1, 1]


def test_a_numpy_error_that_is_not_about_broadcasting_says_what_it_is():
    with pytest.raises(RuntimeError, match="pow: Integers to negative integer powers"):
        cr.tensor([2, 3]) ** -1
