"""Ways to make a tensor: from data, filled with a constant, a range, or random draws.

Every function takes torch's keywords: dtype, device (the CPU: 'cpu', 'cpu:0', a device),
layout (strided), requires_grad, and pin_memory / memory_format where torch's does; the random
ones take generator= (a chainrule.Generator, an int seed, or None for the global generator).

This layer also binds onto Tensor the methods that make tensors (new_zeros ... multinomial,
uniform_, normal_): see the end of this module.
"""
import math

from chainrule import backend
from chainrule.backend import xp
from chainrule.placement import check_floating, check_placement
from chainrule.random import rng
from chainrule.size import Size
from chainrule.tensor import Tensor, check_overwrite


def tensor(data, dtype=None, *, device=None, requires_grad=False, pin_memory=False):
    """A new leaf tensor holding a copy of data; Python floats become float32, ints int64.
    A list of tensors (0-d, or all of one shape) becomes one tensor of their values."""
    check_placement("tensor", device, pin_memory=pin_memory)
    source = data.array if isinstance(data, Tensor) else data
    if isinstance(source, (list, tuple)) and _holds_tensor(source):
        dtypes = set()
        source = _unwrap(source, dtypes)
        if dtype is None and backend.float64 in dtypes:
            dtype = backend.float64   # a float64 tensor among them keeps float64, as in torch
    array = backend.as_array(source, dtype)
    if isinstance(source, backend.ndarray) and xp.may_share_memory(array, source):
        array = array.copy()
    return Tensor._make(array).requires_grad_(True) if requires_grad else Tensor._make(array)


def _holds_tensor(data):
    if any(isinstance(item, Tensor) for item in data):
        return True
    first = data[0] if data else None
    return isinstance(first, (list, tuple)) and _holds_tensor(first)


def _unwrap(data, dtypes):
    """Nested lists with the tensors replaced by their (detached) arrays."""
    if isinstance(data, Tensor):
        dtypes.add(data.array.dtype)
        return data.array
    if isinstance(data, (list, tuple)):
        return [_unwrap(item, dtypes) for item in data]
    return data


def as_tensor(data, dtype=None, device=None):
    """data as a tensor, sharing memory where it can: a tensor or NumPy array of that dtype is
    not copied."""
    check_placement("as_tensor", device)
    if isinstance(data, Tensor):
        return data if dtype is None else data.to(dtype)
    if isinstance(data, backend.ndarray):
        return Tensor._make(backend.as_array(data, dtype, "as_tensor"))
    return tensor(data, dtype=dtype)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=None):
    """obj as a tensor, as torch.asarray: a tensor or NumPy array is shared when no copy is needed
    (copy=None), always copied with copy=True, and copy=False refuses to convert; a tensor keeps
    its requires_grad unless it is given."""
    check_placement("asarray", device)
    if isinstance(obj, Tensor):
        result = obj if dtype is None or backend.to_dtype(dtype) == obj.array.dtype else None
        if result is None or copy:
            if copy is False:
                raise ValueError(f"asarray: can't alias a {obj.dtype} tensor as {dtype} "
                                 "(copy=False)")
            result = obj.to(dtype).detach() if result is None else obj.detach().clone()
            result.requires_grad_(obj.requires_grad if requires_grad is None else requires_grad)
        elif requires_grad is not None and requires_grad != obj.requires_grad:
            result = obj.detach().requires_grad_(requires_grad)
        return result
    if isinstance(obj, backend.ndarray) and not copy:
        if copy is False and dtype is not None and backend.to_dtype(dtype) != obj.dtype:
            raise ValueError(f"asarray: can't alias a {obj.dtype} array as {dtype} (copy=False)")
        result = Tensor._make(backend.as_array(obj, dtype, "asarray"))
    else:
        result = tensor(obj, dtype=dtype)
    return result.requires_grad_(True) if requires_grad else result


