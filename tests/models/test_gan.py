"""The GAN models and losses: shapes, agreement with torch (forward and every gradient), a
float64 gradient check, the losses' definitions, and a discriminator loss that falls."""
import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.models.gan import (DCDiscriminator, DCGenerator, DigitClassifier, MLPDiscriminator,
                                  MLPGenerator, MLPImageDiscriminator, MLPImageGenerator, Packed,
                                  discriminator_loss, generator_loss, sample_latent)

PAIRS = [  # (generator, discriminator, the data's shape after the batch)
    (lambda: MLPGenerator(latent_dim=4, hidden=8), lambda: MLPDiscriminator(hidden=8), (2,)),
    (lambda: DCGenerator(latent_dim=4, channels=3), lambda: DCDiscriminator(channels=3), (1, 8, 8)),
    (lambda: MLPImageGenerator(latent_dim=4, hidden=8), lambda: MLPImageDiscriminator(hidden=8),
     (1, 8, 8)),
]


@pytest.mark.parametrize("make_g, make_d, shape", PAIRS)
def test_a_generator_makes_data_and_a_discriminator_one_logit_each(make_g, make_d, shape):
    cr.manual_seed(0)
    generator, discriminator = make_g(), make_d()
    fake = generator(sample_latent(5, generator.latent_dim))
    assert tuple(fake.shape) == (5, *shape)
    assert tuple(discriminator(fake).shape) == (5,)
    if shape != (2,):   # images come out of a tanh, in the data's range [-1, 1]
        assert fake.abs().max().item() <= 1


def torch_twin(module):
    """The same network built from torch.nn, with the chainrule module's weights."""
    twin = torch.nn.Sequential(*[torch_layer(layer) for layer in leaves(module)]).double()
    for target, source in zip(twin.parameters(), module.parameters(), strict=True):
        target.data = torch.tensor(source.detach().numpy(), dtype=torch.float64)
    return twin


def leaves(module):
    """The layers of a network in order, the containers (Sequential, an inner MLP) opened."""
    children = list(module.children())
    return [leaf for child in children for leaf in leaves(child)] if children else [module]


def torch_layer(layer):
    name = type(layer).__name__
    if name == "Linear":
        return torch.nn.Linear(layer.in_features, layer.out_features)
    if name in ("Conv2d", "ConvTranspose2d"):
        return getattr(torch.nn, name)(layer.in_channels, layer.out_channels, layer.kernel_size,
                                       layer.stride, layer.padding)
    if name == "BatchNorm2d":
        return torch.nn.BatchNorm2d(layer.num_features)
    if name == "LeakyReLU":
        return torch.nn.LeakyReLU(layer.negative_slope)
    if name == "Unflatten":
        return torch.nn.Unflatten(layer.dim, layer.unflattened_size)
    return getattr(torch.nn, name)()


@pytest.mark.parametrize("make_g, make_d, shape", PAIRS)
@pytest.mark.parametrize("loss", ["nonsaturating", "minimax"])
def test_losses_and_every_gradient_agree_with_torch(make_g, make_d, shape, loss):
    cr.manual_seed(1)
    generator, discriminator = make_g().double(), make_d().double()
    z = np.random.default_rng(0).standard_normal((6, generator.latent_dim))
    real = np.random.default_rng(1).uniform(-1, 1, (6, *shape))
    fake = generator(cr.tensor(z))
    d_loss = discriminator_loss(discriminator(cr.tensor(real)), discriminator(fake.detach()))
    g_loss = generator_loss(discriminator(fake), loss)
    (d_loss + g_loss).backward()

    torch_g, torch_d = torch_twin(generator), torch_twin(discriminator)
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    torch_fake = torch_g(torch.tensor(z))
    real_logits = torch_d(torch.tensor(real)).squeeze(1)
    fake_logits = torch_d(torch_fake.detach()).squeeze(1)
    torch_d_loss = (bce(real_logits, torch.ones(6, dtype=torch.float64))
                    + bce(fake_logits, torch.zeros(6, dtype=torch.float64)))
    logits = torch_d(torch_fake).squeeze(1)
    torch_g_loss = (bce(logits, torch.ones(6, dtype=torch.float64)) if loss == "nonsaturating"
                    else -bce(logits, torch.zeros(6, dtype=torch.float64)))
    (torch_d_loss + torch_g_loss).backward()

    assert d_loss.item() == pytest.approx(torch_d_loss.item(), rel=1e-10)
    assert g_loss.item() == pytest.approx(torch_g_loss.item(), rel=1e-10)
    for module, twin in ((generator, torch_g), (discriminator, torch_d)):
        for mine, theirs in zip(module.parameters(), twin.parameters(), strict=True):
            np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-8,
                                       atol=1e-12)


