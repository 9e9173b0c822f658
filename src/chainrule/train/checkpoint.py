"""Checkpoints: save and load state dicts (nested ones too) as safetensors files, written
atomically and verified by a checksum over the tensors and the structure. Nothing is ever
unpickled."""
import errno
import hashlib
import json
import os
from collections import OrderedDict
from collections.abc import Mapping

import safetensors.numpy

from chainrule import backend
from chainrule.backend import xp
from chainrule.nn.module import Module
from chainrule.placement import check_device
from chainrule.tensor import Tensor
from chainrule.train.safetensors_files import (CheckpointError, check_readable, read_file_object,
                                               read_path, write_bytes)
from chainrule.utils.files import write_atomically

FORMAT = "chainrule"
# 1: the checksum covered the tensors only; 2: it covers the structure too (a damaged header
# is caught, not only damaged data). Files of version 1 still load.
VERSION = "2"
_STORABLE_DTYPES = ("bool", "uint8", "int8", "int16", "uint16", "int32", "uint32", "int64",
                    "uint64", "float16", "float32", "float64", "complex64")


def save(obj, f):
    """Write obj to f, a path or a binary file object (io.BytesIO, open(path, 'wb')), as a
    safetensors file.

    obj is a state dict (names -> Tensors), or dicts, lists and tuples nesting state dicts and
    plain values (ints, floats, strings, bools, None; NumPy scalars come back with their type),
    e.g. {'model': model.state_dict(), 'optimizer': optimizer.state_dict(), 'epoch': 3}. Each
    tensor is stored under its dotted path ('model.fc1.weight'), so other safetensors readers
    see ordinary names; the nesting and the plain values go to the header's metadata as JSON,
    with a sha256 of both.
    A path is written next to f under a temporary name and then renamed over f, so a crash or a
    full disk leaves either the old checkpoint or the new one, never half of one; an OSError
    (no space left, permission denied) names f. A file object gets the bytes in one write.
    """
    arrays = {}
    structure = json.dumps(_encode(obj, "", arrays))
    metadata = {"format": FORMAT, "version": VERSION, "structure": structure,
                "sha256": _checksum(arrays, structure)}
    # serialised here and written by Python, so that a write error is a real OSError
    # (safetensors' own writer reports ENOSPC as a SafetensorError)
    data = safetensors.numpy.save(arrays, metadata=metadata)
    if hasattr(f, "write"):
        _write_to_file_object(f, data)
        return
    path = _path(f, "save")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"chainrule.save: no such directory: {directory!r}")
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"chainrule.save: {path!r} is a directory; give "
                                "the name of a file inside it")
    write_atomically(path, lambda temporary: write_bytes(temporary, data), "chainrule.save")


def load(f, map_location=None, *, weights_only=True, verify=True):
    """Read a checkpoint that save wrote, or any safetensors file (then a flat dict of names),
    from a path or a binary file object (io.BytesIO, open(path, 'rb')).

    Tensors keep their dtypes, but bfloat16 (which NumPy lacks; model hubs use it) becomes
    float32, exactly, with a warning. verify=False skips the checksum. map_location, as torch's:
    a device (string, chainrule.device or torch.device), a dict from saved locations to devices
    ({'cuda:0': 'cpu'}), or a callable(tensor, 'cpu') whose result (if not None) replaces each
    tensor; every device it leads to must be the CPU. weights_only is accepted for torch's
    signature (chainrule only loads weights).
    """
    _check_map_location(map_location)
    if hasattr(f, "read"):
        name = getattr(f, "name", None) or f"<{type(f).__name__}>"
        metadata, arrays = read_file_object(f, name)
    else:
        name = _path(f, "load")
        check_readable(name)
        metadata, arrays = read_path(name)
    if not _is_ours(metadata):   # written by another program: names -> tensors
        result = {key: Tensor._make(array) for key, array in arrays.items()}
    else:
        result = _restore(metadata, arrays, name, verify)
    return _map_tensors(result, map_location) if callable(map_location) else result


def _check_map_location(map_location):
    where = "chainrule.load: map_location"
    if map_location is None or callable(map_location):
        return
    if isinstance(map_location, Mapping):   # saved location -> device: only the targets matter
        for source, target in map_location.items():
            check_device(target, f"{where} {source!r} -> {target!r}")
        return
    if backend.is_device_like(map_location) or isinstance(map_location, (str, int)):
        check_device(map_location, where)
        return
    raise TypeError(f"{where} must be a device, a dict of devices or a callable, got "
                    f"{type(map_location).__name__}")


