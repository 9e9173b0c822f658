"""pytorch/examples vae on chainrule: from the same weights, images and reparameterisation noise,
the summed BCE + KLD loss and the trained weights follow torch's under Adam."""
import numpy as np

from tests.ports.loading import assert_close, both, copy_weights, load, tensors

BATCH = 8


def run(program, library, model, steps):
    optimizer = program.optim.Adam(model.parameters(), lr=1e-3)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(steps):
        data = tensors(rng.uniform(0, 1, (BATCH, 1, 28, 28)).astype(np.float32), library)
        eps = tensors(rng.standard_normal((BATCH, 20)).astype(np.float32), library)
        losses.append(program.train_step(model, optimizer, data, eps))
    return np.array(losses)


def test_training_steps_agree_with_torch():
    T, C = both("vae")
    T.torch.manual_seed(0)
    torch_model, chainrule_model = T.VAE(), C.VAE()
    copy_weights(torch_model, chainrule_model)
    expected = run(T, "torch", torch_model, steps=4)
    got = run(C, "chainrule", chainrule_model, steps=4)
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    for key, value in torch_model.state_dict().items():
        assert_close(value, chainrule_model.state_dict()[key], rtol=1e-3, atol=1e-5)


def test_randn_like_noise_has_the_latent_shape():
    C = load("vae", "chainrule")
    model = C.VAE()
    mu, logvar = C.torch.zeros(5, 20), C.torch.zeros(5, 20)
    z = model.reparameterize(mu, logvar)
    assert tuple(z.shape) == (5, 20) and float(z.std()) > 0.5


def test_the_training_script_runs_on_chainrule(capsys):
    load("vae", "chainrule").main(["--epochs", "1", "--images", "32", "--batch-size", "16"])
    out = capsys.readouterr().out
    assert "Average loss" in out and "sample shape: (64, 1, 28, 28)" in out