def scalar_tensor(s, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """A 0-d tensor holding the number s (float32 unless dtype says otherwise)."""
    check_placement("scalar_tensor", device, layout, pin_memory)
    s = _number(s)
    if isinstance(s, bool) or not isinstance(s, (int, float, xp.generic)):
        raise TypeError(f"scalar_tensor(): argument 's' must be a number, not "
                        f"{type(s).__name__}")
    return _leaf(xp.asarray(s, dtype=_dtype(dtype)), dtype, requires_grad)


def from_numpy(array):
    """A tensor that shares memory with a NumPy array, keeping its dtype."""
    if not isinstance(array, backend.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    if array.dtype.kind in "OSUVM":   # objects, strings, raw bytes, datetimes: no numbers
        raise TypeError(f"from_numpy: can't convert an array of dtype {array.dtype}; expected "
                        f"a numeric or bool array")
    return Tensor._make(array)


def _shape(name, size, keyword=None):
    """zeros(2, 3), zeros((2, 3)), zeros([2, 3]) and zeros(size=(2, 3)) all mean shape (2, 3)."""
    if keyword is not None:
        if size:
            raise TypeError(f"{name}: give the size once, positionally or as size=")
        size = (keyword,)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = size[0]
    try:
        shape = tuple(int(xp.asarray(n).__index__()) if isinstance(n, Tensor) else n.__index__()
                      for n in size)
    except (AttributeError, TypeError):
        raise TypeError(f"{name}: size must be ints or one tuple of ints, got {size!r}") from None
    if any(n < 0 for n in shape):
        raise RuntimeError(f"{name}: cannot create a tensor with a negative dimension: {shape}")
    return shape


def _number(value):
    """A 0-d tensor or NumPy scalar as the Python number it holds (torch takes both)."""
    if isinstance(value, (Tensor, backend.ndarray, xp.generic)) and value.ndim == 0:
        return value.item()
    return value


def _dtype(dtype):
    return backend.to_dtype(dtype) or backend.default_float


def _leaf(array, dtype, requires_grad):
    """The new tensor; bfloat16 values are rounded (their storage is float32)."""
    if backend.is_bfloat16(dtype):
        array = backend.round_to_bfloat16(array)
    t = Tensor._make(array)
    return t.requires_grad_(True) if requires_grad else t


def zeros(*shape, size=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False):
    check_placement("zeros", device, layout, pin_memory)
    return _leaf(xp.zeros(_shape("zeros", shape, size), dtype=_dtype(dtype)), dtype, requires_grad)


def ones(*shape, size=None, dtype=None, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    check_placement("ones", device, layout, pin_memory)
    return _leaf(xp.ones(_shape("ones", shape, size), dtype=_dtype(dtype)), dtype, requires_grad)


def empty(*shape, size=None, dtype=None, layout=None, device=None, requires_grad=False,
          pin_memory=False, memory_format=None):
    check_placement("empty", device, layout, pin_memory, memory_format)
    if memory_format is backend.preserve_format:   # nothing to preserve: refused, as in torch
        raise RuntimeError("empty: unsupported memory format preserve_format")
    return _leaf(xp.empty(_shape("empty", shape, size), dtype=_dtype(dtype)), dtype, requires_grad)


def full(size, fill_value, dtype=None, *, layout=None, device=None, requires_grad=False,
         pin_memory=False):
    check_placement("full", device, layout, pin_memory)
    fill_value = _fill_value("full", fill_value)
    if dtype is None:  # as in PyTorch: the fill value's type decides
        dtype = backend.as_array(fill_value, name="full").dtype
    shape = _shape("full", (size,) if isinstance(size, (tuple, list)) else (size,))
    return _leaf(xp.full(shape, fill_value, dtype=backend.to_dtype(dtype)), dtype, requires_grad)


def _like(name, t, dtype, layout, device, memory_format):
    check_placement(name, device, layout, memory_format=memory_format)
    if not isinstance(t, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(t).__name__}")
    return t.shape, (dtype if dtype is not None else t.dtype)


def zeros_like(input, dtype=None, *, layout=None, device=None, requires_grad=False,
               memory_format=None):
    shape, dtype = _like("zeros_like", input, dtype, layout, device, memory_format)
    return zeros(shape, dtype=dtype, requires_grad=requires_grad)


def ones_like(input, dtype=None, *, layout=None, device=None, requires_grad=False,
              memory_format=None):
    shape, dtype = _like("ones_like", input, dtype, layout, device, memory_format)
    return ones(shape, dtype=dtype, requires_grad=requires_grad)


def empty_like(input, dtype=None, *, layout=None, device=None, requires_grad=False,
               memory_format=None):
    shape, dtype = _like("empty_like", input, dtype, layout, device, memory_format)
    return empty(shape, dtype=dtype, requires_grad=requires_grad)


def full_like(input, fill_value, dtype=None, *, layout=None, device=None, requires_grad=False,
              memory_format=None):
    shape, dtype = _like("full_like", input, dtype, layout, device, memory_format)
    return full(shape, _fill_value("full_like", fill_value), dtype=dtype,
                requires_grad=requires_grad)


def _fill_value(name, value):
    """A number (a 0-d tensor or NumPy scalar gives the number it holds), as torch's Number."""
    value = _number(value)
    if not isinstance(value, (bool, int, float, complex, xp.generic)):
        raise TypeError(f"{name}(): argument 'fill_value' must be a number, not "
                        f"{type(value).__name__} ({value!r})")
    return value


def arange(start, end=None, step=1, *, dtype=None, layout=None, device=None,
           requires_grad=False):
    """start, start + step, ... up to but excluding end; float arguments give float32."""
    check_placement("arange", device, layout)
    if end is None:
        start, end = 0, start
    start, end, step = (_number(v) for v in (start, end, step))
    _check_range(start, end, step)
    if dtype is None:
        floats = any(isinstance(v, float) for v in (start, end, step))
        dtype = backend.default_float if floats else backend.int64
    if all(isinstance(v, int) for v in (start, end, step)):
        array = xp.arange(start, end, step).astype(_dtype(dtype))  # exact beyond 2**53
    else:
        count = max(0, math.ceil((end - start) / step))
        array = (start + step * xp.arange(count, dtype=backend.float64)).astype(_dtype(dtype))
    return _leaf(array, dtype, requires_grad)


def _check_range(start, end, step):
    for name, value in (("start", start), ("end", end), ("step", step)):
        if not isinstance(value, (int, float)):
            raise TypeError(f"arange: {name} must be a number, got {type(value).__name__}")
    if step == 0:
        raise RuntimeError(f"arange: step must be nonzero (start={start}, end={end})")
    if not (math.isfinite(start) and math.isfinite(end)):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end}")
    if (end - start) * step < 0:
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign "
                           f"(start={start}, end={end}, step={step})")


def linspace(start, end, steps, *, dtype=None, layout=None, device=None, requires_grad=False):
    check_placement("linspace", device, layout)
    start, end, steps = _number(start), _number(end), _number(steps)
    if isinstance(steps, bool) or not isinstance(steps, int):
        raise TypeError(f"linspace(): argument 'steps' must be an int, got "
                        f"{type(steps).__name__} {steps!r}")
    if steps < 0:
        raise RuntimeError(f"linspace: number of steps must be non-negative, got {steps}")
    array = xp.linspace(start, end, steps).astype(_dtype(dtype))
    return _leaf(array, dtype, requires_grad)


def eye(n, m=None, *, dtype=None, layout=None, device=None, requires_grad=False):
    check_placement("eye", device, layout)
    n, m = _number(n), _number(m)
    for value in (n, m):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):
            raise RuntimeError(f"eye: n and m must be non-negative ints, got n={n!r}, m={m!r}")
    return _leaf(xp.eye(n, m, dtype=_dtype(dtype)), dtype, requires_grad)


