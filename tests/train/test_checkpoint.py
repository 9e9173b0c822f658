"""Checkpoints: exact round trips of (nested) state dicts, atomic writes, checksums, clear errors
for damaged or foreign files, and state dicts that torch reads and writes too."""
import errno
import hashlib
import io
import json
import os
import re
import warnings
from collections import OrderedDict

import numpy as np
import pytest
import safetensors.numpy
import safetensors.torch
import torch

import chainrule as cr
from chainrule.nn.linear import Linear
from chainrule.nn.module import Module
from chainrule.train import checkpoint, safetensors_files
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

    def crash(filename, data):
        with open(filename, "wb") as file:
            file.write(b"half a checkpoint")
        raise KeyboardInterrupt
    monkeypatch.setattr(checkpoint, "write_bytes", crash)
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


# ----- file objects, directories, damaged headers, full disks, model-hub dtypes -----------------
def test_file_objects_round_trip_like_paths(tmp_path):
    state = {"model": OrderedDict(w=cr.randn(3, 2)), "epoch": 2}
    buffer = io.BytesIO()
    save(state, buffer)
    buffer.seek(0)
    _assert_same(load(buffer), state)
    with open(tmp_path / "c.safetensors", "wb") as file:
        save(state, file)
    with open(tmp_path / "c.safetensors", "rb") as file:
        _assert_same(load(file), state)
    _assert_same(load(tmp_path / "c.safetensors"), state)   # the same bytes as a path gives
    # a torch program's BytesIO round trip, through the top-level names
    buffer = io.BytesIO()
    cr.save({"w": cr.ones(2)}, buffer)
    assert cr.load(io.BytesIO(buffer.getvalue()))["w"].tolist() == [1, 1]


def test_text_files_and_other_objects_are_refused(tmp_path):
    with open(tmp_path / "t.txt", "w") as file, pytest.raises(TypeError, match=r"binary mode"):
        save({"w": cr.ones(2)}, file)
    save({"w": cr.ones(2)}, tmp_path / "c.safetensors")
    with open(tmp_path / "c.safetensors", encoding="latin-1") as file, \
            pytest.raises(TypeError, match=r"gives text; open it in binary mode"):
        load(file)
    with pytest.raises(TypeError, match=r"chainrule.load: expected a file path .* got int"):
        load(3)


def test_loading_a_directory_says_so(tmp_path):
    save({"w": cr.ones(2)}, tmp_path / "last.safetensors")
    with pytest.raises(IsADirectoryError, match=r"is a directory, not a checkpoint file; did you "
                                                r"mean a file inside it such as last.safetensors"):
        load(tmp_path)
    with pytest.raises(IsADirectoryError, match=r"chainrule.save: .* is a directory; give the "
                                                r"name of a file inside it"):
        save({"w": cr.ones(2)}, tmp_path)
    assert os.listdir(tmp_path) == ["last.safetensors"]


def _edit_header(path, edit):
    """Rewrite a safetensors header (8-byte little-endian length, then JSON) with edit(header)."""
    data = path.read_bytes()
    size = int.from_bytes(data[:8], "little")
    header = json.loads(data[8:8 + size])
    edit(header)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    path.write_bytes(len(text).to_bytes(8, "little") + text + data[8 + size:])


def _structure(edit):
    def edit_metadata(header):
        structure = json.loads(header["__metadata__"]["structure"])
        edit(structure)
        header["__metadata__"]["structure"] = json.dumps(structure)
    return edit_metadata


def _rename(header, old, new):
    header[new] = header.pop(old)


