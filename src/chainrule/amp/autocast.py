"""autocast: torch's context manager and decorator for mixed precision, doing nothing here."""
import functools

from chainrule import backend

# torch.autocast's device types; any other is refused as torch refuses it.
_DEVICE_TYPES = ("cpu", "cuda", "xpu", "mps", "hpu", "xla", "mtia", "ipu", "privateuseone")


def is_autocast_available(device_type):
    """False: chainrule has no lower-precision kernels to cast to."""
    return False


class autocast:
    """torch.autocast(device_type, dtype=None, enabled=True, cache_enabled=None).

    On chainrule it does nothing, on any device type: ops inside it compute in their inputs'
    dtypes (float32 by default), where torch would run some of them in float16/bfloat16. It works
    as a context manager (`with autocast("cuda"):`) and as a decorator (`@autocast("cpu")`).
    """

    def __init__(self, device_type, dtype=None, enabled=True, cache_enabled=None):
        if not isinstance(device_type, str):
            raise ValueError(f"autocast: expected device_type as a string, got "
                             f"{type(device_type).__name__}")
        if device_type not in _DEVICE_TYPES:
            raise RuntimeError(f"autocast: unknown device_type {device_type!r}; expected one of "
                               f"{', '.join(_DEVICE_TYPES)}")
        self.device = device_type
        self.fast_dtype = dtype if dtype is not None else backend.bfloat16 if \
            device_type == "cpu" else backend.float16
        self._enabled = bool(enabled)
        self.cache_enabled = cache_enabled

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def run(*args, **kwargs):
            with self:
                return function(*args, **kwargs)
        return run
