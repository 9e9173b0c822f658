"""Module: the base class of every layer and model: parameters, buffers, submodules, modes and
state dicts, with PyTorch's names, orders and messages."""
import contextlib
import threading
from collections import OrderedDict, namedtuple
from collections.abc import Mapping

from chainrule import backend
from chainrule.autograd.function import NotATensorError, not_a_tensor_message, type_name
from chainrule.grad_mode import no_grad
from chainrule.backend import xp
from chainrule.nn.parameter import Parameter
from chainrule.placement import check_device, check_floating
from chainrule.tensor import Tensor, _RemovableHandle


class IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What load_state_dict returns: the names it did not find, and those it did not expect."""

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()


class Module:
    """Subclass it, create parameters and submodules in __init__, compute in forward."""

    def __init__(self):
        # object.__setattr__: our own __setattr__ needs these dicts to exist already
        for name, value in (("training", True), ("_parameters", OrderedDict()),
                            ("_buffers", OrderedDict()), ("_non_persistent", set()),
                            ("_modules", OrderedDict()), ("_forward_pre_hooks", []),
                            ("_forward_hooks", [])):
            object.__setattr__(self, name, value)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  '"forward" function')

    def __call__(self, *args, **kwargs):
        try:   # free until an error is raised
            if self._forward_pre_hooks or self._forward_hooks:
                return self._call_with_hooks(args, kwargs)
            return self.forward(*args, **kwargs)  # the hot path: nothing else on every step
        except Exception as error:
            _blame_non_tensor_input(self, args, error)
            raise

    def _call_with_hooks(self, args, kwargs):
        for hook in list(self._forward_pre_hooks):
            replaced = hook(self, args)
            if replaced is not None:
                args = replaced if isinstance(replaced, tuple) else (replaced,)
        result = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks):
            replaced = hook(self, args, result)
            if replaced is not None:
                result = replaced
        return result

    def register_forward_pre_hook(self, hook):
        """hook(module, args) before each forward; a non-None result replaces the args."""
        self._forward_pre_hooks.append(hook)
        return _RemovableHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook):
        """hook(module, args, output) after each forward; a non-None result replaces output."""
        self._forward_hooks.append(hook)
        return _RemovableHandle(self._forward_hooks, hook)

    # ----- registration ---------------------------------------------------------------------------
    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if isinstance(value, (Parameter, Module)) and params is None:
            raise AttributeError(f"cannot assign {name!r} before Module.__init__(); call "
                                 f"super().__init__() first in {type(self).__name__}")
        if isinstance(value, Parameter):
            self._remove(name, keep="_parameters")
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._remove(name, keep="_modules")
            self.add_module(name, value)
        elif params is not None and name in params:
            _expect(value is None, name, value, "parameter", "Parameter or None")
            params[name] = None
        elif params is not None and name in self._modules:
            _expect(value is None, name, value, "child module", "Module or None")
            self._modules[name] = None
        elif params is not None and name in self._buffers:
            _expect(value is None or isinstance(value, Tensor), name, value, "buffer",
                    "Tensor or None")
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # called only when normal lookup fails: parameters, buffers and submodules live in dicts
        for store in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(store)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                self._non_persistent.discard(name)
                return
        object.__delattr__(self, name)

    def _remove(self, name, keep):
        """Forget `name` everywhere but in the store it is about to be registered in."""
        self.__dict__.pop(name, None)
        for store in ("_parameters", "_buffers", "_modules"):
            if store != keep:
                getattr(self, store).pop(name, None)
        self._non_persistent.discard(name)

    def _check_name(self, kind, name, store):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot register {kind} {name!r} before Module.__init__()")
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if "." in name or name == "":
            raise KeyError(f"{kind} name can't contain \".\" or be empty, got {name!r}")
        if name not in store and hasattr(self, name):
            raise KeyError(f"attribute '{name}' already exists")

    def register_parameter(self, name, param):
        """Add a parameter under `name` (None: a declared parameter that is absent, like bias)."""
        self._check_name("parameter", name, self._parameters)
        _expect(param is None or isinstance(param, Parameter), name, param, "parameter",
                "Parameter or None")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor that belongs to the module's state but is not trained (running statistics);
        persistent=False keeps it out of state_dict."""
        self._check_name("buffer", name, self._buffers)
        _expect(tensor is None or isinstance(tensor, Tensor), name, tensor, "buffer",
                "Tensor or None")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent.discard(name)
        else:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        self._check_name("module", name, self._modules)
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    def get_submodule(self, target):
        """The submodule at a dotted path such as 'encoder.layers.0' ('' is the module itself)."""
        module = self
        for part in target.split(".") if target else ():
            if part not in module._modules or module._modules[part] is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r} "
                                     f"(looking up {target!r})")
            module = module._modules[part]
        return module

    def get_parameter(self, target):
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter {name!r}")
        return module._parameters[name]

    # ----- traversal ------------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(name, module) for this module and every submodule, depth first, each once."""
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name,
                                               remove_duplicate)

    def modules(self):
        return (module for _, module in self.named_modules())

    def named_children(self):
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        return (child for _, child in self.named_children())

    def _named(self, store, prefix, recurse, remove_duplicate):
        seen = set()
        modules = (self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
                   if recurse else [(prefix, self)])
        for module_prefix, module in modules:
            for name, value in getattr(module, store).items():
                if value is None or id(value) in seen:
                    continue
                if remove_duplicate:
                    seen.add(id(value))   # shared (tied) tensors are listed once, as in torch
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    def apply(self, fn):
        """Call fn on every submodule (children first), then on this module; e.g. custom init."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----- modes and gradients --------------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode here and, through each child's own train(), below."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode must be a bool, got {type(mode).__name__}")
        self.training = mode
        with _visiting("train", self):
            for child in self.children():
                child.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                if p.grad.requires_grad:  # a gradient built with create_graph: leave its graph
                    p.grad = p.grad.detach()
                p.grad.zero_()

    # ----- dtypes and devices ---------------------------------------------------------------------
    def to(self, *args, **kwargs):
        """to(dtype), to(device), to(device, dtype) or to(tensor): floating parameters and buffers
        are converted in place (the same Parameter objects); the only device is the CPU (a
        chainrule.device, a torch.device or a string such as 'cpu' all name it). bfloat16
        rounds the values to bfloat16 precision and keeps float32 storage."""
        name = f"{type(self).__name__}.to"
        dtype, device = kwargs.pop("dtype", None), kwargs.pop("device", None)
        kwargs.pop("non_blocking", None), kwargs.pop("memory_format", None)
        if kwargs:
            raise TypeError(f"{name}: unexpected keyword argument(s) {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, bool) or arg is None:   # to(device, dtype, non_blocking)
                continue
            elif backend.is_device_like(arg) or isinstance(arg, int):
                device = arg
            else:
                dtype = arg
        check_device(device, name)
        if dtype is not None:
            bfloat16 = backend.is_bfloat16(dtype)
            dtype = backend.to_dtype(dtype)
            check_floating(name, dtype, "a module's parameters", TypeError)
            for t in list(self.parameters()) + list(self.buffers()):
                _convert(t, dtype, bfloat16)
        return self

    def float(self):
        return self.to(backend.float32)

    def double(self):
        return self.to(backend.float64)

    def half(self):
        return self.to(backend.float16)

    def bfloat16(self):
        """float32 storage with values rounded to bfloat16 precision (NumPy has no bfloat16)."""
        return self.to(backend.bfloat16)

    def cpu(self):
        return self

    def cuda(self, device=None):
        check_device("cuda", f"{type(self).__name__}.cuda")

    # ----- state --------------------------------------------------------------------------------
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by dotted name, each module's own first, then its
        children's, in registration order; a module shared under two names appears under both,
        as in torch."""
        destination = OrderedDict() if destination is None else destination
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                destination[prefix + name] = b if keep_vars else b.detach()
        with _visiting("state_dict", self, prefix):
            for name, child in self._modules.items():
                if child is not None:
                    child.state_dict(destination, f"{prefix}{name}.", keep_vars)
        return destination

    def load_state_dict(self, state_dict, strict=True):
        """Copy values (chainrule or torch tensors, NumPy arrays) into this module's parameters
        and buffers by name, in place. Shapes must match; with strict=True the names must match
        too. Returns (missing_keys, unexpected_keys); raises RuntimeError listing every problem."""
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"Expected state_dict to be dict-like, got {_type_name(state_dict)}"
                            + _state_dict_hint(state_dict))
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        values, errors = {}, []
        for name, target in own.items():
            if name in state_dict:
                array, problem = _loadable(name, state_dict[name], target)
                if problem:
                    errors.append(problem)
                else:
                    values[name] = array
        if strict and unexpected:
            errors.insert(0, f"Unexpected key(s) in state_dict: {_quoted(unexpected)}. ")
        if strict and missing:
            errors.insert(0, f"Missing key(s) in state_dict: {_quoted(missing)}. ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        with no_grad():
            for name, array in values.items():
                own[name].array[...] = array   # in place: optimizers and views keep seeing it
                own[name]._version[0] += 1
        return IncompatibleKeys(missing, unexpected)

    # ----- printing ----------------------------------------------------------------------------
    def extra_repr(self):
        """The layer's settings, shown inside its repr: override in layers."""
        return ""

    def _get_name(self):
        return type(self).__name__

    def __repr__(self):
        # torch's layout exactly: one line for a leaf with one line of settings, else a block
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _indent(repr(child))
                       for name, child in self._modules.items()]
        lines = extra_lines + child_lines
        if not lines:
            return f"{self._get_name()}()"
        if len(extra_lines) == 1 and not child_lines:
            return f"{self._get_name()}({extra_lines[0]})"
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"


