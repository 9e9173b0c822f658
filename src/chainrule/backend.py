"""The one module that chooses the array library (NumPy now, CuPy later) and the dtypes (the RNG
is chainrule.random's).

Everything else in chainrule computes through `xp`, so swapping the backend is a change here alone.
"""
import numpy as xp

from chainrule.placement import (  # noqa: F401  (re-exported: backend is where callers look)
    DEVICE_TYPES, are_deterministic_algorithms_enabled, channels_last, channels_last_3d,
    check_device, check_placement, contiguous_format, device, get_default_device,
    get_num_threads, is_device_like, preserve_format, set_default_device, set_num_threads,
    strided, use_deterministic_algorithms)


class DType:
    """A dtype as torch code reads it (is_floating_point, is_signed, itemsize ...), wrapping the
    array library's own: it equals that dtype, and NumPy takes it wherever it takes a dtype
    (through its `.dtype` attribute). Tensor.dtype and chainrule.float32 ... are DTypes."""
    __slots__ = ("dtype",)

    def __init__(self, array_dtype):
        self.dtype = xp.dtype(array_dtype)

    is_floating_point = property(lambda self: self.dtype.kind == "f")
    is_complex = property(lambda self: self.dtype.kind == "c")
    is_signed = property(lambda self: self.dtype.kind in "ifc")

    def __getattr__(self, name):   # kind, itemsize, name, type ... are the wrapped dtype's
        if name == "dtype":
            raise AttributeError(name)
        return getattr(self.dtype, name)

    def __eq__(self, other):
        if isinstance(other, DType):
            return self.dtype == other.dtype
        if isinstance(other, (xp.dtype, str, type)):
            try:
                return self.dtype == xp.dtype(other)
            except TypeError:
                return False
        return NotImplemented

    def __hash__(self):
        return hash(self.dtype)

    def __str__(self):
        return self.dtype.name

    def __repr__(self):
        return f"chainrule.{self.dtype.name}"

    def __reduce__(self):
        return wrap_dtype, (self.dtype,)


_DTYPES = {}


def wrap_dtype(array_dtype):
    """The one DType for an array dtype (Tensor.dtype returns it)."""
    wrapped = _DTYPES.get(array_dtype)
    if wrapped is None:
        wrapped = _DTYPES[array_dtype] = DType(array_dtype)
    return wrapped


float16 = wrap_dtype(xp.dtype(xp.float16))
float32 = wrap_dtype(xp.dtype(xp.float32))
float64 = wrap_dtype(xp.dtype(xp.float64))
int32 = wrap_dtype(xp.dtype(xp.int32))
int64 = wrap_dtype(xp.dtype(xp.int64))
bool_ = wrap_dtype(xp.dtype(xp.bool_))
uint8 = wrap_dtype(xp.dtype(xp.uint8))     # images, masks, get_rng_state's bytes
int8 = wrap_dtype(xp.dtype(xp.int8))
int16 = wrap_dtype(xp.dtype(xp.int16))


def _keep_freed_memory():
    """Ask glibc's malloc to serve large arrays from its heap and keep freed memory, instead of
    mapping and unmapping pages for every temporary: a training step allocates the same large
    arrays again and again, and fresh pages cost a page fault each (measured here: a LeNet-5 step
    went from 8.6 to 5.0 ms; REFERENCES.md: a NumPy MLP from 29k to 45k samples/s). Elsewhere,
    or if the C library is not glibc, nothing changes.

    The one process-wide setting importing chainrule makes (it lasts for the whole process, as
    the malloc settings are the C library's); CHAINRULE_KEEP_FREED_MEMORY=0 in the environment
    leaves malloc as it was. Returns whether the setting was applied."""
    import ctypes
    import ctypes.util
    import os
    import sys
    if os.environ.get("CHAINRULE_KEEP_FREED_MEMORY", "").strip().lower() in _OFF:
        return False
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"))
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mmap_threshold, trim_threshold = -3, -1  # M_MMAP_THRESHOLD, M_TRIM_THRESHOLD in malloc.h
    applied = [mallopt(option, 1 << 30) for option in (mmap_threshold, trim_threshold)]
    return all(applied)   # mallopt returns 1 on success


_OFF = ("0", "false", "no", "off")
# Whether malloc was tuned (README, "What importing chainrule does"): read it, don't set it.
keeps_freed_memory = _keep_freed_memory()

default_float = float32  # as in PyTorch: Python floats become float32 tensors
ndarray = xp.ndarray
generic = xp.generic   # NumPy scalars: numpy.float32(1.5), numpy.int64(2) ...

def is_floating(dtype):
    return dtype.kind == "f"


class _BFloat16:
    """bfloat16 has no NumPy dtype. A tensor asked for it stores float32 values rounded to
    bfloat16's 8-bit significand (round to nearest even), so its values are torch's bfloat16
    values while its memory and arithmetic are float32's (a warning says so, once)."""
    name, itemsize, kind, is_floating_point, is_complex, is_signed = "bfloat16", 2, "f", True, \
        False, True

    def __repr__(self):
        return "chainrule.bfloat16"

    __str__ = __repr__


bfloat16 = _BFloat16()
_warned = set()


def warn_once(key, message):
    """A UserWarning the first time `key` is seen in this process, then silence."""
    if key not in _warned:
        _warned.add(key)
        import warnings
        warnings.warn(message, UserWarning, stacklevel=3)


def is_bfloat16(dtype):
    return dtype is bfloat16 or (isinstance(dtype, str) and dtype == "bfloat16") or \
        getattr(dtype, "__module__", None) == "torch" and str(dtype) == "torch.bfloat16"


