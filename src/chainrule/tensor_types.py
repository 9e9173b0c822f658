"""The legacy typed constructors older PyTorch programs use: `torch.FloatTensor([1, 2])`,
`torch.LongTensor(3)` (uninitialised, of size 3), `isinstance(x, torch.FloatTensor)`,
`x.type(torch.DoubleTensor)`; and `torch.cuda.FloatTensor`, which can be named but not used."""
import operator

from chainrule import backend
from chainrule.placement import check_device
from chainrule.size import Size
from chainrule.tensor import Tensor


class TensorType(type):
    """The type of FloatTensor and its kin: calling one makes a tensor of its dtype, and
    isinstance asks whether a tensor has that dtype (as torch's tensortype does)."""

    def __call__(cls, *args, device=None):
        if cls.is_cuda:
            raise TypeError(f"type {cls.__module_name__}.{cls.__name__} not available: chainrule "
                            "computes on the CPU only; use torch.tensor(data, dtype=...) or the CPU "
                            f"type torch.{cls.__name__}")
        check_device(device, cls.__name__)
        dtype = backend.to_dtype(cls.dtype_name)
        return _construct(cls.__name__, dtype, args)

    def __instancecheck__(cls, instance):
        return (isinstance(instance, Tensor) and not cls.is_cuda
                and instance.array.dtype == backend.to_dtype(cls.dtype_name))

    @property
    def dtype(cls):
        return backend.wrap_dtype(backend.to_dtype(cls.dtype_name))

    def __repr__(cls):
        return f"<class '{cls.__module_name__}.{cls.__name__}'>"


def _construct(name, dtype, args):
    """FloatTensor(data), FloatTensor(*sizes) uninitialised (zeros here), FloatTensor() empty."""
    if not args:
        return Tensor._make(backend.xp.zeros((0,), dtype=dtype))
    if len(args) == 1 and not _is_size(args[0]):
        data = args[0]
        if isinstance(data, Tensor) and data.array.dtype != dtype:
            raise TypeError(f"{name}: expected a tensor of dtype {dtype}, got {data.dtype} "
                            f"(use x.to({dtype}) to convert)")
        if isinstance(data, Tensor):
            return data   # torch returns the same tensor
        return Tensor(backend.as_array(data, dtype, name=name))
    sizes = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
    try:
        shape = tuple(operator.index(s) for s in sizes)
    except TypeError:
        raise TypeError(f"{name}: expected data (a list, a tensor) or sizes (ints), got "
                        f"{tuple(type(s).__name__ for s in sizes)}") from None
    if any(s < 0 for s in shape):
        raise RuntimeError(f"{name}: negative dimension in size {shape}")
    return Tensor._make(backend.xp.zeros(shape, dtype=dtype))   # zeros: never stale memory


def _is_size(value):
    """An int (one size), or a torch.Size-like tuple of ints: sizes rather than data."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, Size)


def _make_type(name, dtype_name, module="torch", is_cuda=False):
    return TensorType(name, (), {"dtype_name": dtype_name, "is_cuda": is_cuda,
                                 "__module_name__": module, "__doc__": f"{dtype_name} tensors"})


_TYPES = {"FloatTensor": "float32", "DoubleTensor": "float64", "HalfTensor": "float16",
          "BFloat16Tensor": "bfloat16", "LongTensor": "int64", "IntTensor": "int32",
          "ShortTensor": "int16", "CharTensor": "int8", "ByteTensor": "uint8",
          "BoolTensor": "bool"}

CPU_TYPES = {name: _make_type(name, dtype) for name, dtype in _TYPES.items()}
CUDA_TYPES = {name: _make_type(name, dtype, "torch.cuda", is_cuda=True)
              for name, dtype in _TYPES.items()}
BY_NAME = {f"torch.{name}": cls for name, cls in CPU_TYPES.items()}

FloatTensor, DoubleTensor, HalfTensor = (CPU_TYPES[n] for n in
                                         ("FloatTensor", "DoubleTensor", "HalfTensor"))
BFloat16Tensor, LongTensor, IntTensor = (CPU_TYPES[n] for n in
                                         ("BFloat16Tensor", "LongTensor", "IntTensor"))
ShortTensor, CharTensor, ByteTensor, BoolTensor = (CPU_TYPES[n] for n in
                                                   ("ShortTensor", "CharTensor", "ByteTensor",
                                                    "BoolTensor"))


def type_name(dtype):
    """'torch.FloatTensor' for float32, as Tensor.type() with no argument answers."""
    for name, dtype_name in _TYPES.items():
        if dtype_name != "bfloat16" and backend.to_dtype(dtype_name) == dtype:
            return f"torch.{name}"
    return f"torch.{dtype}"
