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


# ----- torch 2.13's signatures: generator=, mode in either case, every nonlinearity ---------------
GENERATED = {
    "uniform_": lambda t, g: init.uniform_(t, -1.0, 2.0, generator=g),
    "normal_": lambda t, g: init.normal_(t, 0.5, 2.0, generator=g),
    "trunc_normal_": lambda t, g: init.trunc_normal_(t, 0.0, 1.0, -1.0, 1.5, generator=g),
    "trunc_normal_tail": lambda t, g: init.trunc_normal_(t, 0.0, 1.0, 3.0, 4.0, generator=g),
    "xavier_uniform_": lambda t, g: init.xavier_uniform_(t, 2.0, generator=g),
    "xavier_normal_": lambda t, g: init.xavier_normal_(t, 2.0, generator=g),
    "kaiming_uniform_": lambda t, g: init.kaiming_uniform_(t, 0, "fan_out", "selu", generator=g),
    "kaiming_normal_": lambda t, g: init.kaiming_normal_(t, 0.2, "fan_in", "leaky_relu", g),
    "orthogonal_": lambda t, g: init.orthogonal_(t, 1.5, generator=g),
    "sparse_": lambda t, g: init.sparse_(t, 0.3, 0.1, generator=g),
}


def test_every_random_initialiser_takes_generator_as_torch():
    import inspect
    for name in set(GENERATED) - {"trunc_normal_tail"}:
        ours = list(inspect.signature(getattr(init, name)).parameters)
        theirs = list(inspect.signature(getattr(torch.nn.init, name)).parameters)
        assert ours == theirs, name
    for name in ("constant_", "zeros_", "ones_", "eye_", "dirac_", "calculate_gain"):
        assert (list(inspect.signature(getattr(init, name)).parameters)
                == list(inspect.signature(getattr(torch.nn.init, name)).parameters)), name


@pytest.mark.filterwarnings("ignore:mean is more than 2 std")
@pytest.mark.parametrize("name", GENERATED)
def test_a_generator_reproduces_the_draw_and_leaves_the_global_one_alone(name):
    fill = GENERATED[name]
    cr.manual_seed(3)
    state = cr.get_rng_state()
    first = values(fill(fresh(30, 20), cr.Generator().manual_seed(5)))
    again = values(fill(fresh(30, 20), cr.Generator().manual_seed(5)))
    other = values(fill(fresh(30, 20), cr.Generator().manual_seed(6)))
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    assert np.array_equal(np.asarray(cr.get_rng_state()), np.asarray(state))
    with pytest.raises(TypeError, match="generator"):
        fill(fresh(30, 20), "seed")


@pytest.mark.parametrize("nonlinearity", ["linear", "conv1d", "conv2d", "conv3d",
                                          "conv_transpose1d", "conv_transpose2d",
                                          "conv_transpose3d", "sigmoid", "tanh", "relu",
                                          "leaky_relu", "selu"])
def test_every_torch_nonlinearity_has_torchs_gain_and_kaiming_std(nonlinearity):
    assert init.calculate_gain(nonlinearity) == torch.nn.init.calculate_gain(nonlinearity)
    shape = (60, 50, 3)
    for mode in ("fan_in", "fan_out", "FAN_OUT"):
        fan = torch.nn.init._calculate_correct_fan(torch.empty(shape), mode)
        assert init._calculate_correct_fan(cr.empty(*shape), mode) == fan
        big_fan = torch.nn.init._calculate_correct_fan(torch.empty(300, 200, 3), mode)
        std = torch.nn.init.calculate_gain(nonlinearity, 0.1) / math.sqrt(big_fan)
        assert_normal(values(init.kaiming_normal_(fresh(300, 200, 3), 0.1, mode, nonlinearity)),
                      std)


@pytest.mark.filterwarnings("ignore:mean is more than 2 std")
def test_trunc_normal_far_in_the_tail():
    """[3, 4] holds 0.13 % of N(0, 1): sampled from the uniform proposal, as torch does."""
    x = values(init.trunc_normal_(fresh(), 0.0, 1.0, 3.0, 4.0))
    assert x.min() >= 3 and x.max() <= 4
    reference = torch.nn.init.trunc_normal_(torch.empty(SHAPE, dtype=torch.float64), 0.0, 1.0,
                                            3.0, 4.0).numpy()
    assert x.mean() == pytest.approx(reference.mean(), abs=5e-3)
    assert x.std() == pytest.approx(reference.std(), rel=2e-2)
    with pytest.warns(UserWarning, match="more than 2 std"):
        init.trunc_normal_(fresh(3, 3), 0.0, 1.0, 5.0, 6.0)


