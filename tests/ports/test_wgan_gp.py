"""WGAN-GP on chainrule: the gradient penalty differentiates through autograd.grad(create_graph=
True), and from the same weights, images and NumPy draws the critic's gradients and both losses
follow torch's."""
import argparse

import numpy as np

from tests.ports.loading import assert_close, both, copy_weights, load, tensors

LATENT, SHAPE, BATCH = 8, (1, 6, 6), 5


def networks(program):
    program.torch.manual_seed(0)
    return program.Generator(LATENT, SHAPE), program.Discriminator(SHAPE)


def optimizers(program, generator, discriminator):
    Adam = program.torch.optim.Adam
    return (Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999)),
            Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999)))


def images(library, count):
    rng = np.random.default_rng(1)
    return [tensors(rng.uniform(-1, 1, (BATCH, *SHAPE)).astype(np.float32), library)
            for _ in range(count)]


def paired():
    T, C = both("wgan_gp")
    torch_nets, chainrule_nets = networks(T), networks(C)
    for torch_net, chainrule_net in zip(torch_nets, chainrule_nets):
        copy_weights(torch_net, chainrule_net)
    return (T, "torch", torch_nets), (C, "chainrule", chainrule_nets)


def test_critic_gradients_with_the_penalty_agree_with_torch():
    results = []
    for program, library, (generator, discriminator) in paired():
        _, optimizer_D = optimizers(program, generator, discriminator)
        np.random.seed(3)
        real = images(library, 1)[0]
        _, d_loss, gp = program.critic_step(generator, discriminator, optimizer_D, real, LATENT,
                                            step=False)
        grads = {name: p.grad for name, p in discriminator.named_parameters()}
        results.append((d_loss, gp, grads))
    (d_t, gp_t, grads_t), (d_c, gp_c, grads_c) = results
    assert gp_t > 0
    np.testing.assert_allclose([d_c, gp_c], [d_t, gp_t], rtol=1e-4)
    for name, grad in grads_t.items():
        assert_close(grad, grads_c[name], rtol=1e-4, atol=1e-6)


def test_training_losses_agree_with_torch():
    opt = argparse.Namespace(latent_dim=LATENT, lambda_gp=10, n_critic=2)
    histories = []
    for program, library, (generator, discriminator) in paired():
        optimizer_G, optimizer_D = optimizers(program, generator, discriminator)
        np.random.seed(4)
        histories.append(program.train(generator, discriminator, optimizer_G, optimizer_D,
                                       images(library, 4), opt))
    (expected, got) = histories
    for step_t, step_c in zip(expected, got):
        assert (step_t[2] is None) == (step_c[2] is None)
        np.testing.assert_allclose([v for v in step_c if v is not None],
                                   [v for v in step_t if v is not None], rtol=1e-4, atol=1e-6)


def test_the_training_script_runs_on_chainrule(capsys):
    history = load("wgan_gp", "chainrule").main(["--batches", "3", "--batch_size", "4"])
    assert len(history) == 3 and "[D loss:" in capsys.readouterr().out
