"""Tensor: an array, the gradient it receives, and the Function that made it (None for a leaf).

Tensor is the second layer: this module imports only the bottom one (backend, grad mode,
placement, size, printing). The methods that need a layer above are bound onto the class by the
layer that defines them, once, when that layer is imported:

- here: what a tensor is (shape, dtype, size ...), leaving the graph (numpy, item, detach),
  gradients (grad, requires_grad_, retain_grad, register_hook), the in-place machinery
  (`_update`) and the in-place updates written with it (add_, mul_, copy_, fill_ ...);
- chainrule.creation (its TENSOR_METHODS): new_tensor, new_zeros, new_ones, new_empty,
  new_full, new, multinomial, and the random fills uniform_ and normal_;
- chainrule.autograd (its TENSOR_METHODS): backward;
- chainrule.ops (bind_tensor_methods, each family's TENSOR_METHODS): arithmetic and operators,
  shape, indexing (`t[i]` and `t[i] = v`), reductions, casts (`to`), the other in-place ops ...;
- chainrule.linalg (its TENSOR_METHODS): norm (torch.norm's any-p form), logdet, pinverse,
  cholesky_solve, cholesky_inverse; chainrule.special (its TENSOR_METHODS): logit, xlogy,
  sinc, mvlgamma.
"""
import weakref

from chainrule import backend
from chainrule.grad_mode import state, no_grad
from chainrule.backend import xp
from chainrule.placement import check_device, check_floating
from chainrule.printing import format_array
from chainrule.size import Size, as_size, normalize_dim


