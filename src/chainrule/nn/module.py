"""Module: the base class of every layer and model: parameters, buffers, submodules, modes and
state dicts, with PyTorch's names and behaviour."""
from collections import OrderedDict, namedtuple

from chainrule import backend
from chainrule.autograd.mode import no_grad
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Tensor

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Module:
    """Subclass it, create parameters and submodules in __init__, compute in forward."""

    def __init__(self):
        # object.__setattr__: our own __setattr__ needs these dicts to exist already
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", [])

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward()")

    def __call__(self, *args, **kwargs):
        result = self.forward(*args, **kwargs)
        for hook in self._forward_hooks:
            replaced = hook(self, args, result)
            if replaced is not None:
                result = replaced
        return result

    def register_forward_hook(self, hook):
        """hook(module, inputs, output) after each forward; a non-None result replaces output."""
        from chainrule.tensor import _RemovableHandle
        self._forward_hooks.append(hook)
        return _RemovableHandle(self._forward_hooks, hook)

    # ----- registration ---------------------------------------------------------------------------
    def __setattr__(self, name, value):
        params = self.__dict__.get("_parameters")
        if params is None:
            if isinstance(value, (Parameter, Module)):
                raise AttributeError(f"cannot assign {name!r} before Module.__init__(); call "
                                     f"super().__init__() first in {type(self).__name__}")
            object.__setattr__(self, name, value)
        elif isinstance(value, Parameter):
            self._forget(name)
            params[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            self._modules[name] = value
        elif name in params:
            _expect(value is None, name, value, "parameter", "Parameter or None")
            params[name] = None
        elif name in self._modules:
            _expect(value is None, name, value, "child module", "Module or None")
            self._modules[name] = None
        elif name in self._buffers:
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
        if not self._forget(name):
            object.__delattr__(self, name)

    def _forget(self, name):
        found = False
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                found = True
        self._non_persistent.discard(name)
        if name in self.__dict__ and name not in ("_parameters", "_buffers", "_modules"):
            object.__delattr__(self, name)
        return found

    def register_parameter(self, name, param):
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, got "
                            f"{type(param).__name__}")
        self._forget(name)
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor that belongs to the module's state but is not trained (running statistics)."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got "
                            f"{type(tensor).__name__}")
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name, module):
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    # ----- traversal ------------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix=""):
        memo = set() if memo is None else memo
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name)

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

    def _named(self, store, prefix, recurse):
        seen = set()
        modules = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for module_prefix, module in modules:
            for name, value in getattr(module, store).items():
                if value is None or id(value) in seen:
                    continue
                seen.add(id(value))   # shared (tied) tensors are listed once, as in torch
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True):
        return self._named("_parameters", prefix, recurse)

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True):
        return self._named("_buffers", prefix, recurse)

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    def apply(self, fn):
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ----- modes and gradients --------------------------------------------------------------------
    def train(self, mode=True):
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode must be a bool, got {type(mode).__name__}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
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
                p.grad.zero_()

    # ----- dtypes and devices ---------------------------------------------------------------------
    def to(self, *args, dtype=None, **kwargs):
        """to(dtype) converts floating parameters and buffers in place; to('cpu') is a no-op."""
        for arg in list(args) + [kwargs.get("device")]:
            if isinstance(arg, (str, backend.device)):
                backend.check_device(arg, f"{type(self).__name__}.to")
            elif arg is not None:
                dtype = arg
        if dtype is not None:
            dtype = backend.to_dtype(dtype)
            if not backend.is_floating(dtype):
                raise TypeError(f"to: only floating dtypes are allowed for modules, got {dtype}")
            for t in list(self.parameters()) + list(self.buffers()):
                _convert(t, dtype)
        return self

    def float(self):
        return self.to(backend.float32)

    def double(self):
        return self.to(backend.float64)

    def cpu(self):
        return self

    # ----- state --------------------------------------------------------------------------------
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """Parameters and persistent buffers by dotted name, in registration order (torch's)."""
        destination = OrderedDict() if destination is None else destination
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip(".")):
            dot = f"{module_prefix}." if module_prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    destination[dot + name] = p if keep_vars else p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent:
                    destination[dot + name] = b if keep_vars else b.detach()
        return destination

    def load_state_dict(self, state_dict, strict=True):
        """Copy values into this module's parameters and buffers by name; names and shapes must
        match (strict=True: also no missing or unexpected names)."""
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        if strict:
            errors += [f'missing key "{k}"' for k in missing]
            errors += [f'unexpected key "{k}"' for k in unexpected]
        for name, target in own.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            shape = tuple(value.shape)
            if shape != target.shape:
                errors.append(f"size mismatch for {name}: the checkpoint has shape {shape}, "
                              f"the model has shape {target.shape}")
        if errors:
            raise RuntimeError(f"load_state_dict: cannot load into {type(self).__name__}:\n  "
                               + "\n  ".join(errors))
        with no_grad():
            for name, target in own.items():
                if name in state_dict:
                    value = state_dict[name]
                    array = value.array if isinstance(value, Tensor) else backend.as_array(value)
                    target.array[...] = array
                    target._version[0] += 1
        return IncompatibleKeys(missing, unexpected)

    # ----- printing ----------------------------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        lines = [line for line in self.extra_repr().split("\n") if line]
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"({name}): {body}")
        if not lines:
            return f"{type(self).__name__}()"
        if len(lines) == 1 and not self._modules:
            return f"{type(self).__name__}({lines[0]})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(lines) + "\n)"


def _expect(ok, name, value, kind, expected):
    if not ok:
        raise TypeError(f"cannot assign {type(value).__name__} as {kind} {name!r} "
                        f"({expected} expected)")


def _convert(t, dtype):
    if backend.is_floating(t.dtype) and t.dtype != dtype:
        t.array = t.array.astype(dtype)
        if t.grad is not None:
            t.grad = Tensor._make(t.grad.array.astype(dtype))
