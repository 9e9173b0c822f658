"""The import hook: while installed, `torch` and `torch.x.y` resolve to chainrule's modules, so a
PyTorch program runs on chainrule without editing its imports.

`torch` itself is a thin module that hands out chainrule's names (plus torch.compile and
torch.jit, which run eagerly); `torch.x.y` is chainrule.x.y itself, or the module named in RENAMED
where the two libraries file things differently; anything else is refused with advice."""
import importlib
import importlib.machinery
import sys
import types

import chainrule
from chainrule.porting import jit, missing

# torch module names whose chainrule counterpart lives under another name. A prefix entry (ending
# in ".") maps every module below it; exact entries win over prefixes.
RENAMED = {
    "torch.jit": "chainrule.porting.jit",
    "torch.nn.modules": "chainrule.nn",
    "torch.nn.modules.": "chainrule.nn.",
    "torch.nn.modules.batchnorm": "chainrule.nn.norm",
    "torch.nn.modules.instancenorm": "chainrule.nn.norm",
    "torch.nn.modules.normalization": "chainrule.nn.norm",
    "torch.nn.modules.pooling": "chainrule.nn.pool",
    "torch.nn.modules.rnn": "chainrule.nn.recurrent",
    "torch.nn.modules.sparse": "chainrule.nn.embedding",
    "torch.autograd.grad_mode": "chainrule.grad_mode",
    "torch.autograd.anomaly_mode": "chainrule.grad_mode",
    "torch.serialization": "chainrule.train.checkpoint",
}

# Names the `torch` module offers beyond chainrule's own (used only where chainrule lacks them).
EXTRAS = {"compile": jit.compile, "jit": jit}

# The torch release whose API chainrule is tested against (the oracle pinned in pyproject.toml).
# `torch.__version__` under the hook reports it, with chainrule's own version as the local part,
# so that a program's `if torch.__version__ >= "2"` takes the path chainrule implements.
TORCH_API_VERSION = "2.13.0"


class TorchModule(types.ModuleType):
    """`torch` under the hook: every attribute is chainrule's, or a clear AttributeError."""

    def __getattr__(self, name):
        if name == "__version__":
            return f"{TORCH_API_VERSION}+chainrule.{chainrule.__version__}"
        if name.startswith("__") and name != "__all__":
            raise AttributeError(name)   # module machinery: this module's own, not chainrule's
        if hasattr(chainrule, name):
            return getattr(chainrule, name)
        if name in EXTRAS:
            return EXTRAS[name]
        raise AttributeError(missing.attribute_message(name))

    def __dir__(self):
        return sorted(set(dir(chainrule)) | set(EXTRAS) | set(self.__dict__))

    def __repr__(self):
        return "<module 'torch' (chainrule, through chainrule.porting)>"


class AliasLoader:
    """Loads `torch.x.y` as an existing chainrule module, leaving that module's own identity
    (its __spec__, and its parent's attributes) as they were."""

    def __init__(self, target, hook):
        self.target, self.hook = target, hook

    def create_module(self, spec):
        parent_name, _, child = spec.name.rpartition(".")
        parent = sys.modules.get(parent_name)
        is_chainrule_module = parent is not None and not isinstance(parent, TorchModule)
        if is_chainrule_module and not hasattr(parent, child):
            # The import system will set `parent.child`; a chainrule module must not keep it.
            self.hook.added_attributes.append((parent, child))
        self.saved_spec = getattr(self.target, "__spec__", None)
        return self.target

    def exec_module(self, module):
        module.__spec__ = self.saved_spec   # the import system overwrote it with ours


class TorchFinder:
    """A sys.meta_path finder for `torch.*` (mapped to chainrule) and the packages built on
    real torch (refused, since they would import it)."""

    def __init__(self, hook):
        self.hook = hook

    def find_spec(self, fullname, path=None, target=None):
        top = fullname.partition(".")[0]
        if top in missing.SIBLINGS:
            raise ModuleNotFoundError(missing.SIBLINGS[top], name=fullname)
        if top != "torch":
            return None
        if fullname == "torch":
            module = self.hook.torch_module
        else:
            module = resolve(fullname)
        return importlib.machinery.ModuleSpec(fullname, AliasLoader(module, self.hook),
                                              is_package=hasattr(module, "__path__"))