class Tensor:
    # _grad_accumulator: a leaf's weak reference to its AccumulateGrad node, set when an op first
    # uses it (autograd.function.grad_accumulator; left unset until then)
    # _requires_grad: the flag behind the requires_grad property, read and written directly by the
    # hot paths (Function.apply, _make, the engine), which need no checks
    # _post_accumulate_hooks: a leaf's, set by register_post_accumulate_grad_hook only
    __slots__ = ("array", "_requires_grad", "_grad", "grad_fn", "_version", "_hooks",
                 "_grad_accumulator", "_post_accumulate_hooks", "__weakref__")
    __array_priority__ = 1000   # `ndarray + tensor` calls Tensor.__radd__, not NumPy's loop
    __hash__ = object.__hash__  # identity, as in PyTorch (== is elementwise)

    def __init__(self, *args, dtype=None, requires_grad=False, device=None):
        """Tensor(data) copies data (NumPy arrays and tensors keep their dtype; Python lists and
        numbers become float32, as torch.Tensor makes them). torch's legacy forms Tensor(),
        Tensor(2, 3) and Tensor(Size) give zeros of that size (torch leaves them uninitialised),
        as old programs do in `nn.Parameter(torch.Tensor(out, in))` before initialising."""
        check_device(device, "Tensor")
        if _are_sizes(args):
            dtype = dtype or backend.default_float
            data = xp.zeros(_legacy_shape(args), dtype=backend.to_dtype(dtype))
        elif len(args) == 1:
            data = args[0]
            if dtype is None and not isinstance(data, (Tensor, backend.ndarray, backend.generic)):
                dtype = backend.default_float
        else:
            raise TypeError(f"Tensor: expected data or sizes (ints), got "
                            f"{tuple(type(a).__name__ for a in args)}; to choose a dtype use "
                            "chainrule.tensor(data, dtype=...)")
        self.array = backend.as_array(data.array if isinstance(data, Tensor) else data, dtype)
        self._grad = None
        self.grad_fn = None
        # [version, weak references to the tensors sharing this memory...]: one list for all
        # views of the same memory (see share_memory); the version is bumped by in-place changes
        self._version = [0]
        self._hooks = None
        self._requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _make(array, grad_fn=None):
        """The fast constructor the ops use: no conversion, no checks."""
        t = _new(Tensor)
        # NumPy turns 0-d results into scalars; a tensor always holds an array (writable in place)
        t.array = array if type(array) is xp.ndarray else xp.asarray(array)
        t._grad = None
        t.grad_fn = grad_fn
        t._requires_grad = grad_fn is not None
        t._version = [0]
        t._hooks = None
        return t

    # ----- what it is ---------------------------------------------------------------------------
    @property
    def shape(self):
        """The sizes of the dimensions, as a chainrule.Size."""
        return as_size(self.array.shape)

    @property
    def ndim(self):
        return self.array.ndim

    @property
    def dtype(self):
        """A chainrule dtype, with torch's attributes (is_floating_point, itemsize ...)."""
        return backend.wrap_dtype(self.array.dtype)

    @property
    def is_leaf(self):
        return self.grad_fn is None

    @property
    def device(self):
        return backend.device("cpu")

    is_cuda = is_xpu = is_mps = is_meta = is_sparse = is_quantized = False   # the CPU only

    def size(self, dim=None):
        if dim is None:
            return as_size(self.array.shape)
        return self.array.shape[normalize_dim("size", dim, self.array.shape)]

    def dim(self):
        return self.array.ndim

    def numel(self):
        return self.array.size

    nelement = numel

    def is_floating_point(self):
        return self.array.dtype.kind == "f"

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    # ----- leaving the graph ----------------------------------------------------------------------
    def numpy(self):
        if self.requires_grad:
            raise RuntimeError("numpy(): this tensor requires grad; call tensor.detach().numpy()")
        return self.array

    def __array__(self, dtype=None, copy=None):
        # np.asarray(t), as torch allows it: the data of a tensor outside the graph
        array = self.numpy()
        if dtype is not None and array.dtype != dtype:
            return array.astype(dtype)
        return array.copy() if copy else array

    def item(self):
        if self.array.size != 1:
            raise ValueError(f"item(): only a tensor with one element can be converted to a "
                             f"Python scalar, got shape {self.shape}")
        return self.array.item()

    def tolist(self):
        return self.array.tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.array.dtype.kind not in "iu":
            raise TypeError(f"only integer tensors can be used as an index, got {self.dtype}")
        return int(self.item())

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.array.item())

    def __format__(self, spec):
        if self.array.ndim == 0:
            return format(self.array.item(), spec)
        return format(repr(self), spec)

    def __repr__(self):
        body = format_array(self.array, prefix="tensor(")
        extras = ""
        if self.array.dtype not in (backend.default_float, backend.int64, backend.bool_):
            extras += f", dtype={self.array.dtype}"
        if self.grad_fn is not None:
            extras += f", grad_fn=<{type(self.grad_fn).__name__}Backward>"
        elif self.requires_grad:
            extras += ", requires_grad=True"
        return f"tensor({body}{extras})"

    def detach(self):
        """The same memory without history; in-place changes to it are seen by the graph's
        checks."""
        t = Tensor._make(self.array)
        share_memory(self, t)
        return t

    def detach_(self):
        self.grad_fn = None
        self._requires_grad = False
        return self

    @property
    def data(self):
        return self.detach()

    @data.setter
    def data(self, value):
        self.array = value.array if isinstance(value, Tensor) else backend.as_array(value)

    @property
    def requires_grad(self):
        """Whether gradients flow to this tensor: set on a leaf (requires_grad_, or assigned as
        `x.requires_grad = True`), and on every result of an op recorded from one."""
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, requires_grad):
        # torch's assignment is stricter than requires_grad_: a bool, and a leaf's flag only
        # (a computed tensor's flag is its graph's, even when set to the value it has)
        if type(requires_grad) is not bool:
            raise RuntimeError(f"requires_grad: must be a bool, got {type(requires_grad).__name__} "
                               f"{requires_grad!r}")
        if self.grad_fn is not None:
            raise RuntimeError("requires_grad: " + _LEAF_ONLY
                               + ("" if requires_grad else _USE_DETACH))
        self.requires_grad_(requires_grad)

    def requires_grad_(self, requires_grad=True):
        if requires_grad:
            check_floating("requires_grad_", self.array.dtype, "tensors that require grad")
        elif self.grad_fn is not None:
            raise RuntimeError("requires_grad_(False): " + _LEAF_ONLY + _USE_DETACH)
        self._requires_grad = bool(requires_grad)
        return self

    # ----- gradients ------------------------------------------------------------------------------
    @property
    def grad(self):
        return self._grad

    @grad.setter
    def grad(self, value):
        """A gradient must be a Tensor of this tensor's shape and dtype (or None), as in torch:
        a wrong one is refused here, not at the optimizer step that would misuse it."""
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value.array.shape != self.array.shape:
                raise RuntimeError(f"assigned grad has data of a different size: a gradient of "
                                   f"shape {value.shape} for a tensor of shape {self.shape}")
            if value.array.dtype != self.array.dtype:
                raise RuntimeError(f"assigned grad has data of a different type: a {value.dtype} "
                                   f"gradient for a {self.dtype} tensor of shape {self.shape}")
        self._grad = value

    @property
    def retains_grad(self):
        return self.grad_fn is not None and self.grad_fn.retained is not None

    def retain_grad(self):
        """Keep the gradient of this non-leaf tensor in .grad after backward."""
        if self.grad_fn is None:
            if not self.requires_grad:
                raise RuntimeError("retain_grad: this tensor does not require grad")
            return
        self.grad_fn.retained = weakref.ref(self)

    def register_hook(self, hook):
        """Call hook(grad) when this tensor's gradient is computed; a non-None result replaces
        it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: cannot register a hook on a tensor that does not "
                               "require grad")
        owner = self.grad_fn if self.grad_fn is not None else self
        if owner._hooks is None:
            owner._hooks = []
        owner._hooks.append(hook)
        return _RemovableHandle(owner._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """Call hook(self) each time backward has added into this leaf's .grad (during the pass,
        once the leaf's gradient is complete)."""
        if self.grad_fn is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: post accumulate grad hooks "
                               "cannot be registered on non-leaf tensors")
        if not self.requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook: cannot register a hook on a "
                               "tensor that does not require grad")
        hooks = getattr(self, "_post_accumulate_hooks", None)
        if hooks is None:
            hooks = self._post_accumulate_hooks = []
            weakref.finalize(self, _forget_post_accumulate_hooks, hooks)   # uncounted at death
        hooks.append(hook)
        post_accumulate_hooks[0] += 1
        return _RemovableHandle(hooks, hook, post_accumulate_hooks)

    # ----- in-place updates ---------------------------------------------------------------------
    def _update(self, name, compute, *args):
        """Replace this tensor's value by compute(old value, *args), recording it if a graph
        needs it.

        Unrecorded (no_grad, or nothing requires grad): the result is written into the existing
        array, so views and optimizer state see it. Recorded: the tensor is rebound to the result's
        array and node, so the old value that earlier nodes saved stays intact.
        """
        if state.enabled and self._requires_grad and self.grad_fn is None:
            raise RuntimeError(f"{name}: a leaf tensor that requires grad (shape {self.shape}) "
                               "cannot be changed in place while recording; wrap the update in "
                               "`with chainrule.no_grad():`")
        if state.enabled:
            alias = Tensor._make(self.array)
            alias._version, alias.grad_fn = self._version, self.grad_fn
            alias._requires_grad = self._requires_grad
            new = compute(alias, *args)
            if new._requires_grad:
                _check_update(name, self, new)
                _check_not_a_view(name, self)
                if new.array.dtype != self.array.dtype:
                    _check_cast(name, self, new)
                    new = new.to(self.array.dtype)
                self.array, self.grad_fn, self._requires_grad = new.array, new.grad_fn, True
                self._version = [self._version[0] + 1]  # nodes holding `self` will see the change
                return self
        else:
            new = compute(self, *args)
        _check_update(name, self, new)
        _check_cast(name, self, new)
        try:
            xp.copyto(self.array, new.array, casting="same_kind")
        except ValueError as error:   # a read-only (broadcast) array
            raise RuntimeError(f"{name}: cannot write into this tensor of shape {self.shape}: "
                               f"{error}") from None
        self._version[0] += 1
        return self

    def add_(self, other, alpha=1):
        return self._update("add_", _added, other, alpha)

    def sub_(self, other, alpha=1):
        return self._update("sub_", _subtracted, other, alpha)

    def mul_(self, other):
        return self._update("mul_", _multiplied, other)

    def div_(self, other):
        return self._update("div_", _divided, other)

    def clamp_(self, min=None, max=None):
        return self._update("clamp_", _clamped, min, max)

    def copy_(self, source):
        source = source if isinstance(source, Tensor) else Tensor(source)
        small, big = tuple(source.shape), tuple(self.shape)
        if len(small) > len(big) or any(s not in (1, b) for s, b in zip(small[::-1], big[::-1])):
            raise RuntimeError(f"copy_: the source of shape {small} cannot be broadcast to this "
                               f"tensor's shape {big}")
        return self._update("copy_", _copied, source)

    def fill_(self, value):
        if isinstance(value, (str, bytes)) or value is None:
            raise TypeError(f"fill_: expected a number or a 0-d tensor as the value, got "
                            f"{type(value).__name__} {value!r}")
        check_overwrite("fill_", self)
        with no_grad():
            self.array[...] = value.array if isinstance(value, Tensor) else value
        self._version[0] += 1
        return self

    def zero_(self):
        return self.fill_(0)

    __iadd__ = add_
    __isub__ = sub_
    __imul__ = mul_
    __itruediv__ = div_

    def cpu(self, memory_format=None):
        return self

    def cuda(self, device=None, non_blocking=False, memory_format=None):
        check_device("cuda" if device is None else device, "Tensor.cuda")
        return self


