"""dtypes: casts between them (a differentiable op) and PyTorch's type promotion, which every
op taking two operands applies first."""
from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.tensor import Tensor

__all__ = ["to"]


class Cast(Function):
    """y = x converted to dtype;  dx = dy converted back (no gradient for integer inputs)"""
    save_inputs = False

    def forward(self, x, dtype):
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        return grad.to(self.in_dtype) if self.in_dtype.kind == "f" else None


def operands(name, a, b):
    """Both operands as Tensors of one dtype, promoted as PyTorch does. Categories rank
    bool < integer < float, and the higher category's dtype wins (a Python float makes an integer
    tensor float32). Within a category a Python scalar takes the tensor's dtype, a tensor with dims
    outranks a 0-d one, and two of a kind promote as NumPy does (float32 + float64 -> float64)."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError(f"{name}: expected at least one Tensor, got {type(a).__name__} and "
                            f"{type(b).__name__}")
        a = scalar_like(a, b)
    elif not isinstance(b, Tensor):
        b = scalar_like(b, a)
    da, db = a.array.dtype, b.array.dtype
    if da == db:
        return a, b
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


def scalar_like(value, like):
    dtype = like.array.dtype
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        dtype = backend.int64 if dtype.kind == "b" else dtype
    elif isinstance(value, float):
        dtype = dtype if dtype.kind == "f" else backend.default_float
    else:
        return Tensor(value)  # arrays and lists keep their own dtype (float lists become float32)
    return Tensor._make(xp.asarray(value, dtype=dtype))


def to(x, *args, dtype=None, **kwargs):
    """to(dtype), to(device) or to(device, dtype): a differentiable cast (only the CPU exists)."""
    for arg in list(args) + [kwargs.get("device")]:
        if isinstance(arg, (str, backend.device)):
            backend.check_device(arg, "to")
        elif arg is not None:
            dtype = arg
    dtype = backend.to_dtype(dtype)
    if dtype is None or x.array.dtype == dtype:
        return x
    return Cast.apply(x, dtype=dtype)


def type_(x, dtype=None):
    return str(x.dtype) if dtype is None else to(x, dtype)


TENSOR_METHODS = {
    "to": to, "type": type_,
    "float": lambda x: to(x, backend.float32), "double": lambda x: to(x, backend.float64),
    "long": lambda x: to(x, backend.int64), "int": lambda x: to(x, backend.int32),
    "bool": lambda x: to(x, backend.bool_),
}