_NOT_TENSORS = (backend.ndarray, xp.generic, list, int, float, complex)


def _blame_non_tensor_input(module, args, error):
    """Called when forward raised: if this layer (one of chainrule's: a user's module may take
    arrays on purpose) got an array, a list or a number where it wants a Tensor, say that, with
    the error it caused attached. The innermost module decides; the ones around it leave it."""
    if getattr(error, "_seen_by_module", False):
        return
    try:
        error._seen_by_module = True
    except AttributeError:   # an exception type with __slots__
        return
    if not type(module).__module__.startswith("chainrule."):
        return
    for position, value in enumerate(args):
        if isinstance(value, _NOT_TENSORS) and not isinstance(value, (Tensor, bool)):
            new = NotATensorError(not_a_tensor_message(module._get_name(), position, value,
                                                       "input"))
            new._seen_by_module = True
            raise new from error


def _loadable(name, value, target):
    """(array, None) for a value that can be copied into target, else (None, the problem)."""
    if isinstance(value, Tensor):
        array = value.array
    elif hasattr(value, "__array__") and hasattr(value, "shape") and hasattr(value, "dtype"):
        # a NumPy array or a torch tensor (detached first: torch refuses numpy() otherwise)
        array = xp.asarray(value.detach() if callable(getattr(value, "detach", None)) else value)
    else:
        return None, (f'While copying the parameter named "{name}", expected a Tensor or an '
                      f"array from checkpoint but received {_type_name(value)}")
    if array.dtype.kind not in "biuf":
        return None, (f'While copying the parameter named "{name}", expected numbers from '
                      f"checkpoint but received an array of dtype {array.dtype}")
    if array.shape != target.shape:
        return None, (f"size mismatch for {name}: copying a param with shape {array.shape} from "
                      f"checkpoint, the shape in current model is {target.shape}.")
    return array, None


