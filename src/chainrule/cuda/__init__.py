"""chainrule.cuda: answers as torch.cuda does on a machine without a GPU (the CuPy backend is
future work), so that `device = 'cuda' if cuda.is_available() else 'cpu'` runs unchanged.
Seeding, synchronising and freeing the cache are accepted and do nothing; asking which GPU is
current raises, as torch does without CUDA."""
from chainrule.cuda import amp
from chainrule.tensor_types import CUDA_TYPES

__all__ = ["amp", "current_device", "device_count", "empty_cache", "get_device_name",
           "is_available", "is_bf16_supported", "manual_seed", "manual_seed_all",
           "max_memory_allocated", "memory_allocated", "set_device", "synchronize"]


def is_available():
    return False


def device_count():
    return 0


def is_bf16_supported(including_emulation=True):
    return False


def manual_seed(seed):
    """Nothing to seed without a GPU; accepted so that seeding code ports unchanged."""
    int(seed)


def manual_seed_all(seed):
    """Nothing to seed without a GPU; accepted so that seeding code ports unchanged."""
    int(seed)


def synchronize(device=None):
    """Nothing to wait for: chainrule's ops finish before they return."""


def empty_cache():
    """No GPU cache to free."""


def memory_allocated(device=None):
    return 0


def max_memory_allocated(device=None):
    return 0


def _no_gpu(name):
    raise RuntimeError(f"cuda.{name}: no CUDA device: chainrule computes on the CPU only "
                       "(cuda.is_available() is False)")


def current_device():
    _no_gpu("current_device")


def get_device_name(device=None):
    _no_gpu("get_device_name")


def set_device(device):
    _no_gpu("set_device")


# torch.cuda.FloatTensor and its kin: named in `Tensor = torch.cuda.FloatTensor if cuda else
# torch.FloatTensor`, refused with advice if called.
globals().update(CUDA_TYPES)
