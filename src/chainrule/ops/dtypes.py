"""dtypes: casts between them (a differentiable op, with x.float(), x.long() ... as Tensor
methods), PyTorch's type promotion, which every op taking two operands applies first, and the
dtype queries (is_floating_point, finfo, iinfo ...). What torch code asks of a tensor's storage
(stride, is_contiguous, element_size ...) is in storage.py."""
from chainrule import backend, tensor_types
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.placement import check_device
from chainrule.tensor import Tensor

__all__ = ["to"]


class Cast(Function):
    """y = x converted to dtype;  dx = dy converted back (no gradient for integer inputs).
    bfloat16=True: y is float32 rounded to bfloat16 precision, chainrule's bfloat16."""
    save_inputs = False

    @xp.errstate(over="ignore", invalid="ignore")   # 1e40 -> float16 is inf, nan -> int64 is
    def forward(self, x, dtype, bfloat16=False):     # some value: torch casts silently too
        self.in_dtype = x.dtype
        return backend.round_to_bfloat16(x) if bfloat16 else x.astype(dtype)

    def backward(self, grad):
        if self.in_dtype.kind != "f":
            return None
        grad, _, recording = self.operands(grad)
        return grad.to(self.in_dtype) if recording else grad.astype(self.in_dtype)


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
    # (Cast itself: dtype is already NumPy's, and to()'s device and dtype parsing is not needed)
    return ((a if da == dtype else Cast.apply(a, dtype=dtype)),
            (b if db == dtype else Cast.apply(b, dtype=dtype)))


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _result_dtype(a, b):
    # the arrays' dtypes (NumPy's), not Tensor.dtype's wrappers: this runs on every mixed op
    da, db = a.array.dtype, b.array.dtype
    ka, kb = _CATEGORY[da.kind], _CATEGORY[db.kind]
    if ka != kb:
        return da if ka > kb else db
    if (a.array.ndim == 0) != (b.array.ndim == 0):
        return db if a.array.ndim == 0 else da
    return xp.promote_types(da, db)


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
    try:
        return Tensor._make(xp.asarray(value, dtype=dtype))
    except OverflowError:   # uint8 tensor + -1: wraps around, as torch's integers do
        return Tensor._make(xp.asarray(value, dtype=backend.int64).astype(dtype))


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
    check_device(device, "Tensor.to")
    target = backend.to_dtype(dtype)
    if backend.is_bfloat16(dtype):
        return Cast.apply(x, dtype=target, bfloat16=True)
    result = x if target is None or x.array.dtype == target else Cast.apply(x, dtype=target)
    return result.clone() if copy and result is x else result


def type_(x, dtype=None, non_blocking=False):
    """x.type() names x's type as torch does ('torch.FloatTensor'); x.type(t) casts x to t: a
    dtype, a legacy type (torch.LongTensor) or its name ('torch.LongTensor')."""
    if dtype is None:
        return tensor_types.type_name(x.array.dtype)
    if isinstance(dtype, str) and dtype.startswith("torch."):
        if dtype not in tensor_types.BY_NAME:
            raise TypeError(f"type: invalid type {dtype!r} (chainrule has the CPU tensor types "
                            f"{', '.join(sorted(tensor_types.BY_NAME))})")
        dtype = tensor_types.BY_NAME[dtype]
    if isinstance(dtype, tensor_types.TensorType):
        if dtype.is_cuda:
            raise RuntimeError(f"type: {dtype.__name__} of torch.cuda: chainrule computes on the "
                               "CPU only")
        dtype = dtype.dtype
    return to(x, dtype)


def is_floating_point(input):
    return input.array.dtype.kind == "f"


def is_complex(input):
    return input.array.dtype.kind == "c"


def is_nonzero(input):
    """The truth of a one-element tensor, as torch.is_nonzero; any other size is refused."""
    if input.array.size != 1:
        what = "no values" if input.array.size == 0 else "more than one value"
        raise RuntimeError(f"is_nonzero: Boolean value of Tensor with {what} is ambiguous "
                           f"(shape {input.shape})")
    return bool(input.array.item())


_CATEGORY_OF = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def promote_types(type1, type2):
    """The dtype torch gives a result of the two dtypes: the higher category (bool < integer <
    float) wins outright (int64 with float16 is float16); within one, NumPy's rule."""
    a, b = backend.to_dtype(type1), backend.to_dtype(type2)
    ka, kb = _CATEGORY_OF[a.kind], _CATEGORY_OF[b.kind]
    if ka != kb:
        return backend.wrap_dtype(a if ka > kb else b)
    return backend.wrap_dtype(xp.promote_types(a, b))


def result_type(tensor1, tensor2):
    """The dtype an arithmetic op on the two (tensors or numbers) would give, as torch's."""
    if not isinstance(tensor1, Tensor) and not isinstance(tensor2, Tensor):
        tensor1 = Tensor._make(backend.as_array(tensor1))
    a, b = operands("result_type", tensor1, tensor2)
    return a.dtype


def can_cast(from_, to):
    """Whether torch's in-place ops may write a from_ value into a to tensor: not float into
    integer, nor a number into bool; any cast within a category (int8 into uint8) is allowed."""
    return _CATEGORY_OF[backend.to_dtype(from_).kind] <= _CATEGORY_OF[backend.to_dtype(to).kind]


# ----- Tensor methods -----------------------------------------------------------------------------
# x.float() and its kin: torch's short names for x.to(dtype)
def _short_cast(name, dtype, torch_name):
    def cast(x):
        return to(x, dtype)
    cast.__name__ = cast.__qualname__ = name
    cast.__doc__ = f"x.{name}() is x.to(torch.{torch_name})"
    return cast


_SHORT_CASTS = {name: _short_cast(name, dtype, torch_name) for name, dtype, torch_name in [
    ("float", backend.float32, "float32"), ("double", backend.float64, "float64"),
    ("long", backend.int64, "int64"), ("int", backend.int32, "int32"),
    ("bool", backend.bool_, "bool"), ("half", backend.float16, "float16"),
    ("bfloat16", backend.bfloat16, "bfloat16"), ("byte", backend.uint8, "uint8"),
    ("char", backend.int8, "int8"), ("short", backend.int16, "int16")]}


TENSOR_METHODS = {
    "to": to, "type": type_, **_SHORT_CASTS,
    "is_complex": is_complex, "is_nonzero": is_nonzero,   # is_signed: in predicates.py
}   # the storage queries (stride, is_contiguous, element_size ...): in storage.py


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
