"""Checkpoints: exact round trips of (nested) state dicts, atomic writes, checksums, clear errors
for damaged or foreign files, and state dicts that torch reads and writes too."""
import os
from collections import OrderedDict

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch

import chainrule as cr
from chainrule.nn.linear import Linear
from chainrule.nn.module import Module
from chainrule.train import checkpoint
from chainrule.train.checkpoint import load, save


def _assert_same(mine, expected):
    assert type(mine) is (cr.Tensor if isinstance(expected, cr.Tensor) else type(expected))
    if isinstance(expected, cr.Tensor):
        assert mine.dtype == expected.dtype and mine.shape == expected.shape
        np.testing.assert_array_equal(mine.numpy(), expected.numpy())
    elif isinstance(expected, dict):
        assert list(mine) == list(expected)
        for key in expected:
            _assert_same(mine[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert len(mine) == len(expected)
        for a, b in zip(mine, expected):
            _assert_same(a, b)
    else:
        assert mine == expected or (mine != mine and expected != expected)   # nan == nan


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int32", "int64",
                                   "uint8", "bool"])
def test_round_trip_keeps_dtype_and_values(tmp_path, dtype):
    rng = np.random.default_rng(0)
    state = OrderedDict(w=cr.tensor((rng.standard_normal((3, 4)) * 50).astype(dtype)),
                        scalar=cr.tensor(np.array(7, dtype=dtype)),
                        empty=cr.tensor(np.zeros((0, 2), dtype=dtype)))
    save(state, tmp_path / "c.safetensors")
    _assert_same(load(tmp_path / "c.safetensors"), state)


def test_nested_state_with_optimizer_values(tmp_path):
    weight = cr.randn(3, 2)
    state = {
        "model": OrderedDict([("0.weight", weight), ("0.bias", cr.zeros(3))]),
        "optimizer": {"state": {0: {"step": 4, "exp_avg": cr.ones(3, 2, dtype=cr.float64)}},
                      "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "params": [0, 1],
                                        "amsgrad": False, "foreach": None}]},
        "epoch": 5, "note": "best", "inf": float("inf"), "nan": float("nan"),
        "history": [cr.tensor(1.5), cr.tensor(2.5)],
    }
    path = tmp_path / "nested.safetensors"
    save(state, path)
    _assert_same(load(path), state)
    # other readers see the tensors under dotted names
    names = set(safetensors.numpy.load_file(path))
    assert names == {"model.0.weight", "model.0.bias", "optimizer.state.0.exp_avg",
                     "history.0", "history.1"}


def test_non_contiguous_tensors_round_trip(tmp_path):
    base = cr.tensor(np.arange(12.0).reshape(3, 4))
    views = {"transposed": base.t(), "strided": cr.Tensor._make(base.numpy()[:, ::2]),
             "big-endian": cr.Tensor._make(base.numpy().astype(">f8"))}
    assert not views["transposed"].numpy().flags.c_contiguous
    save(views, tmp_path / "v.safetensors")
    loaded = load(tmp_path / "v.safetensors")
    np.testing.assert_array_equal(loaded["transposed"].numpy(), base.numpy().T)
    np.testing.assert_array_equal(loaded["strided"].numpy(), base.numpy()[:, ::2])
    np.testing.assert_array_equal(loaded["big-endian"].numpy(), base.numpy())


def test_parameters_and_keep_vars_state_dicts(tmp_path):
    layer = Linear(3, 2)
    save(layer.state_dict(keep_vars=True), tmp_path / "p.safetensors")
    loaded = load(tmp_path / "p.safetensors")
    assert not loaded["weight"].requires_grad
    np.testing.assert_array_equal(loaded["weight"].numpy(), layer.weight.detach().numpy())


def test_a_crash_mid_write_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "model.safetensors"
    save({"w": cr.ones(4)}, path)

    def crash(arrays, filename, metadata=None):
        with open(filename, "wb") as file:
            file.write(b"half a checkpoint")
        raise KeyboardInterrupt
    monkeypatch.setattr(checkpoint, "save_file", crash)
    with pytest.raises(KeyboardInterrupt):
        save({"w": cr.zeros(4)}, path)
    assert os.listdir(tmp_path) == ["model.safetensors"]   # no temporary file left behind
    assert load(path)["w"].tolist() == [1, 1, 1, 1]


def test_saving_over_a_checkpoint_replaces_it(tmp_path):
    path = tmp_path / "c.safetensors"
    save({"w": cr.ones(2)}, path)
    save({"w": cr.zeros(3)}, str(path))
    assert load(path)["w"].tolist() == [0, 0, 0]
    assert os.listdir(tmp_path) == ["c.safetensors"]


