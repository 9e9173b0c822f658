"""Shape ops: each op's cases, checked by the shared harness; then errors and view semantics (with
some joining ops among them; their own cases are in test_join.py); then properties over random
shapes (hypothesis): each round trip is the identity, in values and in the gradient that comes back
(which must land in the original shape)."""
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule
from tests.ops.harness import Case, OpChecks, check_error_names

MATRIX = [((3, 4),), ((1, 6),), ((0, 2),)]
CUBE = [((2, 3, 4),), ((1, 2, 1),), ((2, 0, 3),)]


CASES = [
    # reshaping: views when the memory allows, a copy (Reshape) when it does not
    Case("reshape", lambda L, x: x.reshape(-1, 2), lambda a: a.reshape(-1, 2),
         [((3, 4),), ((2, 1, 2),), ((0, 2),)]),
    Case("reshape_tuple", lambda L, x: L.reshape(x, (x.shape[-1], -1)),
         lambda a: a.reshape(a.shape[-1], -1), MATRIX + CUBE),
    Case("reshape_scalar", lambda L, x: x.reshape(1, 1).reshape(()), lambda a: a.reshape(()),
         [((),), ((1,),)]),
    Case("view", lambda L, x: x.view(-1), lambda a: a.reshape(-1), MATRIX + CUBE),
    Case("view_as", lambda L, x: x.view(2, -1).view_as(x), lambda a: a, [((2, 3),), ((4, 1),)]),
    Case("reshape_transposed_copy", lambda L, x: x.t().reshape(-1), lambda a: a.T.reshape(-1),
         MATRIX),
    Case("view_transposed", lambda L, x: x.transpose(0, 1).view(x.shape[1], 1, x.shape[0]),
         lambda a: a.T.reshape(a.shape[1], 1, a.shape[0]), MATRIX),
    Case("flatten", lambda L, x: x.flatten(), lambda a: a.reshape(-1), CUBE + [((),)]),
    Case("flatten_middle", lambda L, x: L.flatten(x, 1), lambda a: a.reshape(a.shape[0], -1), CUBE),
    Case("flatten_range", lambda L, x: x.flatten(0, -2),
         lambda a: a.reshape(-1, a.shape[-1]), CUBE),
    Case("unflatten", lambda L, x: x.unflatten(1, (2, -1)),
         lambda a: a.reshape(a.shape[0], 2, a.shape[1] // 2), [((3, 4),), ((1, 6),), ((0, 4),)]),
    Case("squeeze_all", lambda L, x: x.squeeze(), np.squeeze,
         [((1, 3, 1),), ((2, 1, 1),), ((1,),), ((),), ((0, 1),)]),
    Case("squeeze_dim", lambda L, x: x.squeeze(1), lambda a: a.squeeze(1) if a.shape[1] == 1 else a,
         [((1, 3, 1),), ((2, 1, 1),), ((0, 1),)]),
    Case("squeeze_dims", lambda L, x: L.squeeze(x, (0, -1)),
         lambda a: a.reshape([n for i, n in enumerate(a.shape)
                              if not (i in (0, a.ndim - 1) and n == 1)]),
         [((1, 3, 1),), ((2, 1, 1),), ((1, 0, 4),)]),
    Case("unsqueeze", lambda L, x: x.unsqueeze(0).unsqueeze(-1),
         lambda a: a[None, ..., None], MATRIX + [((),)]),
    Case("unsqueeze_middle", lambda L, x: L.unsqueeze(x, 1), lambda a: np.expand_dims(a, 1),
         CUBE),
    # permutations of dims
    Case("transpose", lambda L, x: x.transpose(0, -1), lambda a: np.swapaxes(a, 0, -1),
         MATRIX + CUBE),
    Case("swapaxes", lambda L, x: L.swapaxes(x, 1, 2), lambda a: np.swapaxes(a, 1, 2), CUBE),
    Case("permute", lambda L, x: x.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1), CUBE),
    Case("permute_tuple", lambda L, x: L.permute(x, (1, -1, 0)), lambda a: a.transpose(1, 2, 0),
         CUBE),
    Case("T", lambda L, x: x.T, lambda a: a.T, MATRIX),
    Case("t", lambda L, x: x.t(), lambda a: a.T, MATRIX + [((3,),)]),
    Case("mT", lambda L, x: x.mT, lambda a: np.swapaxes(a, -1, -2), MATRIX + CUBE),
    Case("movedim", lambda L, x: x.movedim(0, -1), lambda a: np.moveaxis(a, 0, -1), CUBE),
    Case("movedim_tuple", lambda L, x: L.movedim(x, (0, 1), (2, 0)),
         lambda a: np.moveaxis(a, (0, 1), (2, 0)), CUBE),
    # copying
    Case("clone", lambda L, x: x.clone(), lambda a: a.copy(), MATRIX + [((),)]),
    Case("contiguous", lambda L, x: x.t().contiguous(), lambda a: a.T.copy(), MATRIX),
]


class TestShape(OpChecks):
    cases = CASES


# ----- errors name the op and the shapes ----------------------------------------------------------
@pytest.mark.parametrize("call, words", [
    (lambda x: x.reshape(5, 3), ["reshape", "(3, 4)", "(5, 3)"]),
    (lambda x: x.view(-1, -1), ["view", "(3, 4)"]),
    (lambda x: x.reshape(5, -1), ["reshape", "(3, 4)", "(5, -1)"]),
    (lambda x: x.t().view(-1), ["view", "(4, 3)", ".reshape"]),
    (lambda x: x.flatten(1, 0), ["flatten", "(3, 4)"]),
    (lambda x: x.permute(0, 0), ["permute", "(3, 4)"]),
    (lambda x: x.unsqueeze(0).t(), ["t", "(1, 3, 4)"]),
    (lambda x: x[0].mT, ["mT", "(4,)"]),
])
def test_errors_name_op_and_shapes(call, words):
    check_error_names(call, RuntimeError, words)


@pytest.mark.parametrize("call", [lambda x: x.squeeze(2), lambda x: x.unsqueeze(3),
                                  lambda x: x.transpose(0, 2), lambda x: x.flip(-3)])
def test_dims_out_of_range_raise_index_error(call):
    with pytest.raises(IndexError, match="range"):
        call(chainrule.zeros(3, 4))


# ----- views share memory and the version counter; copies do not --------------------------------
@pytest.mark.parametrize("make_view", [lambda x: x.view(-1), lambda x: x.reshape(2, 6),
                                       lambda x: x.t(), lambda x: x.unsqueeze(0),
                                       lambda x: x.split(2, 1)[1], lambda x: x.flatten()])
def test_views_write_through(make_view):
    x = chainrule.zeros(3, 4)
    view = make_view(x)
    view.fill_(7.0)
    assert (x.numpy() == 7.0).sum() == view.numel()
    assert x._version is view._version


@pytest.mark.parametrize("make_copy", [lambda x: x.flip(0), lambda x: x.clone(),
                                       lambda x: x.t().reshape(-1), lambda x: x.repeat(1, 1),
                                       lambda x: chainrule.cat([x, x])])
def test_copies_do_not_write_through(make_copy):
    x = chainrule.zeros(3, 4)
    make_copy(x).fill_(7.0)
    assert not x.numpy().any()


def test_contiguous_returns_self_when_contiguous():
    x = chainrule.zeros(3, 4)
    assert x.contiguous() is x
    assert x.t().contiguous().numpy().flags.c_contiguous


def test_in_place_change_of_a_viewed_input_is_caught():
    x = chainrule.randn(3, 4, requires_grad=True)
    y = x * 1.0
    z = y.view(-1) * y.view(-1)  # Mul saved the view, which shares y's version counter
    with chainrule.no_grad():
        y.view(-1).mul_(2.0)
    with pytest.raises(RuntimeError, match="modified"):
        z.sum().backward()


@pytest.mark.parametrize("call, error, words", [
    (lambda L, x: x.view(6.0, 2), TypeError, ["view", "expected ints", "6.0", "(6.0, 2)"]),
    (lambda L, x: x.reshape("a", 2), TypeError, ["reshape", "expected ints", "'a'"]),
    (lambda L, x: x.permute(0.5, 1), TypeError, ["permute", "expected ints", "0.5"]),
])
def test_sizes_that_are_not_ints_name_the_op_and_the_value(call, error, words):
    with pytest.raises(error):   # torch refuses them too
        call(torch, torch.zeros(3, 4))
    with pytest.raises(error) as raised:
        call(chainrule, chainrule.zeros(3, 4))
    assert all(word in str(raised.value) for word in words)


def test_view_as_another_dtype_is_refused_pointing_to_to():
    with pytest.raises(TypeError, match=r"view: viewing the bits as another dtype "
                                        r"\(view\(float64\)\) is not supported; convert the values "
                                        r"with .to\(float64\)"):
        chainrule.ones(4).view(chainrule.float64)


# ----- properties over random shapes: round trips are the identity --------------------------------
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
