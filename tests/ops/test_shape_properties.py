"""Properties of the shape ops over random shapes: each round trip is the identity, in values and in
the gradient that comes back (which must land in the original shape)."""
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule

SETTINGS = settings(max_examples=50, deadline=None)
shapes = st.lists(st.integers(0, 4), min_size=0, max_size=4).map(tuple)
nonempty_shapes = st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple)


def leaf(shape, seed=0):
    values = np.random.default_rng(seed).standard_normal(shape)
    return chainrule.tensor(values, requires_grad=True), values


def upstream(shape, seed=1):
    return np.random.default_rng(seed).standard_normal(shape)


@st.composite
def regroupings(draw):
    """A shape and another shape of as many elements: the first's sizes shuffled, split into
    groups that are multiplied together, and perhaps one size left to -1."""
    shape = draw(nonempty_shapes)
    sizes = draw(st.permutations(list(shape)))
    cuts = sorted(draw(st.sets(st.integers(1, max(len(sizes) - 1, 1)), max_size=len(sizes) - 1)))
    bounds = [0] + [c for c in cuts if c < len(sizes)] + [len(sizes)]
    target = [math.prod(sizes[a:b]) for a, b in zip(bounds, bounds[1:])]
    if draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return shape, tuple(target)


@SETTINGS
@given(regroupings())
def test_reshape_round_trip(shapes_pair):
    shape, target = shapes_pair
    x, values = leaf(shape)
    y = x.reshape(target)
    np.testing.assert_array_equal(y.detach().numpy(), values.reshape(target))
    back = y.reshape(shape)
    np.testing.assert_array_equal(back.detach().numpy(), values)
    g = upstream(shape)
    back.backward(chainrule.tensor(g))
    assert x.grad.shape == shape
    np.testing.assert_array_equal(x.grad.numpy(), g)


@SETTINGS
@given(shapes.flatmap(lambda s: st.tuples(st.just(s), st.permutations(range(len(s))))))
def test_permute_then_inverse_is_identity(shape_and_order):
    shape, order = shape_and_order
    x, values = leaf(shape)
    y = x.permute(*order) if order else x.permute(())
    np.testing.assert_array_equal(y.detach().numpy(), values.transpose(order))
    inverse = tuple(int(i) for i in np.argsort(order))
    back = y.permute(inverse)
    np.testing.assert_array_equal(back.detach().numpy(), values)
    g = upstream(y.shape)
    y.backward(chainrule.tensor(g))
    assert x.grad.shape == shape
    np.testing.assert_array_equal(x.grad.numpy(), g.transpose(inverse))


@SETTINGS
@given(shapes.filter(len).flatmap(
    lambda s: st.tuples(st.just(s), st.integers(0, len(s) - 1), st.integers(0, len(s) - 1))))
def test_flatten_then_unflatten_is_identity(case):
    shape, start, end = case
    start, end = min(start, end), max(start, end)
    x, values = leaf(shape)
    flat = x.flatten(start, end)
    assert flat.shape == shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:]
    back = flat.unflatten(start, shape[start:end + 1])
    np.testing.assert_array_equal(back.detach().numpy(), values)
    g = upstream(shape)
    back.backward(chainrule.tensor(g))
    np.testing.assert_array_equal(x.grad.numpy(), g)


@SETTINGS
@given(nonempty_shapes.flatmap(lambda s: st.tuples(
    st.just(s), st.integers(0, len(s) - 1), st.lists(st.integers(0, 3), min_size=1, max_size=4))))
def test_cat_then_split_is_identity(case):
    shape, dim, sizes = case
    pieces = [leaf(shape[:dim] + (n,) + shape[dim + 1:], seed=i) for i, (n) in enumerate(sizes)]
    joined = chainrule.cat([t for t, _ in pieces], dim)
    np.testing.assert_array_equal(joined.detach().numpy(),
                                  np.concatenate([v for _, v in pieces], dim))
    parts = joined.split(sizes, dim)
    assert len(parts) == len(sizes)
    for index, (part, (t, values)) in enumerate(zip(parts, pieces)):
        np.testing.assert_array_equal(part.detach().numpy(), values)
        part.backward(chainrule.tensor(upstream(part.shape, seed=index)), retain_graph=True)
    for index, (t, _) in enumerate(pieces):
        assert t.grad.shape == t.shape
        np.testing.assert_array_equal(t.grad.numpy(), upstream(t.shape, seed=index))


@SETTINGS
@given(shapes.flatmap(lambda s: st.tuples(st.just(s), st.integers(-len(s) - 1, len(s)))))
def test_unsqueeze_then_squeeze_is_identity(case):
    shape, dim = case
    x, values = leaf(shape)
    y = x.unsqueeze(dim)
    np.testing.assert_array_equal(y.detach().numpy(), np.expand_dims(values, dim))
    np.testing.assert_array_equal(y.squeeze(dim).detach().numpy(), values)