# ----- random draws, from the global generator (manual_seed) or a Generator ----------------------
def _float_dtype(name, dtype):
    chosen = _dtype(dtype)
    check_floating(name, chosen, "random draws")
    return chosen


def rand(*shape, size=None, generator=None, dtype=None, layout=None, device=None,
         requires_grad=False, pin_memory=False):
    """Uniform on [0, 1)."""
    check_placement("rand", device, layout, pin_memory)
    array = rng(generator, "rand").random(_shape("rand", shape, size))
    return _leaf(array.astype(_float_dtype("rand", dtype)), dtype, requires_grad)


def randn(*shape, size=None, generator=None, dtype=None, layout=None, device=None,
          requires_grad=False, pin_memory=False):
    """Standard normal."""
    check_placement("randn", device, layout, pin_memory)
    array = rng(generator, "randn").standard_normal(_shape("randn", shape, size))
    return _leaf(array.astype(_float_dtype("randn", dtype)), dtype, requires_grad)


def rand_like(input, dtype=None, *, generator=None, layout=None, device=None,
              requires_grad=False, memory_format=None):
    shape, dtype = _like("rand_like", input, dtype, layout, device, memory_format)
    return rand(shape, generator=generator, dtype=dtype, requires_grad=requires_grad)


def randn_like(input, dtype=None, *, generator=None, layout=None, device=None,
               requires_grad=False, memory_format=None):
    shape, dtype = _like("randn_like", input, dtype, layout, device, memory_format)
    return randn(shape, generator=generator, dtype=dtype, requires_grad=requires_grad)


