"""The spatial transformer tutorial on chainrule: with the localisation net starting from a
non-trivial affine transform, F.affine_grid + F.grid_sample, the classifier and F.nll_loss give
torch's losses, gradients and SGD trajectory (dropout off: the two libraries draw differently)."""
import numpy as np

from tests.ports.loading import assert_close, both, copy_weights, load, tensors

BATCH = 6


def models():
    T, C = both("spatial_transformer")
    T.torch.manual_seed(0)
    torch_model, chainrule_model = T.Net(), C.Net()
    with T.torch.no_grad():
        # rotate, shear and shift a little, so that sampling falls between pixels and outside
        torch_model.fc_loc[2].bias.copy_(T.torch.tensor([0.9, -0.3, 0.1, 0.25, 1.1, -0.2]))
        torch_model.fc_loc[2].weight.normal_(0, 0.05)
    copy_weights(torch_model, chainrule_model)
    torch_model.eval()
    chainrule_model.eval()
    return (T, "torch", torch_model), (C, "chainrule", chainrule_model)


def batches(library, steps):
    rng = np.random.default_rng(0)
    return [(tensors(rng.uniform(0, 1, (BATCH, 1, 28, 28)).astype(np.float32), library),
             tensors(rng.integers(0, 10, BATCH), library)) for _ in range(steps)]


def test_sampled_images_and_gradients_agree_with_torch():
    results = []
    for program, library, model in models():
        data, target = batches(library, 1)[0]
        data.requires_grad_(True)
        sampled = model.stn(data)
        loss = program.F.nll_loss(model(data), target)
        loss.backward()
        grads = {name: p.grad for name, p in model.named_parameters()}
        results.append((sampled, loss, data.grad, grads))
    (s_t, l_t, x_t, g_t), (s_c, l_c, x_c, g_c) = results
    # float32 sampling coordinates scaled to pixels carry ~1e-6 of rounding into the weights
    assert_close(s_t, s_c, rtol=1e-4, atol=1e-5)
    assert_close(l_t, l_c, rtol=1e-5)
    assert_close(x_t, x_c, rtol=1e-3, atol=1e-7)
    for name, grad in g_t.items():
        assert_close(grad, g_c[name], rtol=1e-3, atol=1e-7)


def test_sgd_training_steps_agree_with_torch():
    losses = []
    for program, library, model in models():
        optimizer = program.optim.SGD(model.parameters(), lr=0.01)
        losses.append([program.train_step(model, optimizer, data, target)
                       for data, target in batches(library, 4)])
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)


def test_the_training_script_runs_on_chainrule(capsys):
    test_loss, correct = load("spatial_transformer", "chainrule").main(
        ["--epochs", "1", "--images", "16", "--batch-size", "8"])
    assert test_loss > 0 and 0 <= correct <= 16
    assert "Test set: Average loss" in capsys.readouterr().out