def is_tensor(obj):
    """True for a Tensor (a Parameter too), as torch.is_tensor."""
    return isinstance(obj, Tensor)


def numel(input):
    """The number of elements of a tensor, as torch.numel."""
    if not isinstance(input, Tensor):
        raise TypeError(f"numel(): argument 'input' must be Tensor, not {type(input).__name__}")
    return input.array.size


# ----- what the in-place updates compute (named, so that a traceback says which) -------------
def _added(t, other, alpha):
    return t + other * alpha if alpha != 1 else t + other


def _subtracted(t, other, alpha):
    return t - other * alpha if alpha != 1 else t - other


def _multiplied(t, other):
    return t * other


def _divided(t, other):
    return t / other


def _clamped(t, min, max):
    return t.clamp(min, max)


def _copied(t, source):
    return source.to(t.dtype).expand(t.shape)


class _RemovableHandle:
    def __init__(self, hooks, hook, count=None):
        self.hooks, self.hook, self.count = hooks, hook, count

    def remove(self):
        # once, as torch's: a second remove must not take away another registration of the hook
        if self.hooks is not None and self.hook in self.hooks:
            self.hooks.remove(self.hook)
            if self.count is not None:
                self.count[0] -= 1
        self.hooks = None


# How many post-accumulate hooks are registered on live tensors (a one-item list the engine
# reads): while there are none, backward writes every .grad at the end of the pass, as before
post_accumulate_hooks = [0]


