"""nn.init: each initialiser draws from torch's distribution (checked by bounds and by moments on
large tensors), fills in place without recording, and follows manual_seed."""
import math
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn import Parameter, init

SHAPE = (400, 500)  # 2e5 draws: sample moments within ~0.3 % (std) of the truth


@pytest.fixture(autouse=True)
def seeded():
    cr.manual_seed(0)   # deterministic draws; the tolerances below are 5 standard errors


def fresh(*shape):
    return Parameter(cr.empty(*(shape or SHAPE)))


def values(t):
    return t.detach().numpy().astype(np.float64)


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv1d", None), ("conv_transpose2d", None), ("sigmoid", None),
    ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
    ("leaky_relu", math.sqrt(5)), ("leaky_relu", 3), ("selu", None),
])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


@pytest.mark.parametrize("nonlinearity, param", [("softmax", None), ("leaky_relu", "x"),
                                                 ("leaky_relu", True)])
def test_calculate_gain_refuses_what_torch_refuses(nonlinearity, param):
    with pytest.raises(ValueError):
        init.calculate_gain(nonlinearity, param)


@pytest.mark.parametrize("shape", [(3, 4), (6, 2, 3), (8, 4, 3, 5)])
def test_fans_match_torch(shape):
    assert (init._calculate_fan_in_and_fan_out(cr.empty(*shape))
            == torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(*shape)))
    with pytest.raises(ValueError, match="at least 2 dims"):
        init.calculate_fan_in_and_fan_out(cr.empty(3))


def assert_uniform(x, bound):
    """U(-bound, bound): inside the bounds, reaching near them, with the right moments."""
    n, std = x.size, bound / math.sqrt(3)
    assert x.min() >= -bound and x.max() <= bound
    assert x.min() < -0.99 * bound and x.max() > 0.99 * bound
    assert abs(x.mean()) < 5 * std / math.sqrt(n)
    assert x.std() == pytest.approx(std, rel=5 * math.sqrt(0.8 / n))   # Var(s²) for a uniform


def assert_normal(x, std, mean=0.0):
    n = x.size
    assert x.mean() == pytest.approx(mean, abs=5 * std / math.sqrt(n))
    assert x.std() == pytest.approx(std, rel=5 / math.sqrt(2 * n))
    # a normal's tails: 4.55 % of draws lie beyond 2 std
    tail = 0.0455
    assert np.mean(np.abs(x - mean) > 2 * std) == pytest.approx(tail, abs=5 * math.sqrt(
        tail * (1 - tail) / n))


def test_uniform_and_normal():
    x = values(init.uniform_(fresh(), -2.0, 3.0))
    assert x.min() >= -2 and x.max() <= 3
    assert x.mean() == pytest.approx(0.5, abs=0.02) and x.std() == pytest.approx(
        5 / math.sqrt(12), rel=0.01)
    assert_normal(values(init.normal_(fresh(), 1.5, 0.5)), 0.5, mean=1.5)


def test_constants():
    assert np.all(values(init.constant_(fresh(3, 2), 0.25)) == 0.25)
    assert np.all(values(init.zeros_(fresh(3, 2))) == 0)
    assert np.all(values(init.ones_(fresh(3, 2))) == 1)
    assert np.array_equal(values(init.eye_(fresh(2, 3))), np.eye(2, 3))


@pytest.mark.parametrize("gain", [1.0, 5 / 3])
def test_xavier(gain):
    fan_in, fan_out = SHAPE[1], SHAPE[0]
    assert_uniform(values(init.xavier_uniform_(fresh(), gain)),
                   gain * math.sqrt(6 / (fan_in + fan_out)))
    assert_normal(values(init.xavier_normal_(fresh(), gain)), gain * math.sqrt(2 / (fan_in
                                                                                  + fan_out)))


@pytest.mark.parametrize("a, mode, nonlinearity", [
    (0, "fan_in", "leaky_relu"), (math.sqrt(5), "fan_in", "leaky_relu"), (0.1, "fan_out",
                                                                          "leaky_relu"),
    (0, "fan_in", "relu"), (0, "fan_out", "tanh"), (0, "fan_in", "linear"),
])
def test_kaiming(a, mode, nonlinearity):
    shape = (50, 40, 3, 3)   # conv-shaped: fans include the receptive field
    fan = 40 * 9 if mode == "fan_in" else 50 * 9
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    assert_uniform(values(init.kaiming_uniform_(fresh(*shape), a, mode, nonlinearity)),
                   math.sqrt(3) * std)
    assert_normal(values(init.kaiming_normal_(fresh(*shape), a, mode, nonlinearity)), std)
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_uniform_(fresh(*shape), mode="fan_avg")


@pytest.mark.parametrize("shape, gain", [((30, 50), 1.0), ((50, 30), 2.0), ((6, 4, 3), 1.0)])
def test_orthogonal(shape, gain):
    w = values(init.orthogonal_(fresh(*shape), gain)).reshape(shape[0], -1)
    small = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
    np.testing.assert_allclose(small, gain ** 2 * np.eye(len(small)), atol=1e-5)


def test_orthogonal_is_haar_distributed():
    # with the signs of R's diagonal fixed, the first entry's mean over draws is 0, not biased
    firsts = [values(init.orthogonal_(fresh(4, 4)))[0, 0] for _ in range(2000)]
    assert abs(np.mean(firsts)) < 0.04


def test_trunc_normal():
    x = values(init.trunc_normal_(fresh(), mean=0.0, std=1.0, a=-1.0, b=2.0))
    assert x.min() >= -1 and x.max() <= 2
    # the moments of N(0, 1) truncated to [-1, 2]
    phi = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)   # noqa: E731
    cdf = lambda z: 0.5 * (1 + math.erf(z / math.sqrt(2)))           # noqa: E731
    mass = cdf(2) - cdf(-1)
    mean = (phi(-1) - phi(2)) / mass
    var = 1 + (-1 * phi(-1) - 2 * phi(2)) / mass - mean ** 2
    assert x.mean() == pytest.approx(mean, abs=0.01) and x.std() == pytest.approx(math.sqrt(var),
                                                                                  rel=0.01)


def test_initialisers_fill_in_place_without_recording():
    p = fresh(3, 4)
    array = p.array
    for fill in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_,
                 init.orthogonal_, init.zeros_, init.trunc_normal_):
        assert fill(p) is p
    assert p.array is array and p.is_leaf and p.requires_grad and p.grad_fn is None


@pytest.mark.parametrize("fill", [init.uniform_, init.normal_, init.xavier_normal_,
                                  init.kaiming_uniform_, init.orthogonal_, init.trunc_normal_])
def test_manual_seed_reproduces_every_initialiser(fill):
    cr.manual_seed(7)
    first = values(fill(fresh(5, 6)))
    cr.manual_seed(7)
    again = values(fill(fresh(5, 6)))
    different = values(fill(fresh(5, 6)))
    assert np.array_equal(first, again) and not np.array_equal(first, different)


def test_zero_element_tensors_are_left_alone_with_a_warning():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(fresh(0, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = cr.nn.Linear(0, 3)
    assert layer.weight.shape == (3, 0) and np.all(values(layer.bias) == 0)
    assert init.orthogonal_(fresh(0, 3)).shape == (0, 3)