def _map_tensors(value, function):
    """Apply map_location(tensor, 'cpu') to every tensor in what load read."""
    if isinstance(value, Tensor):
        mapped = function(value, "cpu")
        if mapped is not None and not isinstance(mapped, Tensor):
            raise TypeError(f"chainrule.load: map_location returned {type(mapped).__name__}; "
                            "expected a tensor or None")
        return value if mapped is None else mapped
    if isinstance(value, Mapping):
        return type(value)((key, _map_tensors(item, function)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return type(value)(_map_tensors(item, function) for item in value)
    return value


def _path(f, name):
    if not isinstance(f, (str, os.PathLike)):
        mode = "'wb'" if name == "save" else "'rb'"
        raise TypeError(f"chainrule.{name}: expected a file path (str or os.PathLike) or a "
                        f"binary file object (open(path, {mode}), io.BytesIO), got "
                        f"{type(f).__name__}")
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
        return _encode_numpy_scalar(value, name)
    if value is None or isinstance(value, (bool, int, float, str)):
        return {"value": value}
    raise _unsavable(value, name)


# NumPy scalars whose value JSON holds exactly (as a Python bool, int or float) and whose dtype
# turns it back: np.float64(0.5) comes back an np.float64, as torch.load gives it back
_NUMPY_SCALAR_KINDS = "biuf"


def _encode_numpy_scalar(value, name):
    if value.dtype.kind in _NUMPY_SCALAR_KINDS:
        plain = value.item()
        # not longdouble: its item() is itself, as no Python number holds its precision (JSON
        # would refuse it, and a float would round it): refused by name, not rounded silently
        if type(plain) in (bool, int, float):
            return {"value": plain, "numpy": value.dtype.name}
    elif value.dtype.kind in "SU":   # np.str_ and np.bytes_: stored as before, as plain strings
        return _encode(value.item(), name, {})
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
    if isinstance(value, xp.generic):
        return TypeError(f"chainrule.save: cannot store a {kind}{where} (NumPy dtype "
                         f"{value.dtype}); a checkpoint holds NumPy scalars whose value is a "
                         "Python bool, int or float (bool, integers, float16 to float64) and "
                         "NumPy strings: convert it first (float(value) rounds a longdouble to "
                         "float64; a complex64 tensor keeps a complex number)")
    return TypeError(f"chainrule.save: cannot store a {kind}{where}; a checkpoint holds tensors, "
                     "numbers, strings, None, and dicts, lists and tuples of them")


def _restore(metadata, arrays, name, verify):
    """The saved object from our metadata, after checking it against the checksum."""
    version = metadata.get("version", "1")
    if metadata.get("format") != FORMAT or version not in ("1", VERSION):
        raise CheckpointError(f"chainrule.load: {name} has a damaged header or was written by a "
                              f"newer chainrule: format {metadata.get('format')!r}, version "
                              f"{version!r} (this one reads {FORMAT!r} versions 1 and {VERSION})")
    structure = metadata.get("structure")
    if verify:
        expected = _checksum(arrays, structure if version == VERSION else None)
        if expected != metadata.get("sha256"):
            what = "tensor data or its structure metadata" if version == VERSION else "tensor data"
            raise CheckpointError(f"chainrule.load: checksum mismatch in {name}: the {what} is "
                                  "corrupted; pass verify=False to load it anyway")
    try:
        used = set()
        obj = _decode(json.loads(structure), arrays, used)
    except (CheckpointError, ValueError, TypeError, KeyError, AttributeError,
            RecursionError) as error:
        detail = error if isinstance(error, CheckpointError) else f"{type(error).__name__}: {error}"
        raise CheckpointError(f"chainrule.load: the structure metadata of {name} is damaged "
                              f"({detail})") from None
    unused = [key for key in arrays if key not in used]
    if unused:
        raise CheckpointError(f"chainrule.load: the structure metadata of {name} is damaged: it "
                              f"does not place the tensor(s) {unused} that the file holds")
    return obj


def _decode(node, arrays, used):
    if "tensor" in node:
        key = node["tensor"]
        if key not in arrays:
            raise CheckpointError(f"it names a tensor {key!r} that the file does not hold")
        used.add(key)
        return Tensor._make(arrays[key])
    if "dict" in node:
        mapping = OrderedDict() if node["ordered"] else {}
        for key, item in node["dict"]:
            mapping[key] = _decode(item, arrays, used)
        return mapping
    if "list" in node:
        return [_decode(item, arrays, used) for item in node["list"]]
    if "tuple" in node:
        return tuple(_decode(item, arrays, used) for item in node["tuple"])
    if "numpy" in node:
        return _decode_numpy_scalar(node)
    return node["value"]


def _decode_numpy_scalar(node):
    dtype = xp.dtype(node["numpy"])
    if dtype.kind not in _NUMPY_SCALAR_KINDS:
        raise CheckpointError(f"it names a NumPy scalar of dtype {dtype}, which chainrule does "
                              "not write")
    return dtype.type(node["value"])


def _checksum(arrays, structure=None):
    """sha256 over the structure's JSON (version 2) and every tensor's name, dtype, shape and
    bytes, in name order."""
    digest = hashlib.sha256()
    if structure is not None:
        digest.update(f"{FORMAT}/{VERSION}\0{structure}\0".encode())
    for key in sorted(arrays):
        array = arrays[key]
        digest.update(f"{key}\0{array.dtype.name}\0{array.shape}\0".encode())
        digest.update(array.reshape(-1).view(xp.uint8))   # C-contiguous: no copy
    return digest.hexdigest()


def _is_ours(metadata):
    """Written by save: our format tag, or our two keys under a damaged tag."""
    return metadata.get("format") == FORMAT or {"structure", "sha256"} <= metadata.keys()


# ----- files -----------------------------------------------------------------------------------
def _write_to_file_object(f, data):
    try:
        f.write(data)
    except TypeError:
        raise TypeError("chainrule.save: the file object takes text; open it in binary mode "
                        "(open(path, 'wb')) or use io.BytesIO") from None
