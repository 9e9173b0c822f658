"""Broadcasting (ops/broadcast.py: broadcast_to, expand, sum_to, and the binary ops built on them),
as properties over random shapes: the forward agrees with NumPy, each input's gradient has that
input's shape and is the upstream gradient summed over the axes broadcasting added or stretched,
and shapes that do not broadcast are refused with both shapes named; then expand's sizes."""
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import chainrule

SETTINGS = settings(max_examples=50, deadline=None)
OPS = {"add": (lambda a, b: a + b, np.add), "mul": (lambda a, b: a * b, np.multiply)}

pairs = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0,
                                      max_side=3)


def summed_to(grad, shape):
    """The specification of a broadcast's gradient: sum over the leading axes broadcasting added
    and over the axes where the input had size 1 and the result did not."""
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape))))
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True)


def leaves(shapes, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(shape) for shape in shapes]
    return arrays, [chainrule.tensor(a, requires_grad=True) for a in arrays]


@pytest.mark.parametrize("name", OPS)
@SETTINGS
@given(shapes=pairs, seed=st.integers(0, 2**16))
def test_forward_matches_numpy(name, shapes, seed):
    op, reference = OPS[name]
    (a, b), (ta, tb) = leaves(shapes.input_shapes, seed)
    out = op(ta, tb)
    assert out.shape == shapes.result_shape
    np.testing.assert_allclose(out.detach().numpy(), reference(a, b), rtol=1e-15)


@pytest.mark.parametrize("name", OPS)
@SETTINGS
@given(shapes=pairs, seed=st.integers(0, 2**16))
def test_gradient_is_the_upstream_summed_over_broadcast_axes(name, shapes, seed):
    op, _ = OPS[name]
    (a, b), (ta, tb) = leaves(shapes.input_shapes, seed)
    upstream = np.random.default_rng(seed + 1).standard_normal(shapes.result_shape)
    op(ta, tb).backward(chainrule.tensor(upstream))
    # d(a + b)/da = 1 and d(a * b)/da = b, each at the broadcast shape, before summing back
    local_a, local_b = (1.0, 1.0) if name == "add" else (b, a)
    for tensor, local in ((ta, local_a), (tb, local_b)):
        assert tensor.grad.shape == tensor.shape
        expected = summed_to(np.broadcast_to(upstream * local, shapes.result_shape), tensor.shape)
        np.testing.assert_allclose(tensor.grad.numpy(), expected, rtol=1e-12, atol=1e-12)


@st.composite
def clashing_shapes(draw):
    """Two shapes that do not broadcast: at one axis both sizes exceed 1 and differ."""
    a = draw(st.lists(st.integers(1, 4), min_size=1, max_size=4))
    axis = draw(st.integers(0, len(a) - 1))
    a[axis] = draw(st.integers(2, 4))
    b = [draw(st.sampled_from([1, size])) for size in a]
    b[axis] = draw(st.sampled_from([n for n in range(2, 6) if n != a[axis]]))
    keep_from = draw(st.integers(0, axis))  # b may lack leading axes, never the clashing one
    shapes = [tuple(a), tuple(b[keep_from:])]
    return shapes if draw(st.booleans()) else shapes[::-1]


@pytest.mark.parametrize("name", OPS)
@SETTINGS
@given(shapes=clashing_shapes())
def test_shapes_that_do_not_broadcast_are_refused(name, shapes):
    op, _ = OPS[name]
    a, b = (chainrule.ones(shape) for shape in shapes)
    message = rf"{name}: .*{re.escape(str(shapes[0]))}.*{re.escape(str(shapes[1]))}"
    with pytest.raises(RuntimeError, match=message):
        op(a, b)


@pytest.mark.parametrize("sizes", [(-1, 3), (-2,), (2, -3)])
def test_expand_refuses_negative_sizes_naming_them(sizes):
    import torch
    with pytest.raises(RuntimeError):
        torch.ones(3).expand(*sizes)
    with pytest.raises(RuntimeError, match=rf"expand: sizes {re.escape(str(sizes))} for a tensor "
                                           r"of shape \(3,\)"):
        chainrule.ones(3).expand(*sizes)


def test_expand_keeps_an_existing_dim_for_minus_one():
    assert chainrule.ones(1, 3).expand(4, -1).shape == (4, 3)


def test_a_numpy_error_that_is_not_about_broadcasting_says_what_it_is():
    with pytest.raises(RuntimeError, match="pow: Integers to negative integer powers"):
        chainrule.tensor([2, 3]) ** -1