def _type_name(value):
    return f"<class '{type_name(value)}'>"   # as torch's message prints a type


def _state_dict_hint(value):
    if isinstance(value, Module):
        return "; pass the module's state_dict() (model.load_state_dict(other.state_dict()))"
    if isinstance(value, (str, bytes)) or hasattr(value, "__fspath__"):
        return "; to load a file, pass chainrule.load(path)"
    return ""


def _indent(text):
    return text.replace("\n", "\n  ")


def _quoted(keys):
    return ", ".join(f'"{k}"' for k in keys)


def _expect(ok, name, value, kind, expected):
    if not ok:
        raise TypeError(f"cannot assign {type(value).__name__} as {kind} {name!r} "
                        f"({expected} expected)")


def _convert(t, dtype, bfloat16=False):
    if not backend.is_floating(t.dtype) or (t.dtype == dtype and not bfloat16):
        return
    convert = backend.round_to_bfloat16 if bfloat16 else (lambda array: array.astype(dtype))
    grad, t.grad = t.grad, None   # the new gradient must match the new dtype
    t.array = convert(t.array)
    if grad is not None:
        t.grad = Tensor._make(convert(grad.array))


_VISITING = threading.local()   # per thread: two threads may walk one model at once


@contextlib.contextmanager
def _visiting(what, module, prefix=""):
    """Mark module as being walked by `what`: meeting it again below means the module tree has a
    cycle, which would otherwise recurse until Python's RecursionError (as in torch)."""
    visiting = _VISITING.__dict__.setdefault("ids", set())
    if id(module) in visiting:
        where = f" (again at '{prefix[:-1]}')" if prefix else ""
        raise RecursionError(f"{what}: {type(module).__name__} contains itself as a submodule"
                             f"{where}; a module tree cannot have cycles: keep a back-reference "
                             f"out of the submodules, e.g. object.__setattr__(self, 'parent', "
                             f"parent)")
    visiting.add(id(module))
    try:
        yield
    finally:
        visiting.discard(id(module))