DAMAGE = {
    "a plain value edited": (_structure(lambda s: s["dict"][1][1].update(value=4)),
                             r"checksum mismatch in .*c.safetensors: the tensor data or its "
                             r"structure metadata is corrupted",
                             None),
    "a tensor renamed": (lambda h: _rename(h, "model.w", "model.x"),
                         r"checksum mismatch", r"names a tensor 'model.w' that the file does "
                                               r"not hold"),
    "the structure names a missing tensor": (
        _structure(lambda s: s["dict"][0][1]["dict"][0][1].update(tensor="model.gone")),
        r"checksum mismatch", r"names a tensor 'model.gone' that the file does not hold"),
    "the structure is not JSON": (lambda h: h["__metadata__"].update(structure="{not json"),
                                  r"checksum mismatch", r"structure metadata of .* is damaged"),
    "a tensor left out of the structure": (
        _structure(lambda s: s["dict"][0][1]["dict"].pop()),
        r"checksum mismatch", r"does not place the tensor\(s\) \['model.b'\]"),
    "the version is unknown": (lambda h: h["__metadata__"].update(version="9"),
                               r"damaged header or was written by a newer chainrule.*'9'", None),
    "the format tag is damaged": (lambda h: h["__metadata__"].update(format="chainrulf"),
                                  r"damaged header .*'chainrulf'", None),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_damaged_structure_metadata_is_caught(tmp_path, damage):
    edit, verified, unverified = DAMAGE[damage]
    path = tmp_path / "c.safetensors"
    save({"model": {"w": cr.ones(2), "b": cr.zeros(1)}, "epoch": 3}, path)
    _edit_header(path, edit)
    with pytest.raises(checkpoint.CheckpointError, match=verified):
        load(path)
    if unverified is not None:
        with pytest.raises(checkpoint.CheckpointError, match=unverified):
            load(path, verify=False)
    assert issubclass(checkpoint.CheckpointError, RuntimeError)


def test_files_of_format_version_1_still_load(tmp_path):
    """Version 1 (before the checksum covered the structure) had no version key."""
    arrays = {"model.w": np.arange(3.0)}
    structure = json.dumps({"dict": [["model", {"dict": [["w", {"tensor": "model.w"}]],
                                                "ordered": False}], ["epoch", {"value": 1}]],
                            "ordered": False})
    digest = hashlib.sha256(b"model.w\0float64\0(3,)\0" + arrays["model.w"].tobytes())
    metadata = {"format": "chainrule", "structure": structure, "sha256": digest.hexdigest()}
    safetensors.numpy.save_file(arrays, tmp_path / "v1.safetensors", metadata=metadata)
    loaded = load(tmp_path / "v1.safetensors")
    assert loaded["epoch"] == 1 and loaded["model"]["w"].tolist() == [0, 1, 2]


@pytest.mark.parametrize("code, kind, words", [(errno.ENOSPC, OSError, "No space left"),
                                               (errno.EACCES, PermissionError, "Permission denied"),
                                               (errno.EDQUOT, OSError, "quota")])
def test_a_failed_write_keeps_the_old_checkpoint(tmp_path, monkeypatch, code, kind, words):
    path = tmp_path / "model.safetensors"
    save({"w": cr.ones(4)}, path)

    def full_disk(filename, data):
        with open(filename, "wb") as file:
            file.write(data[:100])
        raise OSError(code, os.strerror(code))
    monkeypatch.setattr(checkpoint, "write_bytes", full_disk)
    with pytest.raises(kind, match=rf"chainrule.save: cannot write {path}: .*{words}.*the file "
                                   r"that was there before, if any, is unchanged") as caught:
        save({"w": cr.zeros(4)}, path)
    assert caught.value.errno == code
    assert os.listdir(tmp_path) == ["model.safetensors"]
    assert load(path)["w"].tolist() == [1, 1, 1, 1]


def test_a_failed_fsync_is_not_ignored(tmp_path, monkeypatch):
    """A full disk may only show when the data is flushed: then the old file must stay."""
    path = tmp_path / "model.safetensors"
    save({"w": cr.ones(4)}, path)

    def fsync(descriptor):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError, match="No space left"):
        save({"w": cr.zeros(4)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["model.safetensors"]
    assert load(path)["w"].tolist() == [1, 1, 1, 1]


@pytest.mark.parametrize("as_file", [False, True], ids=["path", "file object"])
def test_model_hub_half_precision_files(tmp_path, monkeypatch, as_file):
    """float16 loads as float16; bfloat16 (no NumPy dtype) as float32, exactly, with one note."""
    monkeypatch.setitem(safetensors_files._warned, "bfloat16", False)
    values = torch.randn(3, 5) * 100
    values[0, :3] = torch.tensor([float("inf"), float("-inf"), 1e-40])   # subnormal in bf16
    tensors = {"embed.weight": values.to(torch.bfloat16), "norm.weight": values.half(),
               "head.bias": values[0].clone()}
    path = tmp_path / "model.safetensors"
    safetensors.torch.save_file(tensors, path, metadata={"format": "pt"})
    source = io.BytesIO(path.read_bytes()) if as_file else path
    with pytest.warns(UserWarning, match=r"bfloat16 tensors \(embed.weight\).*converted to "
                                         r"float32 exactly"):
        state = load(source)
    assert state["embed.weight"].dtype == cr.float32
    np.testing.assert_array_equal(state["embed.weight"].numpy(),
                                  tensors["embed.weight"].float().numpy())
    assert state["norm.weight"].dtype == cr.float16
    np.testing.assert_array_equal(state["norm.weight"].numpy(), tensors["norm.weight"].numpy())
    np.testing.assert_array_equal(state["head.bias"].numpy(), tensors["head.bias"].numpy())
    with warnings.catch_warnings():
        warnings.simplefilter("error")   # the note is shown once
        load(io.BytesIO(path.read_bytes()) if as_file else path)


def test_empty_truncated_and_foreign_file_objects(tmp_path):
    (tmp_path / "empty.safetensors").write_bytes(b"")
    with pytest.raises(checkpoint.CheckpointError, match=r"empty.safetensors is empty \(0 bytes\)"):
        load(tmp_path / "empty.safetensors")
    with pytest.raises(checkpoint.CheckpointError, match=r"<BytesIO> is empty"):
        load(io.BytesIO())
    buffer = io.BytesIO()
    save({"w": cr.zeros(8)}, buffer)
    with pytest.raises(checkpoint.CheckpointError, match=r"<BytesIO> is not a readable "
                                                         r"safetensors file.*truncated"):
        load(io.BytesIO(buffer.getvalue()[:-4]))
    with pytest.raises(checkpoint.CheckpointError, match=r"<BytesIO> is not a readable"):
        load(io.BytesIO(b"\xff" * 64))
    pickled = io.BytesIO()
    torch.save({"w": torch.zeros(2)}, pickled)
    with pytest.raises(checkpoint.CheckpointError, match=r"<BytesIO> looks like a pickle .*never "
                                                         r"unpickles"):
        load(io.BytesIO(pickled.getvalue()))
    torch.save({"w": torch.zeros(2)}, tmp_path / "model.pt")
    with open(tmp_path / "model.pt", "rb") as file, \
            pytest.raises(checkpoint.CheckpointError, match=r"model.pt looks like a pickle"):
        load(file)


def test_a_truncated_checkpoint_whose_length_starts_like_a_pickle_is_called_truncated(tmp_path):
    path = tmp_path / "c.safetensors"
    for size in range(300):   # a header length whose low byte is 0x80, a pickle's first byte
        save({"w": cr.zeros(8), "note": "x" * size}, path)
        if path.read_bytes()[0] == 0x80:
            break
    assert path.read_bytes()[0] == 0x80
    path.write_bytes(path.read_bytes()[:-4])
    with pytest.raises(checkpoint.CheckpointError, match="truncated or corrupted"):
        load(path)


# ----- map_location, as torch accepts it --------------------------------------------------------
@pytest.mark.parametrize("map_location", [
    None, "cpu", torch.device("cpu"), cr.device("cpu"), {"cuda:0": "cpu"},
    {"cpu": torch.device("cpu")}, lambda storage, location: storage,
    lambda storage, location: None,
], ids=["None", "str", "torch.device", "device", "dict", "dict-device", "callable", "None-fn"])
def test_load_accepts_the_map_locations_torch_accepts(tmp_path, map_location):
    path = tmp_path / "m.pt"
    save({"w": cr.ones(2), "nested": [cr.zeros(3)]}, path)
    loaded = load(path, map_location=map_location)
    assert loaded["w"].tolist() == [1.0, 1.0] and loaded["nested"][0].tolist() == [0.0] * 3


def test_a_map_location_callable_replaces_each_tensor(tmp_path):
    path = tmp_path / "m.pt"
    save({"w": cr.ones(2), "nested": (cr.zeros(3),)}, path)
    loaded = load(path, map_location=lambda tensor, location: tensor.double())
    assert loaded["w"].dtype == cr.float64 and loaded["nested"][0].dtype == cr.float64


@pytest.mark.parametrize("map_location, error, message", [
    (torch.device("cuda"), RuntimeError, "map_location: chainrule computes on the CPU only"),
    ("cuda:1", RuntimeError, "map_location: chainrule computes on the CPU only"),
    ({"cpu": "cuda:0"}, RuntimeError, "map_location 'cpu' -> 'cuda:0'"),
    (lambda tensor, location: tensor.cuda(), RuntimeError, "Tensor.cuda: .*CPU only"),
    (lambda tensor, location: 1, TypeError, "map_location returned int"),
    (2.5, TypeError, "map_location must be a device, a dict of devices or a callable"),
], ids=["torch-cuda", "str-cuda", "dict-cuda", "callable-cuda", "callable-int", "float"])
def test_load_refuses_a_map_location_off_the_cpu(tmp_path, map_location, error, message):
    path = tmp_path / "m.pt"
    save({"w": cr.ones(2)}, path)
    with pytest.raises(error, match=message):
        load(path, map_location=map_location)


# ----- checkpoints cross between chainrule and torch: same names, layouts and outputs -------------
# Each architecture is written once against the PyTorch API and built with L = chainrule or torch.
# A chainrule checkpoint loads into torch with safetensors.torch.load_file + load_state_dict, and a
# torch checkpoint saved with safetensors.torch.save_file loads into chainrule.
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


# ----- NumPy scalars: back with their type and value, as torch.save/torch.load give them ----------
NUMPY_SCALARS = {"half": np.float64(0.5), "step": np.int64(3), "small": np.float32(0.1),
                 "tiny": np.float16(1e-3), "flag": np.bool_(True), "count": np.uint8(200),
                 "index": np.int32(-7), "huge": np.uint64(2 ** 64 - 1), "inf": np.float64("inf"),
                 "nan": np.float32("nan")}


def _assert_same_scalars(got, want, what):
    for key, value in want.items():
        assert type(got[key]) is type(value), f"{what}: {key} is {type(got[key]).__name__}"
        assert got[key] == value or (np.isnan(value) and np.isnan(got[key])), f"{what}: {key}"


def test_numpy_scalars_round_trip_with_their_type_and_value_as_torch(tmp_path):
    buffer = io.BytesIO()
    torch.save(NUMPY_SCALARS, buffer)
    buffer.seek(0)
    _assert_same_scalars(torch.load(buffer, weights_only=False), NUMPY_SCALARS, "torch")
    save(NUMPY_SCALARS, tmp_path / "scalars.safetensors")
    _assert_same_scalars(load(tmp_path / "scalars.safetensors"), NUMPY_SCALARS, "chainrule")


def test_state_dicts_holding_numpy_scalars_round_trip(tmp_path):
    """An optimizer's or a scheduler's state with NumPy scalars where a program put them (a
    metric from NumPy, a step counted by NumPy), nested in a checkpoint."""
    model = Linear(3, 2)
    optimizer = cr.optim.SGD(model.parameters(), lr=np.float64(0.5), momentum=np.float32(0.9))
    model(cr.ones(1, 3)).sum().backward()
    optimizer.step()
    state = {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
             "epoch": np.int64(3), "best": np.float64(0.25), "history": [np.float32(1.5), 2.0]}
    save(state, tmp_path / "c.safetensors")
    loaded = load(tmp_path / "c.safetensors")
    _assert_same(loaded, state)
    assert type(loaded["optimizer"]["param_groups"][0]["lr"]) is np.float64
    fresh = cr.optim.SGD(Linear(3, 2).parameters(), lr=0.1, momentum=0.0)
    fresh.load_state_dict(loaded["optimizer"])
    group = fresh.param_groups[0]
    assert group["lr"] == 0.5 and group["momentum"] == np.float32(0.9)


def test_numpy_scalars_of_a_kind_json_cannot_hold_are_refused_by_name(tmp_path):
    with pytest.raises(TypeError, match=r"cannot store a complex128 at 'z'"):
        save({"z": np.complex128(1 + 2j)}, tmp_path / "c.safetensors")


@pytest.mark.parametrize("value", [np.longdouble(0.1), np.clongdouble(1 + 2j),
                                   np.datetime64("2020-01-01"), np.timedelta64(3, "s")],
                         ids=["longdouble", "clongdouble", "datetime64", "timedelta64"])
def test_numpy_scalars_no_python_number_holds_are_refused_with_key_and_type(tmp_path, value):
    """longdouble is a float kind, but its item() is itself (no Python float holds it): refused
    by name as the other kinds, not with json's "not JSON serializable" nor rounded to float64."""
    path = tmp_path / "s.safetensors"
    kind = re.escape(f"{type(value).__name__} at 'state.x' (NumPy dtype {value.dtype})")
    with pytest.raises(TypeError, match=rf"chainrule\.save: cannot store a {kind}; .*convert it"):
        save({"state": {"x": value}}, path)
    assert not path.exists()
