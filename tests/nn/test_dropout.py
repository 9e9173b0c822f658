"""Dropout: inverted dropout in training (mask statistics, scaling, gradient), the identity in
eval, p's limits, reproducibility under manual_seed, channel dropout, alpha dropout's values
against torch's, gumbel_softmax, and torch's reprs."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck
from tests.nn.helpers import NN, assert_matches_torch


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_mask_statistics_and_scaling(p):
    cr.manual_seed(0)
    n = 200_000
    out = F.dropout(cr.ones(n), p).numpy()
    kept = out != 0
    # the dropped fraction is p within 5 standard errors; the kept values are exactly 1 / (1 - p)
    assert np.mean(~kept) == pytest.approx(p, abs=5 * np.sqrt(p * (1 - p) / n))
    np.testing.assert_allclose(out[kept], 1 / (1 - p), rtol=1e-6)
    assert out.mean() == pytest.approx(1.0, abs=0.02)   # unbiased: E[y] = x


def test_the_gradient_is_the_mask_over_one_minus_p():
    cr.manual_seed(1)
    x = cr.tensor(np.random.default_rng(0).uniform(1, 2, (50, 40)), requires_grad=True)
    out = F.dropout(x, 0.3)
    upstream = np.random.default_rng(1).standard_normal(x.shape)
    out.backward(cr.tensor(upstream))
    mask = out.detach().numpy() != 0
    np.testing.assert_allclose(out.detach().numpy(), x.detach().numpy() * mask / 0.7, rtol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), upstream * mask / 0.7, rtol=1e-6)


def test_gradcheck_with_a_fixed_mask():
    def fn(x):
        cr.manual_seed(3)   # the same mask on every call
        return F.dropout(x, 0.4)

    x = cr.tensor(np.random.default_rng(2).standard_normal((3, 4)), requires_grad=True)
    assert gradcheck(fn, [x]) and gradgradcheck(fn, [x])


def test_eval_mode_and_p_zero_are_the_identity():
    x = cr.randn(3, 4)
    assert F.dropout(x, 0.5, training=False) is x and F.dropout(x, 0.0) is x
    layer = NN.Dropout(0.5).eval()
    assert layer(x) is x
    ours, theirs = NN.Dropout(0.3), torch.nn.Dropout(0.3)
    assert_matches_torch(ours, theirs, [np.random.default_rng(4).standard_normal((2, 5))],
                         modes=("eval",))


def test_p_one_drops_everything_and_passes_no_gradient():
    x = cr.randn(3, 4, requires_grad=True)
    out = F.dropout(x, 1.0)
    out.sum().backward()
    assert not np.any(out.detach().numpy()) and not np.any(x.grad.numpy())


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_p_outside_zero_one_is_refused(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(cr.ones(2), p)
    with pytest.raises(ValueError, match="between 0 and 1"):
        NN.Dropout(p)


def test_manual_seed_reproduces_the_mask():
    cr.manual_seed(5)
    first = F.dropout(cr.ones(100), 0.5).numpy()
    cr.manual_seed(5)
    again = F.dropout(cr.ones(100), 0.5).numpy()
    assert np.array_equal(first, again) and not np.array_equal(first, F.dropout(cr.ones(100),
                                                                                0.5).numpy())


# every dropout, with an input of the shape it takes, and the layer of each (generator= is an
# extension: torch's dropouts draw from the global generator only)
DROPOUTS = [("dropout", "Dropout", (6, 40)), ("dropout1d", "Dropout1d", (4, 6, 10)),
            ("dropout2d", "Dropout2d", (4, 6, 3, 5)), ("dropout3d", "Dropout3d", (4, 6, 2, 3, 5)),
            ("alpha_dropout", "AlphaDropout", (6, 40)),
            ("feature_alpha_dropout", "FeatureAlphaDropout", (4, 6, 10))]


@pytest.mark.parametrize("function, layer, shape", DROPOUTS, ids=[d[0] for d in DROPOUTS])
def test_a_generator_reproduces_the_masks_and_leaves_the_global_one_alone(function, layer,
                                                                         shape):
    def masks(seed):
        """Two masks of the function and two of a layer, drawn from one generator each."""
        generator = cr.Generator().manual_seed(seed)
        draws = [getattr(F, function)(cr.ones(*shape), 0.5, training=True, generator=generator)
                 for _ in range(2)]
        module = getattr(NN, layer)(0.5, generator=cr.Generator().manual_seed(seed))
        return [x.numpy() for x in draws + [module(cr.ones(*shape)) for _ in range(2)]]

    cr.manual_seed(0)
    state = cr.get_rng_state()
    first, again = masks(11), masks(11)
    assert all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not np.array_equal(first[0], first[1])            # each call draws a new mask
    np.testing.assert_array_equal(first[0], first[2])        # the layer draws as the function
    assert not np.array_equal(first[0], masks(12)[0])
    assert cr.get_rng_state().equal(state)                   # the global generator was not used


def test_a_dropout_layer_takes_an_int_seed_once():
    layer = NN.Dropout(0.5, generator=3)
    first, second = layer(cr.ones(100)).numpy(), layer(cr.ones(100)).numpy()
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, NN.Dropout(0.5, generator=3)(cr.ones(100)).numpy())
    np.testing.assert_array_equal(first, F.dropout(cr.ones(100), 0.5, generator=3).numpy())
    with pytest.raises(TypeError, match="Dropout: generator must be a chainrule.Generator"):
        NN.Dropout(generator="seed")


def test_a_model_switches_dropout_with_train_and_eval():
    model = NN.Sequential(NN.Linear(4, 4), NN.Dropout(0.5))
    x = cr.ones(8, 4)
    assert not np.array_equal(model(x).detach().numpy(), model.eval()(x).detach().numpy())
    np.testing.assert_array_equal(model(x).detach().numpy(), model[0](x).detach().numpy())


def test_inplace():
    x = cr.ones(1000, requires_grad=True)
    h = x * 1
    out = F.dropout(h, 0.5, inplace=True)
    assert out is h
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.detach().numpy())


@pytest.mark.parametrize("fn, shape, channels", [
    (F.dropout1d, (4, 6, 50), 2), (F.dropout1d, (6, 50), 1), (F.dropout2d, (4, 6, 5, 7), 2),
    (F.dropout3d, (4, 6, 3, 5, 7), 2), (F.dropout3d, (6, 3, 5, 7), 1),
])
def test_channel_dropout_zeroes_whole_channels(fn, shape, channels):
    cr.manual_seed(6)
    out = fn(cr.ones(*shape), 0.5).numpy()
    per_channel = out.reshape(shape[:channels] + (-1,))
    assert np.all(per_channel.min(axis=-1) == per_channel.max(axis=-1))   # constant per channel
    assert 0 < np.mean(per_channel[..., 0] == 0) < 1


def test_dropout2d_reads_a_3d_input_as_n_c_l_as_torch_does():
    cr.manual_seed(7)
    with pytest.warns(UserWarning, match="3-D"):
        out = F.dropout2d(cr.ones(8, 6, 5), 0.5).numpy()
    assert np.all(out.min(axis=-1) == out.max(axis=-1))
    with pytest.raises(RuntimeError, match="dropout1d"):
        F.dropout1d(cr.ones(2, 3, 4, 5))


@pytest.mark.parametrize("layer", [
    lambda nn: nn.Dropout(), lambda nn: nn.Dropout(0.2, inplace=True), lambda nn: nn.Dropout1d(),
    lambda nn: nn.Dropout2d(0.1), lambda nn: nn.Dropout3d(0.3, True), lambda nn: nn.AlphaDropout(),
    lambda nn: nn.FeatureAlphaDropout(0.2),
])
def test_repr_matches_torch(layer):
    assert repr(layer(NN)) == repr(layer(torch.nn))


@pytest.mark.parametrize("name, shape", [("alpha_dropout", (4000,)),
                                         ("feature_alpha_dropout", (40, 100, 3))])
@pytest.mark.parametrize("p", [0.2, 0.5])
def test_alpha_dropout_takes_torchs_two_values_on_zeros(name, shape, p):
    """On zeros the output is b alone: a·λα·p where kept, a·λα·(p - 1) where dropped."""
    cr.manual_seed(0)
    ours = getattr(F, name)(cr.zeros(*shape), p, training=True).numpy()
    theirs = getattr(torch.nn.functional, name)(torch.zeros(shape, dtype=torch.float32), p,
                                                training=True).numpy()
    np.testing.assert_allclose(np.unique(ours), np.unique(theirs), rtol=1e-6)
    assert abs(np.mean(ours == np.unique(ours)[0]) - p) < 0.05
    if name == "feature_alpha_dropout":
        assert np.all(ours.min(axis=-1) == ours.max(axis=-1))     # whole channels


def test_alpha_dropout_keeps_selu_statistics_and_its_gradient_is_the_scale():
    cr.manual_seed(1)
    x = cr.randn(200000, requires_grad=True)
    out = F.alpha_dropout(x, 0.3, training=True)
    assert abs(out.detach().mean().item()) < 0.01 and abs(out.detach().std().item() - 1) < 0.01
    out.sum().backward()
    a = 1 / np.sqrt((1.7580993408473766 ** 2 * 0.3 + 1) * 0.7)
    np.testing.assert_allclose(np.unique(x.grad.numpy()), [0, a], rtol=1e-6)
    assert F.alpha_dropout(x, 0.3) is x                   # training=False by default, as torch
    layer = cr.nn.AlphaDropout(0.3).eval()
    assert layer(x) is x


def test_gumbel_softmax_samples_and_straight_through_gradient():
    cr.manual_seed(2)
    logits = cr.tensor(np.log([[0.1, 0.2, 0.7]] * 20000), requires_grad=True)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.detach().sum(-1).numpy(), 1.0, rtol=1e-12)
    hard = F.gumbel_softmax(logits, hard=True)
    assert set(np.unique(hard.detach().numpy())) == {0.0, 1.0}
    np.testing.assert_allclose(hard.detach().numpy().mean(0), [0.1, 0.2, 0.7], atol=0.015)
    weights = cr.tensor([1.0, 2.0, 3.0])
    (hard * weights).sum().backward()
    assert logits.grad is not None and np.any(logits.grad.numpy() != 0)
    np.testing.assert_allclose(logits.grad.numpy().sum(-1), 0, atol=1e-12)   # softmax's Jacobian
    with pytest.raises(RuntimeError, match="gumbel_softmax: expected floating point"):
        F.gumbel_softmax(cr.tensor([1, 2]))


# ----- Dropout2d: the identity in eval mode; in training one mask per (sample, channel) ----------
def test_dropout2d_in_eval_mode_is_the_identity_as_torch():
    x = cr.randn(3, 4, 5, 6, requires_grad=True)
    layer = NN.Dropout2d(0.7).eval()
    assert layer(x) is x and F.dropout2d(x, 0.7, training=False) is x
    assert NN.Dropout2d(0.7, inplace=True).eval()(x) is x
    assert_matches_torch(NN.Dropout2d(0.4), torch.nn.Dropout2d(0.4),
                         [np.random.default_rng(8).standard_normal((2, 3, 4, 5))], modes=("eval",))


@pytest.mark.parametrize("p", [0.25, 0.5, 0.8])
@pytest.mark.parametrize("layer", [False, True])
def test_dropout2d_drops_whole_planes_with_a_mask_per_sample(p, layer):
    """Each (sample, channel) plane is all zero or all x / (1 - p), and the samples' masks
    differ: one draw per (N, C), not one per channel shared by the batch."""
    n, c = 64, 8
    values = np.random.default_rng(9).uniform(0.5, 1.5, (n, c, 3, 4))
    x = cr.tensor(values, requires_grad=True)
    cr.manual_seed(10)
    out = NN.Dropout2d(p)(x) if layer else F.dropout2d(x, p)
    got = out.detach().numpy()
    kept = np.all(got == values * (1 / (1 - p)), axis=(2, 3))   # as torch: x * (mask / (1 - p))
    dropped = np.all(got == 0, axis=(2, 3))
    assert np.all(kept ^ dropped), "a plane is partly dropped or wrongly scaled"
    assert len({tuple(row) for row in kept}) > n // 4, "the samples share one channel mask"
    assert abs(dropped.mean() - p) < 4 * np.sqrt(p * (1 - p) / (n * c))
    out.backward(cr.ones_like(out))   # the gradient is the plane's mask over 1 - p
    np.testing.assert_array_equal(x.grad.numpy(),
                                  np.broadcast_to(kept[:, :, None, None] * (1 / (1 - p)),
                                                  values.shape))


def test_dropout2d_masks_follow_the_same_rule_as_torchs():
    """Same shapes as torch's masks: torch's output, on the same input, is also constant on
    each plane, varies across samples, and keeps the same scale."""
    values = np.random.default_rng(11).uniform(0.5, 1.5, (32, 6, 2, 3))
    for L in (torch, cr):
        L.manual_seed(12)
        out = L.nn.functional.dropout2d(L.tensor(values), 0.5)
        got = out.numpy()
        kept = np.all(got == (values / 0.5).astype(got.dtype), axis=(2, 3))
        assert np.all(kept ^ np.all(got == 0, axis=(2, 3))), L.__name__
        assert len({tuple(row) for row in kept}) > 8, L.__name__