def round_to_bfloat16(array):
    """float32 values rounded to the nearest bfloat16 (ties to even): keep the top 16 bits."""
    x = xp.asarray(array, dtype=float32, order="C")
    bits = x.view(xp.uint32)
    rounded = (bits + xp.uint32(0x7FFF) + ((bits >> 16) & xp.uint32(1))) & xp.uint32(0xFFFF0000)
    return xp.where(xp.isnan(x), x, rounded.view(float32))


_TORCH_DTYPE_NAMES = {"float": "float32", "double": "float64", "half": "float16", "long": "int64",
                      "int": "int32", "short": "int16"}


def to_dtype(dtype):
    """Accept chainrule/NumPy dtypes, their names (torch's meaning where the two differ), and
    Python's float/int/bool (float64/int64/bool, as torch); bfloat16 gives float32 storage (see
    _BFloat16)."""
    if dtype is None:
        return None
    if dtype is float:   # Python's float is double precision, whatever the default dtype (torch)
        return float64
    if dtype is int:
        return int64
    if dtype is bool:
        return bool_
    if isinstance(dtype, str):
        # torch's names first: torch.float is float32 where NumPy's "float" is float64
        dtype = _TORCH_DTYPE_NAMES.get(dtype.removeprefix("torch."), dtype.removeprefix("torch."))
    if is_bfloat16(dtype):
        warn_once("bfloat16", "chainrule stores bfloat16 tensors as float32, with values rounded "
                              "to bfloat16 precision (NumPy has no bfloat16)")
        return float32
    try:
        return xp.dtype(dtype)
    except TypeError:
        raise TypeError(f"{dtype!r} is not a dtype chainrule knows (float16, bfloat16, float32, "
                        "float64, int32, int64, bool, ...)") from None


def as_array(data, dtype=None, name="tensor"):
    """Turn data (array, scalar or nested lists) into a numeric array; Python floats become
    float32, Python ints int64. Strings, None, ragged lists and ints beyond int64 are refused."""
    target = to_dtype(dtype)
    if isinstance(data, (xp.ndarray, xp.generic)):
        _check_kind(data, data, name)
        array = xp.asarray(data) if target is None else _cast(data, target)
    else:
        array = _from_python(data, target, name)
        if target is not None:
            array = _cast(array, target)
        elif array.dtype == float64:
            array = _cast(array, default_float, copy=True)
        elif array.dtype.kind in "iu":
            array = array.astype(int64)
    return round_to_bfloat16(array) if is_bfloat16(dtype) else array


@xp.errstate(over="ignore", invalid="ignore")
def _cast(array, dtype, copy=False):
    """array.astype(dtype), as quiet as torch's casts: 1e40 as float32 is inf, nan as int64 some
    integer. Only where as_array converts: chainrule.tensor(ndarray) pays no errstate."""
    return xp.asarray(array).astype(dtype, copy=copy)


def _from_python(data, target, name):
    if isinstance(data, (str, bytes)) or data is None:
        raise TypeError(f"{name}: cannot make a tensor from {data!r}; expected numbers, "
                        "(nested) lists of numbers or an array")
    try:
        array = xp.asarray(data)
    except ValueError as error:
        raise ValueError(f"{name}: {_ragged(data) or error}") from None
    if array.dtype.kind == "O" and target is not None and target.kind == "f":
        _check_items(array, name, big_ints=True)   # ints beyond int64 fit a float: torch agrees
        return array.astype(target)
    _check_kind(array, data, name)
    if array.dtype == xp.uint64 or (array.dtype == float64 and array.size
                                    and xp.abs(array).max() >= 2.0**63):
        _check_items(xp.asarray(data, dtype=object), name)
    return array


def _check_kind(array, data, name):
    if array.dtype.kind in "biufc":
        return
    if array.dtype.kind == "O":
        _check_items(array, name)
    raise TypeError(f"{name}: cannot make a tensor of {array.dtype} data "
                    f"({xp.array2string(array.reshape(-1)[:3], threshold=3)[:60]}); "
                    "expected numbers")


def _check_items(array, name, big_ints=False):
    """Each element of an object array is a number; an int fits in int64 unless big_ints."""
    for item in array.reshape(-1).tolist():
        if isinstance(item, int) and not big_ints and not -2**63 <= item < 2**63:
            raise OverflowError(f"{name}: the integer {item} does not fit in int64")
        if not isinstance(item, (bool, int, float)):
            raise TypeError(f"{name}: cannot make a tensor of {type(item).__name__} "
                            f"({item!r:.60}); expected numbers")


def _is_sequence(item):
    return isinstance(item, (list, tuple)) or (isinstance(item, xp.ndarray) and item.ndim > 0)


def _ragged(data):
    """Where nested sequences have unequal lengths, said as torch says it."""
    level, depth = [data], 0
    while level and all(_is_sequence(item) for item in level):
        lengths = {len(item) for item in level}
        if len(lengths) > 1:
            return (f"ragged nested sequence: expected sequences of one length at dim {depth}, "
                    f"got lengths {sorted(lengths)}")
        level, depth = [child for item in level for child in item], depth + 1
    if level and any(_is_sequence(item) for item in level):
        return f"ragged nested sequence: numbers and sequences mixed at dim {depth}"
    return None


def get_default_dtype():
    """The dtype Python floats become (float32 unless set_default_dtype changed it)."""
    return default_float


def set_default_dtype(dtype):
    global default_float
    chosen = to_dtype(dtype) if not is_bfloat16(dtype) else None
    if chosen is None or chosen.kind != "f":
        raise TypeError(f"set_default_dtype: only float16, float32 and float64 can be the "
                        f"default type, got {dtype!r}")
    default_float = wrap_dtype(chosen)