def randint(low=0, high=None, size=None, *, generator=None, dtype=None, layout=None,
            device=None, requires_grad=False):
    """Integers uniform on [low, high), read as torch reads them: randint(high, size) or
    randint(low, high, size); int64 unless dtype says otherwise."""
    check_placement("randint", device, layout)
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high         # randint(high, size)
    elif high is None:
        low, high = 0, low                     # randint(high, size=...)
    if size is None or not isinstance(size, (tuple, list)):
        raise TypeError(f"randint: size must be a tuple of ints, got {size!r}; call "
                        "randint(high, size) or randint(low, high, size)")
    low, high = _number(low), _number(high)
    if low >= high:
        raise RuntimeError(f"randint: low must be less than high, got low={low}, high={high}")
    array = rng(generator, "randint").integers(low, high, size=_shape("randint", (size,)))
    dtype = dtype if dtype is not None else backend.int64
    return _leaf(array.astype(backend.to_dtype(dtype)), dtype, requires_grad)


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, layout=None,
                 device=None, requires_grad=False, memory_format=None):
    shape, dtype = _like("randint_like", input, dtype, layout, device, memory_format)
    return randint(low, high, shape, generator=generator, dtype=dtype,
                   requires_grad=requires_grad)


def randperm(n, *, generator=None, dtype=None, layout=None, device=None, requires_grad=False,
             pin_memory=False):
    """A random permutation of 0 .. n-1 (int64 unless dtype says otherwise)."""
    check_placement("randperm", device, layout, pin_memory)
    n = _number(n)
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise RuntimeError(f"randperm: n must be a non-negative int, got {n!r}")
    dtype = dtype if dtype is not None else backend.int64
    array = rng(generator, "randperm").permutation(n).astype(backend.to_dtype(dtype))
    return _leaf(array, dtype, requires_grad)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices drawn from the categories of each row of input, with probability proportional to
    its (non-negative, unnormalized) weights; without replacement each index appears at most once
    per row. int64, shape (num_samples,) or (rows, num_samples)."""
    num_samples = _number(num_samples)
    weights = _check_weights(input, num_samples, replacement)
    draw = rng(generator, "multinomial")
    rows = weights.reshape(-1, weights.shape[-1]).astype(backend.float64)
    if replacement:
        cumulative = xp.cumsum(rows, axis=1)
        picks = xp.stack([xp.searchsorted(c / c[-1], draw.random(num_samples), side="right")
                          for c in cumulative])
        picks = xp.minimum(picks, rows.shape[1] - 1)   # a draw at the rounding edge of 1.0
    else:
        # Weights over exponential noise, largest first: the same law as drawing one at a time
        # and renormalizing (torch does the same); zero weights come last, as in torch.
        keys = rows / draw.exponential(size=rows.shape)
        picks = xp.argsort(-keys, axis=1, kind="stable")[:, :num_samples]
    return Tensor._make(picks.reshape(weights.shape[:-1] + (num_samples,)).astype(backend.int64))


def _check_weights(input, num_samples, replacement):
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial: expected a Tensor of weights, got {type(input).__name__}")
    weights = input.array
    if weights.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: weights must be 1-D or 2-D, got shape {input.shape}")
    if weights.dtype.kind != "f":
        raise RuntimeError(f"multinomial: weights must be floating point, got {input.dtype}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
        raise RuntimeError(f"multinomial: num_samples must be a positive int, got "
                           f"{num_samples!r}")
    if not replacement and num_samples > weights.shape[-1]:
        raise RuntimeError(f"multinomial: cannot draw {num_samples} samples without replacement "
                           f"from {weights.shape[-1]} categories")
    if not xp.all(xp.isfinite(weights)) or xp.any(weights < 0):
        raise RuntimeError("multinomial: the weights contain inf, nan or a value < 0")
    sums = weights.reshape(-1, weights.shape[-1]).sum(axis=1, dtype=backend.float64)
    if xp.any(sums <= 0):
        row = int(xp.argmax(sums <= 0))
        raise RuntimeError(f"multinomial: invalid distribution: the weights of row {row} sum "
                           "to 0 (sum of probabilities <= 0)")
    return weights


# ----- Tensor methods that make tensors: bound onto Tensor below -------------------------------
def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    return tensor(data, self.dtype if dtype is None else dtype, device=device,
                  requires_grad=requires_grad)


def new(self, *args, dtype=None, device=None):
    """The legacy constructor, as torch's: x.new(2, 3) or x.new(x.shape) is uninitialised of
    that size, x.new([1, 2]) holds that data, x.new() is empty; all of x's dtype."""
    if len(args) == 1 and not isinstance(args[0], Size) and not isinstance(args[0], int):
        return new_tensor(self, args[0], dtype=dtype, device=device)
    return new_empty(self, *(args or (0,)), dtype=dtype, device=device)