def test_a_float64_gradient_check_through_generator_and_discriminator():
    cr.manual_seed(2)
    generator = MLPGenerator(latent_dim=3, hidden=5).double()
    discriminator = MLPDiscriminator(hidden=5).double()
    z = cr.randn(4, 3, dtype=cr.float64, requires_grad=True)
    assert cr.autograd.gradcheck(lambda z: generator_loss(discriminator(generator(z))), (z,))
    assert cr.autograd.gradcheck(lambda z: discriminator_loss(discriminator(generator(z)),
                                                             discriminator(-generator(z))), (z,))


@pytest.mark.parametrize("logit", [-6.0, -1.0, 0.0, 2.0])
def test_the_losses_are_their_formulas(logit):
    d = 1 / (1 + math.exp(-logit))   # D = σ(logit)
    logits = cr.tensor([logit], dtype=cr.float64)
    assert generator_loss(logits, "minimax").item() == pytest.approx(math.log(1 - d))
    assert generator_loss(logits, "nonsaturating").item() == pytest.approx(-math.log(d))
    assert discriminator_loss(logits, logits).item() == pytest.approx(-math.log(d)
                                                                      - math.log(1 - d))


def test_the_minimax_gradient_vanishes_where_the_discriminator_wins():
    # Goodfellow et al. (2014), §3: d/dlogit log(1 - σ) = -σ → 0 as D(G(z)) → 0, while
    # d/dlogit (-log σ) = σ - 1 → -1: the non-saturating loss still pushes.
    logits = cr.tensor([-8.0], dtype=cr.float64, requires_grad=True)
    generator_loss(logits, "minimax").backward()
    minimax, logits.grad = logits.grad.item(), None
    generator_loss(logits, "nonsaturating").backward()
    assert abs(minimax) < 1e-3 and logits.grad.item() == pytest.approx(-1, abs=1e-3)


def test_an_unknown_loss_is_refused():
    with pytest.raises(ValueError, match="generator_loss: kind must be one of nonsaturating, "
                                         "minimax, got 'wasserstein'"):
        generator_loss(cr.zeros(3), "wasserstein")


def test_the_discriminator_loss_falls_on_a_fixed_batch():
    cr.manual_seed(3)
    generator, discriminator = DCGenerator(latent_dim=4, channels=4), DCDiscriminator(channels=4)
    real = cr.rand(16, 1, 8, 8) * 2 - 1
    with cr.no_grad():
        fake = generator(sample_latent(16, 4))
    optimizer = cr.optim.Adam(discriminator.parameters(), lr=1e-2)
    losses = []
    for _ in range(20):
        loss = discriminator_loss(discriminator(real), discriminator(fake))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(2 * math.log(2), abs=0.3)   # chance: log 2 on each side
    assert losses[-1] < 0.1 * losses[0]


def test_packing_judges_consecutive_samples_together():
    cr.manual_seed(4)
    inner = MLPDiscriminator(in_features=4, hidden=8)
    packed = Packed(inner, 2)
    x = cr.randn(6, 2)
    np.testing.assert_allclose(packed(x).detach().numpy(), inner(x.reshape(3, 4)).detach().numpy())
    assert tuple(packed(x).shape) == (3,)
    with pytest.raises(ValueError, match="Packed: a batch of 5 cannot be split into groups of 2"):
        packed(cr.randn(5, 2))
    with pytest.raises(ValueError, match="Packed: pack must be a positive int, got 0"):
        Packed(inner, 0)   # was a ZeroDivisionError at the first batch


def test_the_digit_classifier_gives_ten_logits_per_image_and_learns_a_batch():
    cr.manual_seed(5)
    classifier = DigitClassifier(channels=4)
    x, y = cr.rand(20, 1, 8, 8) * 2 - 1, cr.arange(20) % 10
    assert tuple(classifier(x).shape) == (20, 10)
    optimizer = cr.optim.Adam(classifier.parameters(), lr=1e-2)
    losses = []
    for _ in range(40):
        loss = cr.nn.functional.cross_entropy(classifier(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[0] == pytest.approx(math.log(10), abs=0.3) and losses[-1] < 0.3 * losses[0]


def test_the_digit_classifier_and_its_gradients_agree_with_torch():
    cr.manual_seed(6)
    classifier = DigitClassifier(channels=2).double()
    x = np.random.default_rng(2).uniform(-1, 1, (5, 1, 8, 8))
    y = np.arange(5) % 10
    loss = cr.nn.functional.cross_entropy(classifier(cr.tensor(x)), cr.tensor(y))
    loss.backward()
    twin = torch_twin(classifier)
    torch_loss = torch.nn.functional.cross_entropy(twin(torch.tensor(x)), torch.tensor(y))
    torch_loss.backward()
    assert loss.item() == pytest.approx(torch_loss.item(), rel=1e-10)
    for mine, theirs in zip(classifier.parameters(), twin.parameters(), strict=True):
        np.testing.assert_allclose(mine.grad.numpy(), theirs.grad.numpy(), rtol=1e-8, atol=1e-12)
