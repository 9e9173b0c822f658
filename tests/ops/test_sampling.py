"""Random draws (bernoulli, normal, poisson, and the in-place fills): shapes and dtypes as torch's,
the distributions checked statistically with fixed seeds, generators reproducible, errors named."""
import numpy as np
import pytest
import torch

import chainrule

N = 20000


def moments(t):
    a = t.numpy().astype(np.float64)
    return a.mean(), a.std()


def test_bernoulli_of_probabilities():
    chainrule.manual_seed(0)
    p = chainrule.tensor([[0.1, 0.5, 0.9]]).expand(N, 3)
    draws = chainrule.bernoulli(p)
    assert draws.dtype == chainrule.float32 and tuple(draws.shape) == (N, 3)
    assert set(np.unique(draws.numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(draws.numpy().mean(0), [0.1, 0.5, 0.9], atol=0.015)


def test_bernoulli_with_p_and_in_place():
    x = chainrule.zeros(N, dtype=chainrule.float64)
    assert chainrule.bernoulli(x, 0.3).numpy().mean() == pytest.approx(0.3, abs=0.015)
    version = x._version[0]
    assert x.bernoulli_(0.7) is x and x._version[0] == version + 1
    assert x.numpy().mean() == pytest.approx(0.7, abs=0.015)
    assert x.dtype == chainrule.float64


def test_normal_overloads_match_torch_shapes_and_dtypes():
    cases = [
        lambda L: L.normal(L.zeros(3, 2), L.ones(3, 2)),
        lambda L: L.normal(L.zeros(3, 1), 2.0),
        lambda L: L.normal(1.0, L.ones(4, dtype=L.float64)),
        lambda L: L.normal(0.0, 1.0, size=(2, 5)),
        lambda L: L.normal(L.zeros(3, 1), L.ones(1, 4)),
    ]
    for case in cases:
        ours, theirs = case(chainrule), case(torch)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


def test_normal_takes_torchs_factory_keywords():
    for L in (torch, chainrule):
        draws = L.normal(0.0, 1.0, (3,), dtype=L.float64, device="cpu", requires_grad=True)
        assert draws.requires_grad and draws.is_leaf and draws.dtype == L.float64
        with pytest.raises(TypeError, match="requirs_grad"):
            L.normal(0.0, 1.0, (3,), requirs_grad=True)


def test_normal_moments():
    chainrule.manual_seed(1)
    mean, std = moments(chainrule.normal(2.0, 3.0, size=(N,)))
    assert mean == pytest.approx(2.0, abs=0.1) and std == pytest.approx(3.0, rel=0.03)
    draws = chainrule.normal(chainrule.tensor([-5.0, 5.0]).expand(N, 2),
                             chainrule.tensor([0.5, 2.0]))
    np.testing.assert_allclose(draws.numpy().mean(0), [-5, 5], atol=0.1)
    np.testing.assert_allclose(draws.numpy().std(0), [0.5, 2.0], rtol=0.03)


def test_poisson_moments_and_dtype():
    chainrule.manual_seed(2)
    draws = chainrule.poisson(chainrule.full((N,), 4.0))
    assert draws.dtype == chainrule.float32
    assert np.all(draws.numpy() == np.round(draws.numpy()))
    mean, std = moments(draws)
    assert mean == pytest.approx(4.0, abs=0.1) and std ** 2 == pytest.approx(4.0, rel=0.05)


@pytest.mark.parametrize("name, args, mean, var", [
    ("exponential_", (2.0,), 0.5, 0.25),
    ("geometric_", (0.25,), 4.0, 12.0),
    ("log_normal_", (0.0, 0.5), np.exp(0.125), (np.exp(0.25) - 1) * np.exp(0.25)),
    ("uniform_", (-1.0, 3.0), 1.0, 16 / 12),
])
def test_in_place_fills_have_their_moments(name, args, mean, var):
    chainrule.manual_seed(3)
    x = chainrule.empty(N, dtype=chainrule.float64)
    assert getattr(x, name)(*args) is x
    got_mean, got_std = moments(x)
    assert got_mean == pytest.approx(mean, rel=0.03)
    assert got_std ** 2 == pytest.approx(var, rel=0.08)


def test_cauchy_median_and_random_ranges():
    chainrule.manual_seed(4)
    x = chainrule.empty(N, dtype=chainrule.float64).cauchy_(1.0, 2.0)
    assert np.median(x.numpy()) == pytest.approx(1.0, abs=0.1)
    ints = chainrule.empty(N, dtype=chainrule.int64).random_(3, 7)
    assert set(np.unique(ints.numpy())) == {3, 4, 5, 6}
    assert set(np.unique(chainrule.empty(N).random_(4).numpy())) == {0.0, 1.0, 2.0, 3.0}
    assert chainrule.empty(100).random_().numpy().max() <= 2 ** 24


def test_generators_make_draws_reproducible():
    draws = []
    for _ in range(2):
        g = chainrule.Generator().manual_seed(7)
        draws.append(np.concatenate([
            chainrule.bernoulli(chainrule.full((5,), 0.5), generator=g).numpy(),
            chainrule.normal(0.0, 1.0, size=(5,), generator=g).numpy(),
            chainrule.poisson(chainrule.ones(5), generator=g).numpy(),
            chainrule.empty(5).exponential_(generator=g).numpy()]))
    np.testing.assert_array_equal(draws[0], draws[1])
    chainrule.manual_seed(5)
    first = chainrule.normal(chainrule.zeros(4), 1.0).numpy()
    chainrule.manual_seed(5)
    np.testing.assert_array_equal(first, chainrule.normal(chainrule.zeros(4), 1.0).numpy())


def test_draws_carry_no_gradient():
    p = chainrule.full((3,), 0.5, requires_grad=True)
    assert not chainrule.bernoulli(p).requires_grad
    assert not chainrule.normal(p, 1.0).requires_grad


@pytest.mark.parametrize("call, words", [
    (lambda: chainrule.bernoulli(chainrule.tensor([1.5])), ["bernoulli", "1.5"]),
    (lambda: chainrule.bernoulli(chainrule.tensor([1])), ["bernoulli", "int64"]),
    (lambda: chainrule.zeros(2).bernoulli_(-0.1), ["bernoulli_", "-0.1"]),
    (lambda: chainrule.zeros(3).bernoulli_(chainrule.full((4,), 0.5)),
     ["bernoulli_", "(4,)", "(3,)"]),
    (lambda: chainrule.normal(chainrule.zeros(2), -1.0), ["normal", "std", "-1"]),
    (lambda: chainrule.normal(0.0, 1.0), ["normal", "size"]),
    (lambda: chainrule.normal(chainrule.zeros(2), chainrule.ones(3)), ["normal", "(2,)", "(3,)"]),
    (lambda: chainrule.poisson(chainrule.tensor([-1.0])), ["poisson", "-1"]),
    (lambda: chainrule.zeros(2).exponential_(0.0), ["exponential_", "lambda"]),
    (lambda: chainrule.zeros(2).geometric_(1.5), ["geometric_", "1.5"]),
    (lambda: chainrule.zeros(2).random_(5, 2), ["random_", "from=5", "to=2"]),
    (lambda: chainrule.bernoulli(chainrule.ones(2), generator="x"), ["bernoulli", "generator"]),
    (lambda: chainrule.ones(2, requires_grad=True).bernoulli_(), ["bernoulli_", "leaf"]),
])
def test_errors_name_the_op(call, words):
    with pytest.raises((RuntimeError, TypeError)) as info:
        call()
    for word in words:
        assert word in str(info.value), str(info.value)