# ----- dirac_ and sparse_ ------------------------------------------------------------------------
@pytest.mark.parametrize("shape, groups", [
    ((4, 4, 3), 1), ((6, 3, 5), 1), ((3, 6, 2), 1), ((6, 2, 3, 3), 2), ((8, 3, 3, 4), 4),
    ((4, 4, 3, 3, 3), 1), ((6, 1, 2, 3, 3), 3), ((4, 2, 1, 1), 2),
])
def test_dirac_matches_torch(shape, groups):
    got = values(init.dirac_(fresh(*shape), groups))
    want = torch.nn.init.dirac_(torch.empty(shape), groups).numpy()
    np.testing.assert_array_equal(got, want)


def test_dirac_convolution_is_the_identity():
    x = cr.randn(2, 4, 9, 9)
    conv = cr.nn.Conv2d(4, 4, 3, padding=1, groups=2, bias=False)
    init.dirac_(conv.weight, groups=2)
    np.testing.assert_allclose(conv(x).detach().numpy(), x.numpy(), atol=1e-6)


@pytest.mark.parametrize("shape, groups, message", [
    ((4, 4), 1, "3, 4, or 5 dimensions"), ((4, 4, 3, 3, 3, 3), 1, "3, 4, or 5 dimensions"),
    ((6, 2, 3), 4, "divisible by groups"),
])
def test_dirac_refuses_as_torch(shape, groups, message):
    with pytest.raises(ValueError, match=message):
        torch.nn.init.dirac_(torch.empty(shape), groups)
    with pytest.raises(ValueError, match=message):
        init.dirac_(fresh(*shape), groups)


@pytest.mark.parametrize("rows, cols, sparsity", [(10, 400, 0.1), (7, 300, 0.5), (40, 50, 0.33),
                                                  (5, 8, 0.0), (5, 8, 1.0)])
def test_sparse_zeros_per_column_as_torch(rows, cols, sparsity):
    """Exactly ⌈sparsity·rows⌉ zeros in every column (as torch), at rows spread uniformly."""
    got = values(init.sparse_(fresh(rows, cols), sparsity, std=0.5))
    want = torch.nn.init.sparse_(torch.empty(rows, cols, dtype=torch.float64), sparsity,
                                 std=0.5).numpy()
    zeros = math.ceil(sparsity * rows)
    assert ((got == 0).sum(axis=0) == zeros).all() and ((want == 0).sum(axis=0) == zeros).all()
    if zeros not in (0, rows):
        per_row = (got == 0).mean(axis=1)   # each row zeroed in a share zeros/rows of columns
        p = zeros / rows
        assert np.abs(per_row - p).max() < 5 * math.sqrt(p * (1 - p) / cols)


def test_sparse_nonzeros_are_normal():
    x = values(init.sparse_(fresh(), 0.2, std=0.05))
    nonzero = x[x != 0]
    assert nonzero.size == 320 * 500
    assert_normal(nonzero, 0.05)


@pytest.mark.parametrize("shape, options, message", [
    ((3, 4, 5), dict(sparsity=0.1), "only tensors with 2 dimensions"),
    ((4,), dict(sparsity=0.1), "only tensors with 2 dimensions"),
    ((4, 5), dict(sparsity=-0.5), "sparsity .* in \\[0, 1\\]; got -0.5"),
    ((4, 5), dict(sparsity=1.5), "got 1.5"),
    ((4, 5), dict(sparsity=0.5, std=-1.0), "std must be >= 0"),
])
def test_sparse_refuses_bad_input(shape, options, message):
    with pytest.raises(ValueError, match=message):
        init.sparse_(fresh(*shape), **options)


# ----- the old names ----------------------------------------------------------------------------
@pytest.mark.parametrize("old, args", [
    ("uniform", ()), ("normal", ()), ("constant", (0.5,)), ("eye", ()), ("xavier_uniform", ()),
    ("xavier_normal", ()), ("kaiming_uniform", ()), ("kaiming_normal", ()), ("orthogonal", ()),
    ("sparse", (0.5,)),
])
def test_old_names_warn_as_torch_and_still_fill(old, args):
    with pytest.warns(FutureWarning, match=f"`nn.init.{old}` is now deprecated in favor of "
                                           f"`nn.init.{old}_`"):
        filled = getattr(init, old)(fresh(4, 6), *args)
    assert filled.shape == (4, 6)
    with pytest.warns(FutureWarning, match="nn.init.dirac"):
        init.dirac(fresh(4, 4, 3))
