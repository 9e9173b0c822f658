"""dtypes: casts between them (a differentiable op) and PyTorch's type promotion, which every
op taking two operands applies first."""
from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.tensor import Tensor

__all__ = ["to"]


class Cast(Function):
    """y = x converted to dtype;  dx = dy converted back (no gradient for integer inputs).
    bfloat16=True: y is float32 rounded to bfloat16 precision, chainrule's bfloat16."""
    save_inputs = False

    def forward(self, x, dtype, bfloat16=False):
        self.in_dtype = x.dtype
        return backend.round_to_bfloat16(x) if bfloat16 else x.astype(dtype)

    def backward(self, grad):
        return grad.to(self.in_dtype) if self.in_dtype.kind == "f" else None


def operands(name, a, b):
    """Both operands as Tensors of one dtype, promoted as PyTorch does. Categories rank
    bool < integer < float, and the higher category's dtype wins (a Python float makes an integer
    tensor float32). Within a category a Python scalar takes the tensor's dtype, a tensor with dims
    outranks a 0-d one, and two of a kind promote as NumPy does (float32 + float64 -> float64)."""
    given = (a, b)
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError(f"{name}: expected at least one Tensor, got {type(a).__name__} and "
                            f"{type(b).__name__}")
        a = scalar_like(a, b, name)
    elif not isinstance(b, Tensor):
        b = scalar_like(b, a, name)
    da, db = a.array.dtype, b.array.dtype
    if da == db:
        return a, b
    if isinstance(given[0], backend.ndarray) or isinstance(given[1], backend.ndarray):
        # torch hands `tensor + ndarray` to NumPy, whose promotion decides (float32 tensor times
        # a float64 array, even a 0-d one, is float64)
        dtype = xp.promote_types(da, db)
    else:
        dtype = _result_dtype(a, b)
    # a differentiable cast, so a float operand that is promoted still receives its gradient
    return (a if da == dtype else to(a, dtype)), (b if db == dtype else to(b, dtype))


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _result_dtype(a, b):
    ka, kb = _CATEGORY[a.array.dtype.kind], _CATEGORY[b.array.dtype.kind]
    if ka != kb:
        return a.dtype if ka > kb else b.dtype
    if (a.ndim == 0) != (b.ndim == 0):
        return b.dtype if a.ndim == 0 else a.dtype
    return xp.promote_types(a.dtype, b.dtype)


def scalar_like(value, like, name="operator"):
    """A Python number as a tensor of like's dtype where it fits (see operands); NumPy arrays and
    scalars keep their own dtype. Anything else (a list, a string, None) is refused, as torch's
    operators refuse it."""
    dtype = like.array.dtype
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        dtype = backend.int64 if dtype.kind == "b" else dtype
    elif isinstance(value, float):
        dtype = dtype if dtype.kind == "f" else backend.default_float
    elif isinstance(value, (backend.ndarray, backend.generic)):
        return Tensor(value)
    else:
        hint = "; make it a tensor first: chainrule.tensor(...)" if isinstance(
            value, (list, tuple)) else ""
        raise TypeError(f"{name}: unsupported operand type(s): 'Tensor' and "
                        f"'{type(value).__name__}' ({_short(value)}){hint}")
    return Tensor._make(xp.asarray(value, dtype=dtype))


def _short(value):
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def to(x, *args, dtype=None, device=None, non_blocking=False, copy=False, memory_format=None):
    """to(dtype), to(device), to(device, dtype) or to(other_tensor): a differentiable cast; only
    the CPU exists, so a device other than it is refused. bfloat16 is float32 rounded."""
    for arg in args:
        if isinstance(arg, Tensor):
            dtype = arg.dtype
        elif backend.is_device_like(arg) or (isinstance(arg, int) and not isinstance(arg, bool)):
            device = arg
        elif arg is not None:
            dtype = arg
    backend.check_device(device, "Tensor.to")
    target = backend.to_dtype(dtype)
    if backend.is_bfloat16(dtype):
        return Cast.apply(x, dtype=target, bfloat16=True)
    result = x if target is None or x.array.dtype == target else Cast.apply(x, dtype=target)
    return result.clone() if copy and result is x else result


def type_(x, dtype=None):
    return str(x.dtype) if dtype is None else to(x, dtype)


TENSOR_METHODS = {
    "to": to, "type": type_,
    "float": lambda x: to(x, backend.float32), "double": lambda x: to(x, backend.float64),
    "long": lambda x: to(x, backend.int64), "int": lambda x: to(x, backend.int32),
    "bool": lambda x: to(x, backend.bool_), "half": lambda x: to(x, backend.float16),
    "bfloat16": lambda x: to(x, backend.bfloat16),
}


def is_floating_point(input):
    return input.array.dtype.kind == "f"


class finfo:
    """Machine limits of a floating dtype, as torch.finfo: eps, max, min, tiny, resolution, bits
    (bfloat16's are its own, though chainrule stores it as float32)."""

    def __init__(self, type=None):
        if backend.is_bfloat16(type):
            self.bits, self.eps, self.max, self.tiny, self.resolution = \
                16, 2.0**-7, 3.3895313892515355e38, 2.0**-126, 0.01
            self.min, self.smallest_normal, self.dtype = -self.max, self.tiny, "bfloat16"
            return
        dtype = backend.to_dtype(type) if type is not None else backend.default_float
        if dtype.kind != "f":
            raise TypeError(f"finfo: expected a floating dtype, got {dtype}; use iinfo")
        info = xp.finfo(dtype)
        self.bits, self.eps, self.max, self.min = info.bits, float(info.eps), float(info.max), \
            float(info.min)
        self.tiny = self.smallest_normal = float(info.smallest_normal)
        self.resolution, self.dtype = 10.0 ** -info.precision, str(dtype)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Limits of an integer dtype, as torch.iinfo: bits, min, max."""

    def __init__(self, type):
        dtype = backend.to_dtype(type)
        if dtype is None or dtype.kind not in "iu":
            raise TypeError(f"iinfo: expected an integer dtype, got {type!r}; use finfo")
        info = xp.iinfo(dtype)
        self.bits, self.min, self.max, self.dtype = info.bits, int(info.min), int(info.max), \
            str(dtype)

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"
