"""The one module that chooses the array library (NumPy now, CuPy later), the dtypes and the RNG.

Everything else in chainrule computes through `xp`, so swapping the backend is a change here alone.
"""
import numpy as xp

# dtypes are the array library's own: chainrule.float32 is numpy.dtype('float32').
float16 = xp.dtype(xp.float16)
float32 = xp.dtype(xp.float32)
float64 = xp.dtype(xp.float64)
int32 = xp.dtype(xp.int32)
int64 = xp.dtype(xp.int64)
bool_ = xp.dtype(xp.bool_)

# As in PyTorch, inf and nan are values, not warnings (log(0) = -inf is used for masking);
# chainrule.autograd.detect_anomaly() is the tool that finds where they come from.
xp.seterr(divide="ignore", invalid="ignore", over="ignore", under="ignore")

def _keep_freed_memory():
    """Ask glibc's malloc to serve large arrays from its heap and keep freed memory, instead of
    mapping and unmapping pages for every temporary: a training step allocates the same large
    arrays again and again, and fresh pages cost a page fault each (measured here: a LeNet-5 step
    went from 8.6 to 5.0 ms; REFERENCES.md: a NumPy MLP from 29k to 45k samples/s). Elsewhere,
    or if the C library is not glibc, nothing changes."""
    import ctypes
    import ctypes.util
    import sys
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return
    mmap_threshold, trim_threshold = -3, -1  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD in malloc.h
    mallopt(mmap_threshold, 1 << 30)
    mallopt(trim_threshold, 1 << 30)


_keep_freed_memory()

default_float = float32  # as in PyTorch: Python floats become float32 tensors
ndarray = xp.ndarray

_generator = xp.random.default_rng()


def manual_seed(seed):
    """Seed chainrule's random number generator (rand, randn, dropout, init, shuffling)."""
    global _generator
    _generator = xp.random.default_rng(seed)


def generator():
    """The generator that every random draw in chainrule uses."""
    return _generator


def is_floating(dtype):
    return dtype.kind == "f"


def to_dtype(dtype):
    """Accept chainrule/NumPy dtypes, their names, and Python's float/int/bool."""
    if dtype is None:
        return None
    if dtype is float:
        return default_float
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    return xp.dtype(dtype)


def as_array(data, dtype=None):
    """Turn data (array, scalar or nested lists) into an array; Python floats become float32."""
    dtype = to_dtype(dtype)
    if isinstance(data, xp.ndarray) or isinstance(data, xp.generic):
        return xp.asarray(data, dtype=dtype)
    array = xp.asarray(data, dtype=dtype)
    if dtype is None and array.dtype == float64:
        array = array.astype(default_float)
    elif dtype is None and array.dtype.kind in "iu":
        array = array.astype(int64)
    return array


class device:
    """Where tensors live. Only the CPU exists until the CuPy backend; `device('cuda')` can be
    named (as in `device('cuda' if cuda.is_available() else 'cpu')`) but not used."""

    def __init__(self, type="cpu", index=None):
        self.type = str(type.type if isinstance(type, device) else type).split(":")[0]
        self.index = index

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash(str(self))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device(type='{self.type}')"


def check_device(where, name):
    """Accept the CPU (as a string or device); refuse anything else with a clear message."""
    if str(device(where)).split(":")[0] != "cpu":
        raise RuntimeError(f"{name}: chainrule computes on the CPU only, got device {where!r}")
