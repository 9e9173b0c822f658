"""pytorch/examples super_resolution (ESPCN) on chainrule: the same weights and batches give
torch's losses and PSNR; saving the whole model is refused with the state_dict advice."""
import numpy as np
import pytest

from tests.ports.loading import both, copy_weights, load, tensors

UPSCALE = 3


def loaders(program, library, seed=0, n=8, batch=4):
    rng = np.random.default_rng(seed)
    targets = rng.random((n, 1, 6 * UPSCALE, 6 * UPSCALE), dtype=np.float32)
    inputs = targets.reshape(n, 1, 6, UPSCALE, 6, UPSCALE).mean(axis=(3, 5))
    dataset = program.torch.utils.data.TensorDataset(*tensors((inputs, targets), library))
    return program.DataLoader(dataset, batch_size=batch, shuffle=False)


def test_training_and_psnr_agree_with_torch():
    T, C = both("super_resolution")
    T.torch.manual_seed(0)
    torch_model = T.Net(upscale_factor=UPSCALE)
    chainrule_model = C.Net(upscale_factor=UPSCALE)
    copy_weights(torch_model, chainrule_model)
    results = []
    for library, program, model in (("torch", T, torch_model), ("chainrule", C, chainrule_model)):
        criterion = program.nn.MSELoss()
        optimizer = program.optim.Adam(model.parameters(), lr=0.01)
        device = program.torch.device("cpu")
        losses = [program.train(epoch, model, criterion, optimizer,
                                loaders(program, library), device) for epoch in (1, 2)]
        psnr = program.test(model, criterion, loaders(program, library, seed=1), device)
        results.append(losses + [psnr])
    np.testing.assert_allclose(results[1], results[0], rtol=1e-4)


def test_orthogonal_init_and_the_upscaled_shape():
    C = load("super_resolution", "chainrule")
    model = C.Net(upscale_factor=UPSCALE)
    weight = model.conv2.weight.detach().numpy().reshape(64, -1)
    gain = 2 ** 0.5   # calculate_gain('relu')
    np.testing.assert_allclose(weight @ weight.T, gain ** 2 * np.eye(64), atol=1e-4)
    assert tuple(model(C.torch.rand(2, 1, 5, 7)).shape) == (2, 1, 15, 21)


def test_the_training_script_runs_on_chainrule(capsys):
    load("super_resolution", "chainrule").main(["--nEpochs", "1"])
    assert "Avg. PSNR" in capsys.readouterr().out


def test_saving_the_whole_model_is_refused_with_advice(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    C = load("super_resolution", "chainrule")
    with pytest.raises(TypeError, match=r"got a Net.*save its state_dict\(\)"):
        C.checkpoint(C.Net(upscale_factor=UPSCALE), 1)