def _forget_post_accumulate_hooks(hooks):
    """A tensor with post-accumulate hooks is gone: its hooks no longer count."""
    post_accumulate_hooks[0] -= len(hooks)
    hooks.clear()


_new = object.__new__

# torch's words for changing the flag of a computed tensor
_LEAF_ONLY = "you can only change requires_grad flags of leaf variables."
_USE_DETACH = (" If you want to use a computed variable in a subgraph that doesn't require "
               "differentiation use var_no_grad = var.detach().")


def _are_sizes(args):
    """Tensor(), Tensor(2, 3), Tensor(Size([2, 3])): sizes, not data (Python ints, not bools)."""
    if len(args) == 1 and isinstance(args[0], Size):
        return True
    return all(type(a) is int for a in args)


def _legacy_shape(args):
    if not args:
        return (0,)   # torch.Tensor(): an empty float tensor
    shape = tuple(args[0]) if len(args) == 1 and not isinstance(args[0], int) else args
    if any(size < 0 for size in shape):
        raise RuntimeError(f"Tensor: negative dimension in size {tuple(shape)}")
    return shape


def share_memory(base, view):
    """Record that `view` sees `base`'s memory: one version counter for both, and weak references
    to each, so that an in-place change can tell whether another live tensor would miss it."""
    counter = base._version
    view._version = counter
    if len(counter) == 1:
        counter.append(weakref.ref(base))
    elif len(counter) > 16:  # drop references to tensors that are gone
        counter[1:] = [ref for ref in counter[1:] if ref() is not None]
    counter.append(weakref.ref(view))


def _check_not_a_view(name, t):
    """A recorded in-place change rebinds t to a new array and node. If t is a view of a live
    base, the base would silently miss the change: refuse (PyTorch rewrites the base's history).
    Views of t itself keep the old value and the old history, consistently: nodes that saved them
    still see what they saved (PyTorch would show them the new value)."""
    refs = t._version[1:]
    base = refs[0]() if refs else None
    if base is not None and base is not t:
        raise RuntimeError(
            f"{name}: this tensor (shape {t.shape}) is a view of another live tensor (shape "
            f"{base.shape}) or a detach() of it, which would not see an in-place change recorded "
            "for backward; assign through the base (`base[index] = value`), or clone() first")


def check_overwrite(name, t):
    """An in-place fill of a leaf that requires grad would change it behind autograd's back:
    refused while recording, as in torch (nn.init fills under no_grad)."""
    if t.requires_grad and t.grad_fn is None and state.enabled:
        raise RuntimeError(f"{name}: a leaf tensor that requires grad (shape {t.shape}) cannot "
                           "be changed in place while recording; wrap it in "
                           "`with chainrule.no_grad():`")


def _check_cast(name, target, new):
    if not xp.can_cast(new.array.dtype, target.array.dtype, casting="same_kind"):
        raise RuntimeError(f"{name}: cannot write a {new.dtype} result into a {target.dtype} "
                           f"tensor of shape {target.shape}")


def _check_update(name, target, new):
    if new.shape != target.shape:
        raise RuntimeError(f"{name}: the result has shape {new.shape} but the tensor being "
                           f"updated has shape {target.shape}; in-place updates cannot change "
                           "the shape")
