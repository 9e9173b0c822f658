"""CosineSimilarity and PairwiseDistance against torch: layers (outputs, gradients, reprs), the
functional forms over broadcasting shapes, dims, norms and eps, gradcheck in float64, torch's
placement of eps at tiny and zero vectors, and errors that name both shapes."""
import math

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck
from tests.nn.helpers import assert_matches_torch


def arrays(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(shape) for shape in shapes]


LAYERS = [
    (lambda lib: lib.nn.CosineSimilarity(), [(5, 4), (5, 4)]),
    (lambda lib: lib.nn.CosineSimilarity(dim=-1, eps=1e-3), [(2, 3, 4), (3, 4)]),
    (lambda lib: lib.nn.CosineSimilarity(dim=0), [(4, 3), (4, 1)]),
    (lambda lib: lib.nn.PairwiseDistance(), [(5, 4), (5, 4)]),
    (lambda lib: lib.nn.PairwiseDistance(p=1.0, eps=1e-3, keepdim=True), [(5, 4), (4,)]),
    (lambda lib: lib.nn.PairwiseDistance(p=3), [(4,), (4,)]),
    (lambda lib: lib.nn.PairwiseDistance(p=math.inf), [(2, 5, 4), (5, 4)]),
]


@pytest.mark.parametrize("layer,shapes", LAYERS)
def test_layer_matches_torch(layer, shapes):
    ours, theirs = layer(cr), layer(torch)
    assert repr(ours) == repr(theirs)
    assert_matches_torch(ours, theirs, arrays(*shapes))


FUNCTIONS = [
    (lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b), [(5, 4), (5, 4)]),
    (lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, dim=0, eps=0.5), [(3, 2), (3, 1)]),
    (lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, dim=-1), [(4,), (2, 3, 4)]),
    (lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b), [(5, 4), (5, 4)]),
    (lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, keepdim=True), [(5, 4), (1, 4)]),
    (lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, p=1, eps=0.1), [(3, 4), (4,)]),
    (lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, p=0.5), [(3, 4), (3, 4)]),
    (lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, p=3.5), [(2, 3, 4), (3, 4)]),
    (lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, p=math.inf), [(3, 4), (3, 4)]),
    (lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, p=-math.inf), [(3, 4), (3, 4)]),
    (lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b, p=0), [(3, 4), (3, 4)]),
    (lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b), [(4,), (4,)]),
]


def both(fn, values):
    """fn's outputs and the gradients of its two inputs, in chainrule and in torch (float64)."""
    results = []
    for lib in (cr, torch):
        a, b = (lib.tensor(v, requires_grad=True) for v in values)
        out = fn(lib, a, b)
        out.backward(lib.tensor(np.linspace(-1, 2, out.numel()).reshape(tuple(out.shape))))
        grads = [np.zeros(v.shape) if t.grad is None else t.grad.numpy()  # None: torch's p=0
                 for t, v in zip((a, b), values)]
        results.append([out.detach().numpy()] + grads)
    return results


@pytest.mark.parametrize("fn,shapes", FUNCTIONS)
def test_functional_form_matches_torch(fn, shapes):
    ours, theirs = both(fn, arrays(*shapes, seed=1))
    for what, mine, expected in zip(["output", "grad x1", "grad x2"], ours, theirs):
        assert mine.shape == expected.shape, what
        np.testing.assert_allclose(mine, expected, rtol=1e-10, atol=1e-12, err_msg=what)


@pytest.mark.parametrize("fn,shapes", FUNCTIONS)
def test_functional_form_gradchecks(fn, shapes):
    inputs = [cr.tensor(a, requires_grad=True) for a in arrays(*shapes, seed=2)]
    assert gradcheck(lambda a, b: fn(cr, a, b), inputs)
    assert gradgradcheck(lambda a, b: fn(cr, a, b), inputs)


@pytest.mark.parametrize("values", [
    [[[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]], [[1.0, -1.0, 2.0], [0.0, 0.0, 0.0]]],  # zero vectors
    [[[1e-9, -2e-9, 0.0]], [[3.0, 1.0, -2.0]]],  # a norm below eps: clamped, each on its own
    [[[1e-9, -2e-9, 0.0]], [[2e-9, 1e-9, 1e-9]]],
])
def test_cosine_similarity_clamps_each_norm_to_eps_as_torch(values):
    fn = lambda lib, a, b: lib.nn.functional.cosine_similarity(a, b, dim=1)  # noqa: E731
    ours, theirs = both(fn, [np.array(v) for v in values])
    for mine, expected in zip(ours, theirs):
        np.testing.assert_allclose(mine, expected, rtol=1e-10, atol=1e-12)


def test_pairwise_distance_adds_eps_to_the_difference_as_torch():
    x = np.array([[1.0, 2.0], [0.0, 0.0]])
    ours = F.pairwise_distance(cr.tensor(x), cr.tensor(x), eps=0.5)
    np.testing.assert_allclose(ours.numpy(), [math.sqrt(0.5), math.sqrt(0.5)])
    ours, theirs = both(lambda lib, a, b: lib.nn.functional.pairwise_distance(a, b), [x, x])
    for mine, expected in zip(ours, theirs):
        np.testing.assert_allclose(mine, expected, rtol=1e-10)


@pytest.mark.parametrize("call,message", [
    (lambda: F.cosine_similarity(cr.randn(3, 4), cr.randn(3, 5)),
     "cosine_similarity: the shapes of x1 (3, 4) and x2 (3, 5) do not broadcast"),
    (lambda: nn.PairwiseDistance()(cr.randn(3, 4), cr.randn(2, 4)),
     "pairwise_distance: the shapes of x1 (3, 4) and x2 (2, 4) do not broadcast"),
])
def test_shapes_that_do_not_broadcast_are_named(call, message):
    with pytest.raises(RuntimeError) as raised:
        call()
    assert message in str(raised.value)


def test_cosine_similarity_dim_out_of_range_is_refused():
    with pytest.raises(IndexError, match="cosine_similarity: Dimension out of range"):
        F.cosine_similarity(cr.randn(3, 4), cr.randn(3, 4), dim=2)