def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    return zeros(*size, dtype=self.dtype if dtype is None else dtype, device=device,
                 requires_grad=requires_grad)


def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    return ones(*size, dtype=self.dtype if dtype is None else dtype, device=device,
                requires_grad=requires_grad)


def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return empty(*size, dtype=self.dtype if dtype is None else dtype, device=device,
                 requires_grad=requires_grad)


def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    return full(size, fill_value, self.dtype if dtype is None else dtype, device=device,
                requires_grad=requires_grad)


def uniform_(self, a=0.0, b=1.0, *, generator=None):
    """Fill with draws from U(a, b) (the other laws: ops/sampling.py)."""
    if not a <= b:
        raise RuntimeError(f"uniform_: expects to return a [from, to) range, but found "
                           f"from={a} > to={b}")
    check_overwrite("uniform_", self)
    return self.fill_(rng(generator, "uniform_").uniform(a, b, self.shape))


def normal_(self, mean=0.0, std=1.0, *, generator=None):
    """Fill with draws from N(mean, std²)."""
    if not std >= 0:
        raise RuntimeError(f"normal_: expects std >= 0.0, but found std {std}")
    check_overwrite("normal_", self)
    return self.fill_(rng(generator, "normal_").normal(mean, std, self.shape))


TENSOR_METHODS = {"new_tensor": new_tensor, "new": new, "new_zeros": new_zeros,
                  "new_ones": new_ones, "new_empty": new_empty, "new_full": new_full,
                  "multinomial": multinomial, "uniform_": uniform_, "normal_": normal_}


def bind_tensor_methods(tensor_class):
    for name, function in TENSOR_METHODS.items():
        setattr(tensor_class, name, function)


# The one call site of the binding: as this module loads, Tensor gets its methods.
bind_tensor_methods(Tensor)