def resolve(torch_name):
    """The chainrule module that stands for `torch_name`, or ModuleNotFoundError with advice."""
    candidates = [torch_name.replace("torch", "chainrule", 1)] + _renamed(torch_name)
    for candidate in candidates:
        module = _import_if_present(candidate)
        if module is not None:
            return module
    raise ModuleNotFoundError(missing.submodule_message(torch_name, candidates[0]), name=torch_name)


def _renamed(torch_name):
    if torch_name in RENAMED:
        return [RENAMED[torch_name]]
    for prefix, replacement in RENAMED.items():
        if prefix.endswith(".") and torch_name.startswith(prefix):
            return [replacement + torch_name[len(prefix):]]
    return []


def _import_if_present(name):
    """chainrule's module `name` (also a module object held as an attribute), or None."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        # Only a missing `name` (or a parent of it) means absent; an import failing inside an
        # existing module is a bug to show, not to hide.
        if error.name is None or not (name == error.name or name.startswith(error.name + ".")):
            raise
    parent_name, _, child = name.rpartition(".")
    parent = sys.modules.get(parent_name)
    value = getattr(parent, child, None)
    return value if isinstance(value, types.ModuleType) else None


class Hook:
    """One installation of the hook; a context manager that uninstalls it on exit."""

    def __init__(self, force):
        self.torch_module = _make_torch_module()
        self.finder = TorchFinder(self)
        self.added_attributes = []
        self.set_aside = {name: sys.modules.pop(name) for name in list(sys.modules)
                          if _is_torch_family(name)} if force else {}

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        uninstall()

    def remove(self):
        if self.finder in sys.meta_path:
            sys.meta_path.remove(self.finder)
        for name in [name for name in sys.modules if _is_torch_family(name)]:
            del sys.modules[name]
        for parent, child in self.added_attributes:
            if isinstance(getattr(parent, child, None), types.ModuleType):
                delattr(parent, child)
        sys.modules.update(self.set_aside)


_active = None


def install(force=False):
    """Make `import torch` (and torch.nn, torch.optim, torch.utils.data, ...) load chainrule.

    Refuses when real torch is already imported, since the program would mix the two libraries'
    tensors; with force=True the real torch modules are set aside and put back by uninstall().
    Returns the Hook, a context manager: `with porting.install(): ...` uninstalls on exit."""
    global _active
    if _active is not None:
        raise RuntimeError("chainrule.porting.install: the import hook is already installed; "
                           "call chainrule.porting.uninstall() first")
    loaded = sorted(name for name in sys.modules if _is_torch_family(name))
    if loaded and not force:
        raise RuntimeError(
            f"chainrule.porting.install: PyTorch is already imported in this process "
            f"({', '.join(loaded[:3])}{', ...' if len(loaded) > 3 else ''}), so the program could "
            f"mix real torch tensors with chainrule's. Install the hook before anything imports "
            f"torch (`chainrule run script.py` does), or pass force=True to set the real torch "
            f"aside until uninstall().")
    _active = Hook(force)
    sys.modules["torch"] = _active.torch_module
    sys.meta_path.insert(0, _active.finder)
    return _active


def uninstall():
    """Remove the hook: `torch` names are forgotten, and a real torch set aside comes back.
    Modules loaded under the hook keep the chainrule objects they bound."""
    global _active
    if _active is not None:
        _active.remove()
        _active = None


def is_installed():
    return _active is not None


def _make_torch_module():
    module = TorchModule("torch", "PyTorch's names, served by chainrule (chainrule.porting).")
    module.__path__ = []   # a package, so `import torch.nn` asks the finder for torch.nn
    module.__file__ = chainrule.__file__
    module.__spec__ = importlib.machinery.ModuleSpec("torch", None, is_package=True)
    return module


def _is_torch_family(name):
    top = name.partition(".")[0]
    return top == "torch" or top in missing.SIBLINGS
