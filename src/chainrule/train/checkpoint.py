"""Checkpoints: save and load state dicts (nested ones too) as safetensors files, written
atomically and verified by a checksum. Nothing is ever unpickled."""
import hashlib
import json
import os
from collections import OrderedDict
from collections.abc import Mapping

import safetensors
from safetensors.numpy import save_file

from chainrule import backend
from chainrule.backend import xp
from chainrule.nn.module import Module
from chainrule.tensor import Tensor
from chainrule.utils.files import write_atomically

FORMAT = "chainrule"
_PICKLE_SIGNATURES = (b"PK\x03\x04", b"\x80")   # torch.save's zip archive; a bare pickle
_STORABLE_DTYPES = ("bool", "uint8", "int8", "int16", "uint16", "int32", "uint32", "int64",
                    "uint64", "float16", "float32", "float64", "complex64")


def save(obj, f):
    """Write obj to the path f as a safetensors file.

    obj is a state dict (names -> Tensors), or dicts, lists and tuples nesting state dicts and
    plain values (ints, floats, strings, bools, None), e.g. {'model': model.state_dict(),
    'optimizer': optimizer.state_dict(), 'epoch': 3}. Each tensor is stored under its dotted
    path ('model.fc1.weight'), so other safetensors readers see ordinary names; the nesting and
    the plain values go to the header's metadata as JSON, with a sha256 of the tensors.
    The file is written next to f under a temporary name and then renamed over f, so a crash
    leaves either the old checkpoint or the new one, never half of one.
    """
    path = _path(f, "save")
    arrays = {}
    structure = _encode(obj, "", arrays)
    metadata = {"format": FORMAT, "structure": json.dumps(structure),
                "sha256": _checksum(arrays)}
    _write_atomically(arrays, metadata, path)


def load(f, map_location=None, *, weights_only=True, verify=True):
    """Read a checkpoint that save wrote (or any safetensors file: then a flat dict of names).

    Tensors keep their dtypes. verify=False skips the checksum. map_location may name the CPU
    only; weights_only is accepted for torch's signature (chainrule only ever loads weights).
    """
    path = _path(f, "load")
    if isinstance(map_location, (str, backend.device)):
        backend.check_device(map_location, "chainrule.load")
    if not os.path.exists(path):
        raise FileNotFoundError(f"chainrule.load: no such file: {path!r}")
    try:
        with safetensors.safe_open(path, framework="np") as file:
            metadata = file.metadata() or {}
            arrays = {name: file.get_tensor(name) for name in file.keys()}
    except safetensors.SafetensorError as error:
        raise _unreadable(path, error) from None
    if metadata.get("format") != FORMAT:   # written by another program: names -> tensors
        return {name: Tensor._make(array) for name, array in arrays.items()}
    if verify and _checksum(arrays) != metadata.get("sha256"):
        raise RuntimeError(f"chainrule.load: checksum mismatch in {path}: the tensor data is "
                           "corrupted; pass verify=False to load it anyway")
    return _decode(json.loads(metadata["structure"]), arrays)


def _path(f, name):
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"chainrule.{name}: expected a file path, got {type(f).__name__}")
    return os.fspath(f)


# ----- structure: nested containers <-> (JSON tree, flat dict of named arrays) ------------------
def _encode(value, name, arrays):
    if isinstance(value, (Tensor, backend.ndarray)):
        return {"tensor": _store(value, name, arrays)}
    if isinstance(value, Mapping):
        items = [[_check_key(key, name), _encode(item, _join(name, key), arrays)]
                 for key, item in value.items()]
        return {"dict": items, "ordered": isinstance(value, OrderedDict)}
    if isinstance(value, (list, tuple)):
        kind = "tuple" if isinstance(value, tuple) else "list"
        return {kind: [_encode(item, _join(name, i), arrays) for i, item in enumerate(value)]}
    if isinstance(value, xp.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    raise _unsavable(value, name)


def _store(value, name, arrays):
    array = value.array if isinstance(value, Tensor) else value
    if array.dtype.name not in _STORABLE_DTYPES:
        raise TypeError(f"chainrule.save: {name or 'the tensor'!r} has dtype {array.dtype}, "
                        f"which safetensors cannot store ({', '.join(_STORABLE_DTYPES)})")
    if name in arrays:
        raise ValueError(f"chainrule.save: two tensors would be stored under the name {name!r} "
                         "(a key with a dot collides with a nested key); rename one of them")
    # safetensors writes an array's memory in storage order, so a transposed view would come
    # back scrambled (REFERENCES.md, safetensors issue #825): store C order. Little-endian too,
    # as the file is, so the checksum sees the same bytes on save and on load.
    little_endian = array.dtype.newbyteorder("<")
    if not array.flags.c_contiguous or array.dtype != little_endian:
        array = array.astype(little_endian, order="C")   # (ascontiguousarray makes 0-d 1-d)
    arrays[name] = array
    return name


def _check_key(key, name):
    if isinstance(key, bool) or not isinstance(key, (str, int)):
        raise TypeError(f"chainrule.save: dict keys must be strings or ints, got "
                        f"{type(key).__name__} {key!r} in {name or 'the top level'!r}")
    return key


def _join(name, key):
    return f"{name}.{key}" if name else str(key)


def _unsavable(value, name):
    where = f" at {name!r}" if name else ""
    kind = type(value).__name__
    if isinstance(value, Module) or callable(getattr(value, "state_dict", None)):
        return TypeError(f"chainrule.save: got a {kind}{where}; chainrule saves tensors, not "
                         f"Python objects: save its state_dict() (chainrule.save(model."
                         f"state_dict(), path)) and restore it with model.load_state_dict("
                         f"chainrule.load(path))")
    return TypeError(f"chainrule.save: cannot store a {kind}{where}; a checkpoint holds tensors, "
                     "numbers, strings, None, and dicts, lists and tuples of them")


def _decode(node, arrays):
    if "tensor" in node:
        return Tensor._make(arrays[node["tensor"]])
    if "dict" in node:
        mapping = OrderedDict() if node["ordered"] else {}
        for key, item in node["dict"]:
            mapping[key] = _decode(item, arrays)
        return mapping
    if "list" in node:
        return [_decode(item, arrays) for item in node["list"]]
    if "tuple" in node:
        return tuple(_decode(item, arrays) for item in node["tuple"])
    return node["value"]


def _checksum(arrays):
    """sha256 over every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = arrays[name]
        digest.update(f"{name}\0{array.dtype.name}\0{array.shape}\0".encode())
        digest.update(array.reshape(-1).view(xp.uint8))   # C-contiguous: no copy
    return digest.hexdigest()


# ----- files -----------------------------------------------------------------------------------
def _write_atomically(arrays, metadata, path):
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"chainrule.save: no such directory: {directory!r}")
    write_atomically(path, lambda temporary: save_file(arrays, temporary, metadata=metadata))


def _unreadable(path, error):
    """The error for a file that safetensors cannot parse: a pickle, or a damaged file."""
    with open(path, "rb") as file:
        start = file.read(4)
    # Checked only after parsing failed: a valid header's length may begin with these bytes too.
    if start.startswith(_PICKLE_SIGNATURES):
        return RuntimeError(f"chainrule.load: {path} looks like a pickle (as torch.save writes), "
                            "and chainrule never unpickles: save model.state_dict() with "
                            "safetensors (safetensors.torch.save_file(model.state_dict(), path)) "
                            "and load that")
    return RuntimeError(f"chainrule.load: {path} is not a readable safetensors file; it may be "
                        f"truncated or corrupted ({error})")
