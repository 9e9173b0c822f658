"""Containers: modules that hold other modules in order (Sequential, ModuleList) or by name
(ModuleDict), so that the parent sees their parameters."""
import operator
from collections import OrderedDict

from chainrule.nn.module import Module, _indent
from chainrule.nn.parameter import Parameter


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: modules under the keys "0", "1", ... by position."""

    def __setitem__(self, index, module):
        self.add_module(_key(self, index), module)

    def __delitem__(self, index):
        _delete(self, index)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        _insert(self, index, module)
        return self

    def pop(self, index):
        module = self[index]
        del self[index]
        return module


class Sequential(_ModuleSequence):
    """Calls its modules in order, each on the previous one's output.

    Args: modules, or one OrderedDict of name -> module.
    Shape: whatever the first module accepts -> whatever the last one returns.
    """

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for index, module in enumerate(modules):
                self.add_module(str(index), module)

    def forward(self, input):
        for module in self._modules.values():
            input = module(input)
        return input

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(OrderedDict(list(self._modules.items())[index]))
        return self._modules[_key(self, index)]



class ModuleList(_ModuleSequence):
    """A list of modules whose parameters the parent module sees (it has no forward).

    Args: modules, an iterable of modules (optional).
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(list(self._modules.values())[index])
        return self._modules[_key(self, index)]

    def __iadd__(self, modules):
        return self.extend(modules)

    def __add__(self, other):
        return type(self)(list(self) + list(other))

    def __repr__(self):
        # torch compresses runs of identical entries: "(0-2): 3 x Linear(...)"
        reprs = [repr(module) for module in self]
        if not reprs:
            return f"{self._get_name()}()"
        runs = []   # [first index, last index, repr]
        for index, text in enumerate(reprs):
            if runs and runs[-1][2] == text:
                runs[-1][1] = index
            else:
                runs.append([index, index, text])
        lines = [_indent(f"({first}): {text}" if first == last else
                         f"({first}-{last}): {last - first + 1} x {text}")
                 for first, last, text in runs]
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"


class ModuleDict(Module):
    """A dict of modules whose parameters the parent module sees; keeps insertion order.

    Args: modules, a mapping or an iterable of (name, module) pairs (optional).
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __contains__(self, key):
        return key in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key):
        module = self[key]
        del self[key]
        return module

    def clear(self):
        self._modules.clear()

    def update(self, modules):
        items = modules.items() if hasattr(modules, "items") else modules
        for key, module in items:
            self.add_module(key, module)


class ParameterList(Module):
    """A list of Parameters that the parent module sees, under the names "0", "1", ...

    Args: values, an iterable of tensors (each wrapped in a Parameter unless it is one).
    """

    def __init__(self, values=None):
        super().__init__()
        for value in values or ():
            self.append(value)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return type(self)(list(self)[index])
        return self._parameters[_key(self, index)]

    def __setitem__(self, index, value):
        self.register_parameter(_key(self, index), _as_parameter(value))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def append(self, value):
        self.register_parameter(str(len(self)), _as_parameter(value))
        return self

    def extend(self, values):
        for value in values:
            self.append(value)
        return self


class ParameterDict(Module):
    """A dict of Parameters that the parent module sees; keeps insertion order.

    Args: parameters, a mapping or an iterable of (name, tensor) pairs (optional).
    """

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return self._parameters[key]

    def __setitem__(self, key, value):
        self.register_parameter(key, _as_parameter(value))

    def __delitem__(self, key):
        del self._parameters[key]

    def __contains__(self, key):
        return key in self._parameters

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()

    def update(self, parameters):
        """Add or replace entries. A plain dict's keys are added in sorted order, as torch does;
        an OrderedDict, a ParameterDict or a list of pairs keeps its order."""
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            items = parameters.items()
        elif hasattr(parameters, "items"):
            items = sorted(parameters.items())
        else:
            items = parameters
        for key, value in items:
            self[key] = value


def _as_parameter(value):
    return value if isinstance(value, Parameter) or value is None else Parameter(value)


def _key(container, index):
    """The key of entry `index` (negative counts from the end), or IndexError naming the size."""
    index, size = operator.index(index), len(container)
    holds_parameters = isinstance(container, ParameterList)
    if not -size <= index < size:
        raise IndexError(f"{type(container).__name__}: index {index} is out of range for "
                         f"{size} {'parameters' if holds_parameters else 'modules'}")
    return list(container._parameters if holds_parameters else container._modules)[index % size]


def _delete(container, index):
    keys = list(container._modules)[index] if isinstance(index, slice) else [_key(container, index)]
    for key in keys:
        del container._modules[key]
    _renumber(container, list(container._modules.values()))


def _insert(container, index, module):
    items = list(container._modules.values())
    items.insert(index, module)
    _renumber(container, items)


def _renumber(container, modules):
    """As torch does after a deletion or an insertion: keys 0..n-1 again."""
    container._modules.clear()
    for i, module in enumerate(modules):
        container.add_module(str(i), module)
