"""Reading safetensors files for chainrule.load: from a path or from a file object's bytes, with
bfloat16 (which NumPy lacks) upcast to float32, and an error that says what is wrong with a file
that cannot be read. safetensors parses the files; only bfloat16's bits are converted here."""
import errno
import json
import os
import tempfile
import warnings

import safetensors
import safetensors.numpy

from chainrule import backend
from chainrule.backend import xp

_PICKLE_SIGNATURES = (b"PK\x03\x04", b"\x80")   # torch.save's zip archive; a bare pickle


class CheckpointError(RuntimeError):
    """A file that is not a checkpoint chainrule can read, or one that was damaged."""


def write_bytes(path, data):
    with open(path, "wb") as file:
        file.write(data)


def check_readable(path):
    if os.path.isdir(path):
        inside = sorted(entry for entry in os.listdir(path) if entry.endswith(".safetensors"))
        hint = f" such as {', '.join(inside[:3])}" if inside else ""
        raise IsADirectoryError(errno.EISDIR, f"chainrule.load: {path!r} is a directory, not a "
                                f"checkpoint file; did you mean a file inside it{hint}?")
    if not os.path.exists(path):
        raise FileNotFoundError(errno.ENOENT, f"chainrule.load: no such file: {path!r}")


def read_path(path, name=None):
    """(metadata, arrays) of a safetensors file, read by safetensors (bfloat16 aside)."""
    name = name or path
    try:
        with safetensors.safe_open(path, framework="np") as file:
            metadata = file.metadata() or {}
            keys = list(file.keys())
            bfloat16 = {key for key in keys if file.get_slice(key).get_dtype() == "BF16"}
            arrays = {key: None if key in bfloat16 else file.get_tensor(key) for key in keys}
        if bfloat16:
            with open(path, "rb") as file:
                _fill_bfloat16(arrays, safetensors.deserialize(file.read()), name)
    except safetensors.SafetensorError as error:
        with open(path, "rb") as file:
            raise _unreadable(name, file.read(9), error) from None
    return metadata, arrays


def read_file_object(f, name):
    data = f.read()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"chainrule.load: {name} gives text; open it in binary mode "
                        "(open(path, 'rb')) or use io.BytesIO")
    data = bytes(data)
    try:
        header = _header(data)   # safetensors reads bytes but has no call for their metadata
        bfloat16 = any(entry.get("dtype") == "BF16" for key, entry in header.items()
                       if key != "__metadata__")
        if not bfloat16:
            return header.get("__metadata__") or {}, safetensors.numpy.load(data)
    except (safetensors.SafetensorError, ValueError, KeyError, TypeError,
            AttributeError) as error:
        raise _unreadable(name, data[:9], error) from None
    # rare (a model hub's bfloat16 file from memory): safetensors reads it from a file
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "checkpoint.safetensors")
        write_bytes(path, data)
        return read_path(path, name)


def _header(data):
    """The JSON header of a safetensors file: 8 bytes of little-endian length, then JSON."""
    size = int.from_bytes(data[:8], "little")
    if len(data) < 8 or 8 + size > len(data):
        raise ValueError(f"a header of {size} bytes does not fit in {len(data)} bytes")
    header = json.loads(data[8:8 + size])
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    return header


def _fill_bfloat16(arrays, entries, name):
    """bfloat16 is the top half of a float32: shifting its 16 bits up gives the same value."""
    upcast = []
    for key, entry in entries:
        if entry["dtype"] == "BF16":
            bits = xp.frombuffer(entry["data"], dtype="<u2").astype("<u4") << 16
            arrays[key] = bits.view("<f4").astype(backend.float32).reshape(entry["shape"])
            upcast.append(key)
    if upcast and not _warned["bfloat16"]:
        _warned["bfloat16"] = True
        warnings.warn(f"chainrule.load: {name} holds bfloat16 tensors ({', '.join(upcast[:3])}"
                      f"{' ...' if len(upcast) > 3 else ''}), which NumPy cannot represent; they "
                      "were converted to float32 exactly (this note is shown once)",
                      UserWarning, stacklevel=3)


_warned = {"bfloat16": False}


def _unreadable(name, start, error):
    """The error for a file that safetensors cannot parse: empty, a pickle, or damaged."""
    if not start:
        return CheckpointError(f"chainrule.load: {name} is empty (0 bytes); was it written "
                               "completely?")
    # A safetensors header's JSON starts at byte 8; its length may begin with a pickle's bytes.
    if start[8:9] != b"{" and start.startswith(_PICKLE_SIGNATURES):
        return CheckpointError(f"chainrule.load: {name} looks like a pickle (as torch.save "
                               "writes), and chainrule never unpickles: save model.state_dict() "
                               "with safetensors (safetensors.torch.save_file(model.state_dict()"
                               ", path)) and load that")
    return CheckpointError(f"chainrule.load: {name} is not a readable safetensors file; it may "
                           f"be truncated or corrupted ({error})")
