"""Where tensors live and how they are laid out: devices (the CPU only, others named but
refused), the layout and memory-format constants torch programs pass, the one floating-dtype
check, and process settings (threads, determinism, flushing denormal numbers). chainrule.backend
re-exports these; nothing here computes."""
import ctypes
import platform
import sys

# Device types torch knows; chainrule computes on "cpu" only, but the others can be named.
DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "hip", "xla", "meta", "mtia", "hpu", "ipu", "lazy",
                "vulkan", "privateuseone")


class device:
    """Where tensors live. Only the CPU exists until the CuPy backend; `device('cuda')` can be
    named (as in `device('cuda' if cuda.is_available() else 'cpu')`) but not used.
    Accepts 'cpu', 'cpu:0', ('cpu', 0), another device, or any object whose `.type` is a string
    (a torch.device)."""

    def __init__(self, type="cpu", index=None):
        if not isinstance(type, str) and isinstance(getattr(type, "type", None), str):
            type, index = type.type, getattr(type, "index", None) if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu' or a device, got "
                            f"{type!r} ({builtins_type(type).__name__})")
        name, _, number = type.partition(":")
        if name not in DEVICE_TYPES:
            raise RuntimeError(f"device: expected one of {', '.join(DEVICE_TYPES)} at the start "
                               f"of the device string, got {type!r}")
        if number:
            if not number.isdigit():
                raise RuntimeError(f"device: invalid device index in {type!r}")
            index = int(number)
        self.type, self.index = name, index

    def __eq__(self, other):
        return str(self) == str(other)

    def __hash__(self):
        return hash(str(self))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type='{self.type}'{index})"


builtins_type = type


def is_device_like(value):
    """A device, a device string, or an object with a string `.type` (a torch.device); not a
    dtype (NumPy dtypes have a `.type` too, but it is a class)."""
    if isinstance(value, (device, str)):
        return isinstance(value, device) or value.partition(":")[0] in DEVICE_TYPES
    return isinstance(getattr(value, "type", None), str)


def check_device(where, name):
    """Accept the CPU (as a string, a device or a torch.device); refuse anything else clearly."""
    if where is None:
        return
    if isinstance(where, int) and not isinstance(where, bool):
        raise RuntimeError(f"{name}: device {where} is an accelerator's number, but chainrule "
                           "computes on the CPU only; use device='cpu'")
    try:
        place = device(where)
    except (TypeError, RuntimeError) as error:
        raise builtins_type(error)(f"{name}: {error}") from None
    if place.type != "cpu":
        raise RuntimeError(f"{name}: chainrule computes on the CPU only, got device "
                           f"{str(place)!r}; use device='cpu' (a GPU backend is future work)")


FLOATING_DTYPES = "float16, bfloat16, float32 or float64"


def check_floating(name, dtype, what, error=RuntimeError):
    """The one floating-point dtype check, worded once, for what must hold real numbers:
    parameters, tensors that require grad, random draws. `dtype` is an array dtype (anything
    with a NumPy `.kind`: callers resolve torch's and Python's spellings first); `what` names
    what needs it; `error` is the type torch raises there (TypeError for Module.to)."""
    if getattr(dtype, "kind", None) != "f":
        raise error(f"{name}: {what} need a floating-point dtype ({FLOATING_DTYPES}), got "
                    f"{dtype}")


class _Setting:
    """A named constant torch programs pass (layout=strided, memory_format=...), accepted as
    harmless: NumPy arrays are strided and chainrule does not reorder memory."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"chainrule.{self.name}"


strided = _Setting("strided")
contiguous_format = _Setting("contiguous_format")
preserve_format = _Setting("preserve_format")
channels_last = _Setting("channels_last")
channels_last_3d = _Setting("channels_last_3d")
MEMORY_FORMATS = (contiguous_format, preserve_format, channels_last, channels_last_3d)


def check_placement(name, device=None, layout=None, pin_memory=False, memory_format=None):
    """The keywords torch's creation functions take besides dtype: the CPU, the strided layout,
    any memory format (values are the same whatever the order in memory), no pinned memory."""
    check_device(device, name)
    if layout is not None and layout is not strided and str(layout) != "torch.strided":
        raise RuntimeError(f"{name}: only layout=strided exists in chainrule, got {layout!r}")
    if memory_format is not None and memory_format not in MEMORY_FORMATS and \
            not str(memory_format).startswith("torch."):
        raise TypeError(f"{name}: memory_format must be one of {MEMORY_FORMATS}, "
                        f"got {memory_format!r}")
    if pin_memory:
        raise RuntimeError(f"{name}: pin_memory=True needs an accelerator, and chainrule computes "
                           "on the CPU only; leave pin_memory=False")


_settings = {"num_threads": None, "deterministic": False, "warn_only": False}


def set_num_threads(count):
    """Recorded for get_num_threads; NumPy's BLAS fixes its thread pool when it loads, so set
    OMP_NUM_THREADS before starting Python to change it."""
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"set_num_threads: expected a positive int, got {count!r}")
    _settings["num_threads"] = count


def get_num_threads():
    import os
    if _settings["num_threads"]:
        return _settings["num_threads"]
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def use_deterministic_algorithms(mode, *, warn_only=False):
    """Recorded only: every chainrule op on the CPU is already deterministic."""
    _settings["deterministic"], _settings["warn_only"] = bool(mode), bool(warn_only)


def are_deterministic_algorithms_enabled():
    return _settings["deterministic"]


def set_default_device(device):
    """The device creation functions use when given none: the CPU (or None), nothing else."""
    check_device(device, "set_default_device")


def get_default_device():
    return device("cpu")


_MATMUL_PRECISIONS = ("highest", "high", "medium")


def set_float32_matmul_precision(precision):
    """Recorded for get_float32_matmul_precision only: NumPy multiplies float32 matrices in full
    float32 precision ('highest') whatever is asked; TF32 and bfloat16 passes are GPU features."""
    if precision not in _MATMUL_PRECISIONS:
        raise ValueError(f"set_float32_matmul_precision: expected one of 'highest', 'high' or "
                         f"'medium', got {precision!r}")
    _settings["matmul_precision"] = precision


def get_float32_matmul_precision():
    return _settings.get("matmul_precision", "highest")


def set_warn_always(b):
    """Recorded for is_warn_always_enabled; chainrule's own once-only warnings stay once-only."""
    _settings["warn_always"] = bool(b)