def test_file_mode_follows_the_umask_and_missing_directories_are_named(tmp_path):
    (tmp_path / "plain").write_bytes(b"")
    save({"w": cr.ones(2)}, tmp_path / "c.safetensors")
    assert os.stat(tmp_path / "c.safetensors").st_mode == os.stat(tmp_path / "plain").st_mode
    with pytest.raises(FileNotFoundError, match="chainrule.save: no such directory"):
        save({"w": cr.ones(2)}, tmp_path / "absent" / "c.safetensors")


def test_a_flipped_data_byte_fails_the_checksum(tmp_path):
    path = tmp_path / "c.safetensors"
    save({"w": cr.zeros(8)}, path)
    data = bytearray(path.read_bytes())
    data[-3] ^= 0x10
    path.write_bytes(bytes(data))
    with pytest.raises(RuntimeError, match="checksum mismatch.*corrupted.*verify=False"):
        load(path)
    assert load(path, verify=False)["w"].numpy().any()


def test_truncated_missing_and_foreign_files(tmp_path):
    path = tmp_path / "c.safetensors"
    save({"w": cr.zeros(8)}, path)
    path.write_bytes(path.read_bytes()[:-4])
    with pytest.raises(RuntimeError, match="not a readable safetensors file.*truncated or corrupt"):
        load(path)
    with pytest.raises(FileNotFoundError, match="chainrule.load: no such file"):
        load(tmp_path / "absent.safetensors")
    (tmp_path / "notes.txt").write_text("not a checkpoint at all")
    with pytest.raises(RuntimeError, match="not a readable safetensors file"):
        load(tmp_path / "notes.txt")
    torch.save({"w": torch.zeros(2)}, tmp_path / "model.pt")
    with pytest.raises(RuntimeError, match="chainrule never unpickles: save model.state_dict"):
        load(tmp_path / "model.pt")
    torch.save({"w": torch.zeros(2)}, tmp_path / "old.pt", _use_new_zipfile_serialization=False)
    with pytest.raises(RuntimeError, match="never unpickles"):
        load(tmp_path / "old.pt")


class MLP(Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = Linear(4, 8), Linear(8, 3)

    def forward(self, x):
        return self.fc2(cr.relu(self.fc1(x)))


class TorchMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2 = torch.nn.Linear(4, 8), torch.nn.Linear(8, 3)

    def forward(self, x):
        return self.fc2(torch.relu(self.fc1(x)))


def test_saving_a_module_or_an_object_points_to_state_dict(tmp_path):
    with pytest.raises(TypeError, match=r"got a MLP; .*save its state_dict\(\)"):
        save(MLP(), tmp_path / "m.safetensors")
    with pytest.raises(TypeError, match=r"got a Linear at 'layers.0'.*state_dict"):
        save({"layers": [Linear(1, 1)]}, tmp_path / "m.safetensors")
    with pytest.raises(TypeError, match=r"cannot store a set at 'tags'"):
        save({"tags": {1, 2}}, tmp_path / "m.safetensors")
    with pytest.raises(ValueError, match=r"two tensors .* name 'a.b'"):
        save({"a.b": cr.ones(1), "a": {"b": cr.ones(1)}}, tmp_path / "m.safetensors")
    with pytest.raises(TypeError, match="'z' has dtype complex128, which safetensors cannot"):
        save({"z": np.zeros(2, np.complex128)}, tmp_path / "m.safetensors")
    assert os.listdir(tmp_path) == []


def _outputs_match(ours, theirs, dtype, seed):
    x = np.random.default_rng(seed).standard_normal((5, 4)).astype(dtype)
    expected = theirs(torch.tensor(x)).detach().numpy()
    tolerance = 1e-5 if dtype == "float32" else 1e-10
    np.testing.assert_allclose(ours(cr.tensor(x)).detach().numpy(), expected, rtol=tolerance,
                               atol=tolerance)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_chainrule_checkpoint_loads_into_torch(tmp_path, dtype):
    cr.manual_seed(0)
    ours, theirs = MLP().to(dtype), TorchMLP().to(getattr(torch, dtype))
    save(ours.state_dict(), tmp_path / "mlp.safetensors")
    theirs.load_state_dict(safetensors.torch.load_file(tmp_path / "mlp.safetensors"))
    _outputs_match(ours, theirs, dtype, seed=1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_torch_checkpoint_loads_into_chainrule(tmp_path, dtype):
    torch.manual_seed(0)
    ours, theirs = MLP().to(dtype), TorchMLP().to(getattr(torch, dtype))
    safetensors.torch.save_file(theirs.state_dict(), tmp_path / "mlp.safetensors")
    state = load(tmp_path / "mlp.safetensors")
    assert all(isinstance(t, cr.Tensor) and t.dtype == dtype for t in state.values())
    ours.load_state_dict(state)
    _outputs_match(ours, theirs, dtype, seed=2)
