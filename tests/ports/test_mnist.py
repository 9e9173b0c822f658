"""pytorch/examples mnist on chainrule: Adadelta with StepLR, dropout, max pooling and
log-softmax give torch's losses and test counts from the same weights and batches."""
import argparse
import os
import subprocess
import sys

import numpy as np
import pytest

from tests.ports.loading import PROGRAMS, both, copy_weights, load, tensors


def datasets(program, library):
    rng = np.random.default_rng(0)
    sets = []
    for n in (32, 16):
        images = ((rng.random((n, 1, 28, 28)) - 0.1307) / 0.3081).astype(np.float32)
        sets.append(program.TensorDataset(*tensors((images, rng.integers(0, 10, n)), library)))
    return sets


@pytest.mark.filterwarnings("ignore:'pin_memory' argument is set as true")
def test_training_and_testing_agree_with_torch(capsys):
    T, C = both("mnist")
    T.torch.manual_seed(0)
    torch_model = T.Net()
    chainrule_model = C.Net()
    copy_weights(torch_model, chainrule_model)
    args = argparse.Namespace(log_interval=1, dry_run=False)
    results = []
    for library, program, model in (("torch", T, torch_model), ("chainrule", C, chainrule_model)):
        model.dropout1.p = model.dropout2.p = 0.0   # the masks are random: compare without them
        train_set, test_set = datasets(program, library)
        loader = program.torch.utils.data.DataLoader
        # num_workers and pin_memory as the example passes them; in order, so both agree
        train_loader = loader(train_set, batch_size=8, num_workers=1, pin_memory=True)
        test_loader = loader(test_set, batch_size=16)
        optimizer = program.optim.Adadelta(model.parameters(), lr=1.0)
        scheduler = program.StepLR(optimizer, step_size=1, gamma=0.7)
        device = program.torch.device("cpu")
        run = []
        for epoch in (1, 2):
            run += program.train(args, model, device, train_loader, optimizer, epoch)
            run += program.test(model, device, test_loader)
            scheduler.step()
        results.append(run)
    np.testing.assert_allclose(results[1], results[0], rtol=1e-4)


def test_dropout_is_active_in_training_only():
    C = load("mnist", "chainrule")
    model = C.Net()
    x = C.torch.randn(2, 1, 28, 28)
    model.eval()
    assert C.torch.equal(model(x), model(x))
    model.train()
    assert not C.torch.equal(model(x), model(x))


def test_the_example_runs_on_chainrule(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    load("mnist", "chainrule").main(["--epochs", "1", "--save-model"])
    assert "Test set: Average loss" in capsys.readouterr().out
    assert (tmp_path / "mnist_cnn.pt").exists()


def test_chainrule_run_runs_the_unmodified_script(tmp_path):
    """The way a user ports it: `chainrule run main.py ...` with nothing in the file changed."""
    script = PROGRAMS / "mnist.py"
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTHONPATH"] = os.pathsep.join(sys.path)   # this process's chainrule, not another copy
    result = subprocess.run(
        [sys.executable, "-m", "chainrule", "run", str(script), "--epochs", "1", "--dry-run",
         "--num-workers", "2", "--save-model"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "Train Epoch: 1 [0/64 (0%)]" in result.stdout
    assert "Test set: Average loss" in result.stdout
    assert (tmp_path / "mnist_cnn.pt").exists()