def is_warn_always_enabled():
    return _settings.get("warn_always", False)


def set_flush_denormal(mode):
    """Flush denormal numbers to zero in this thread's arithmetic (mode=True), or stop (False),
    as torch.set_flush_denormal. Returns True where the CPU's control register can be set (x86
    and ARM64 under glibc), else False and nothing changes (torch answers False then too).

    Numerical effect: a result below the smallest normal number (float32 1.2e-38, float64
    2.2e-308) becomes ±0 (x86 FTZ, ARM FZ), and such a number read as an operand counts as 0 (x86
    DAZ, set where the CPU has SSE4.1). Speed: x86 takes a microcode assist, ~50x slower, for
    each denormal operand or result. Only the calling thread changes (as torch): BLAS's worker
    threads keep their own setting. The optimizers' steps flush on their own (Optimizer).
    """
    control = _flush_control()
    if control is None:
        return False
    try:
        control.set(control.flushing(mode))
    except PermissionError:   # an audit hook refusing native calls: nothing changed
        return False
    return True


class flushing_denormals:
    """Within the block, this thread flushes denormals to zero (as set_flush_denormal(True));
    the mode before it is restored after. Where flushing is impossible, it changes nothing."""
    __slots__ = ("saved",)

    def __enter__(self):
        control = _flush_control()
        self.saved = None
        if control is not None:
            try:
                saved = control.get()
                control.set(control.flushing(True, saved))
                self.saved = saved
            except PermissionError:   # an audit hook refusing native calls (a graded lab's
                pass                  # kernel): the block runs unflushed, as on other CPUs
        return self

    def __exit__(self, *exception):
        if self.saved is not None:
            _FLUSH["control"].set(self.saved)


# The CPU's floating-point control register, per thread: SSE's MXCSR on x86 (FTZ, bit 15: flush
# results; DAZ, bit 6: read operands as zero), FPCR on ARM64 (FZ, bit 24). NumPy and Python have
# no call for it; C's fegetmode/fesetmode (glibc >= 2.25) read and write it, through ctypes.
_FLUSH = {}
_X86, _ARM64 = ("x86_64", "amd64", "i386", "i686"), ("aarch64", "arm64")


class _FlushControl:
    """Reads and writes the register as a whole femode_t (on x86 it holds the x87 control word
    too, which fesetmode writes back as given), a new one per call: threads never share one."""

    def __init__(self, get, put, mode_type, bits):
        self.get_mode, self.put_mode, self.mode_type, self.bits = get, put, mode_type, bits

    def get(self):
        mode = self.mode_type()
        self.get_mode(ctypes.byref(mode))
        return mode

    def set(self, mode):
        self.put_mode(ctypes.byref(mode))

    def flushing(self, on, mode=None):
        """The mode (this thread's unless given) with flushing on or off."""
        changed = self.mode_type.from_buffer_copy(self.get() if mode is None else mode)
        changed.register = changed.register | self.bits if on else changed.register & ~self.bits
        return changed


def _flush_control():
    """The control of this machine, found once; None where flushing cannot be set or did not
    take (checked on a float64 product that would be denormal)."""
    if "control" not in _FLUSH:
        control = _find_flush_control()
        if control is not None:
            saved = control.get()
            control.set(control.flushing(True, saved))
            flushed = sys.float_info.min * 0.5 == 0.0   # a product that would be denormal
            control.set(saved)
            control = control if flushed else None
        _FLUSH["control"] = control
    return _FLUSH["control"]


def _find_flush_control():
    machine = platform.machine().lower()
    if machine in _X86:       # femode_t: x87 control word, reserved, MXCSR
        fields, bits = [("x87", ctypes.c_ushort), ("reserved", ctypes.c_ushort),
                        ("register", ctypes.c_uint)], 0x8000 | (0x0040 if _has_daz() else 0)
    elif machine in _ARM64:   # femode_t: FPCR
        fields, bits = [("register", ctypes.c_uint)], 1 << 24
    else:
        return None
    mode_type = type("femode_t", (ctypes.Structure,), {"_fields_": fields})
    try:
        libm = ctypes.CDLL("libm.so.6")
        get, put = libm.fegetmode, libm.fesetmode
    except (OSError, AttributeError):   # not glibc (macOS, Windows, musl) or older than 2.25
        return None
    get.argtypes = put.argtypes = [ctypes.c_void_p]
    return _FlushControl(get, put, mode_type, bits)


def _has_daz():
    """Setting DAZ on a CPU without it faults (some early SSE2 processors); every CPU with SSE4.1
    has it. (Intel's SDM, vol. 1, "Checking for the DAZ flag": read MXCSR_MASK through FXSAVE,
    which Python cannot do.)"""
    try:
        with open("/proc/cpuinfo") as info:
            return any(line.startswith("flags") and " sse4_1" in line for line in info)
    except OSError:
        return False

