"""Ways to make a tensor: from data, filled with a constant, a range, or random draws."""
from chainrule import backend
from chainrule.backend import xp
from chainrule.tensor import Tensor


def tensor(data, dtype=None, requires_grad=False):
    """A new leaf tensor holding a copy of data; Python floats become float32, ints int64."""
    source = data.array if isinstance(data, Tensor) else data
    array = backend.as_array(source, dtype)
    if isinstance(source, backend.ndarray) and xp.may_share_memory(array, source):
        array = array.copy()
    return Tensor(array, requires_grad=requires_grad)


def from_numpy(array):
    """A tensor that shares memory with a NumPy array, keeping its dtype."""
    if not isinstance(array, backend.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor._make(array)


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _dtype(dtype):
    return backend.to_dtype(dtype) or backend.default_float


def _leaf(array, requires_grad):
    t = Tensor._make(array)
    return t.requires_grad_(True) if requires_grad else t


def zeros(*size, dtype=None, requires_grad=False):
    return _leaf(xp.zeros(_shape(size), dtype=_dtype(dtype)), requires_grad)


def ones(*size, dtype=None, requires_grad=False):
    return _leaf(xp.ones(_shape(size), dtype=_dtype(dtype)), requires_grad)


def empty(*size, dtype=None, requires_grad=False):
    return _leaf(xp.empty(_shape(size), dtype=_dtype(dtype)), requires_grad)


def full(size, fill_value, dtype=None, requires_grad=False):
    if dtype is None:  # as in PyTorch: the fill value's type decides
        dtype = backend.as_array(fill_value).dtype
    return _leaf(xp.full(tuple(size), fill_value, dtype=backend.to_dtype(dtype)), requires_grad)


def zeros_like(t, dtype=None, requires_grad=False):
    return _leaf(xp.zeros(t.shape, dtype=backend.to_dtype(dtype) or t.dtype), requires_grad)


def ones_like(t, dtype=None, requires_grad=False):
    return _leaf(xp.ones(t.shape, dtype=backend.to_dtype(dtype) or t.dtype), requires_grad)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return full(t.shape, fill_value, dtype=dtype or t.dtype, requires_grad=requires_grad)


def arange(start, end=None, step=1, dtype=None, requires_grad=False):
    """Integers in [start, end) by step; float64-free: float arguments give float32."""
    if end is None:
        start, end = 0, start
    array = backend.as_array(xp.arange(start, end, step), dtype)
    if dtype is None and any(isinstance(v, float) for v in (start, end, step)):
        array = array.astype(backend.default_float)
    return _leaf(array, requires_grad)


def linspace(start, end, steps, dtype=None, requires_grad=False):
    return _leaf(xp.linspace(start, end, steps, dtype=_dtype(dtype)), requires_grad)


def eye(n, m=None, dtype=None, requires_grad=False):
    return _leaf(xp.eye(n, m, dtype=_dtype(dtype)), requires_grad)


def rand(*size, dtype=None, requires_grad=False):
    """Uniform on [0, 1), from the generator that manual_seed sets."""
    array = backend.generator().random(_shape(size)).astype(_dtype(dtype))
    return _leaf(array, requires_grad)


def randn(*size, dtype=None, requires_grad=False):
    """Standard normal, from the generator that manual_seed sets."""
    array = backend.generator().standard_normal(_shape(size)).astype(_dtype(dtype))
    return _leaf(array, requires_grad)


def randint(low, high=None, size=(), dtype=None):
    if high is None:
        low, high = 0, low
    array = backend.generator().integers(low, high, size=tuple(size))
    return Tensor._make(array.astype(backend.to_dtype(dtype) or backend.int64))


def rand_like(t, dtype=None, requires_grad=False):
    return rand(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)


def randn_like(t, dtype=None, requires_grad=False):
    return randn(*t.shape, dtype=dtype or t.dtype, requires_grad=requires_grad)
