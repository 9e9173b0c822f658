"""What torch code asks of a tensor's storage, as Tensor methods: strides (in elements, NumPy's
answer divided by the item size), contiguity, sizes in bytes, the data pointer, and the answers a
CPU-only library gives about devices, pinned and shared memory and inference tensors.
No ops here: nothing differentiable, and no public function beyond the methods."""
from chainrule import backend
from chainrule.size import normalize_dim

__all__ = []


def _stride(x, dim=None):
    """The step in elements between neighbours along each dim (or along `dim`)."""
    strides = tuple(step // x.array.itemsize for step in x.array.strides)
    if dim is None:
        return strides
    return strides[normalize_dim("stride", dim, x.array.shape)]


def _pin_memory(x, device=None):
    """Refused: pinned memory needs an accelerator."""
    raise RuntimeError("pin_memory: pinned memory needs an accelerator, and chainrule computes "
                       "on the CPU only; leave the tensor as it is")


def _ndimension(x):
    """x.dim(), under its older name."""
    return x.array.ndim


def _element_size(x):
    """Bytes per element."""
    return x.array.itemsize


def _nbytes(x):
    """Bytes of all the elements (a property, as torch's)."""
    return x.array.nbytes


def _layout(x):
    """torch.strided: chainrule has dense tensors only (a property)."""
    return backend.strided


def _is_contiguous(x, memory_format=None):
    """Whether x's elements lie in row-major order with no gaps."""
    return x.array.flags.c_contiguous


def _data_ptr(x):
    """The address of x's first element."""
    return x.array.ctypes.data


def _get_device(x):
    """-1, torch's answer for a CPU tensor."""
    return -1


def _is_inference(x):
    """False: chainrule has no inference mode, so no inference tensors."""
    return False


def _is_pinned(x, device=None):
    """False: pinned memory needs an accelerator."""
    return False


def _is_shared(x):
    """False: x lives in this process's memory only."""
    return False


def _share_memory_(x):
    """x itself: one process's memory; DataLoader workers copy what they get."""
    return x


TENSOR_METHODS = {
    "ndimension": _ndimension, "element_size": _element_size,
    "itemsize": property(_element_size), "nbytes": property(_nbytes), "layout": property(_layout),
    "stride": _stride, "is_contiguous": _is_contiguous, "data_ptr": _data_ptr,
    "get_device": _get_device, "is_inference": _is_inference, "is_pinned": _is_pinned,
    "pin_memory": _pin_memory, "is_shared": _is_shared, "share_memory_": _share_memory_,
}
