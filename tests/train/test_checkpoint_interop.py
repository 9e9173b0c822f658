"""Checkpoints cross between chainrule and torch: same names, same layouts, same outputs.

Each architecture is written once against the PyTorch API and built with L = chainrule or torch.
A chainrule checkpoint loads into torch with safetensors.torch.load_file + load_state_dict, and a
torch checkpoint saved with safetensors.torch.save_file loads into chainrule.
"""
import numpy as np
import pytest
import safetensors.torch
import torch

import chainrule as cr


def mlp(L):
    nn = L.nn
    return nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)), (5, 4)


def cnn(L):
    nn = L.nn
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    return model, (2, 1, 8, 8)


def lstm(L):
    class Tagger(L.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = L.nn.LSTM(5, 6, num_layers=2, bidirectional=True, batch_first=True)
            self.head = L.nn.Linear(12, 3)

        def forward(self, x):
            out, _ = self.lstm(x)
            return self.head(out)
    return Tagger(), (2, 7, 5)


def transformer(L):
    layer = L.nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True)
    return L.nn.TransformerEncoder(layer, 2), (2, 5, 8)


ARCHITECTURES = [mlp, cnn, lstm, transformer]


def outputs(ours, theirs, shape, dtype):
    """Both models in eval mode (dropout off, running statistics) on the same input."""
    x = np.random.default_rng(7).standard_normal(shape).astype(dtype)
    ours.eval(), theirs.eval()
    return ours(cr.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy()


def tolerance(dtype):
    return {"float32": 1e-5, "float64": 1e-10}[dtype]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("build", ARCHITECTURES, ids=lambda b: b.__name__)
def test_a_chainrule_checkpoint_loads_into_torch(build, dtype, tmp_path):
    cr.manual_seed(1)
    ours, shape = build(cr)
    theirs, _ = build(torch)
    ours.to(dtype), theirs.to(getattr(torch, dtype))
    if build is cnn:   # non-trivial running statistics, so that the buffers matter
        ours.train()
        ours(cr.randn(*shape, dtype=dtype))
    cr.save(ours.state_dict(), tmp_path / "model.safetensors")
    theirs.load_state_dict(safetensors.torch.load_file(tmp_path / "model.safetensors"))
    mine, expected = outputs(ours, theirs, shape, dtype)
    np.testing.assert_allclose(mine, expected, rtol=tolerance(dtype), atol=tolerance(dtype))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("build", ARCHITECTURES, ids=lambda b: b.__name__)
def test_a_torch_checkpoint_loads_into_chainrule(build, dtype, tmp_path):
    torch.manual_seed(1)
    theirs, shape = build(torch)
    ours, _ = build(cr)
    ours.to(dtype), theirs.to(getattr(torch, dtype))
    if build is cnn:
        theirs.train()
        theirs(torch.randn(*shape, dtype=getattr(torch, dtype)))
    safetensors.torch.save_file(theirs.state_dict(), tmp_path / "model.safetensors")
    result = ours.load_state_dict(cr.load(tmp_path / "model.safetensors"))
    assert result.missing_keys == [] and result.unexpected_keys == []
    mine, expected = outputs(ours, theirs, shape, dtype)
    np.testing.assert_allclose(mine, expected, rtol=tolerance(dtype), atol=tolerance(dtype))


def test_a_mismatched_checkpoint_names_what_differs(tmp_path):
    ours, _ = cnn(cr)
    state = dict(ours.state_dict())
    state["5.weight"] = cr.zeros(3, 10)
    del state["1.running_mean"]
    with pytest.raises(RuntimeError, match=r"(?s)running_mean.*5\.weight"):
        ours.load_state_dict(state)
