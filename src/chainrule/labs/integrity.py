"""What a test cell relies on, recorded before any answer runs and compared before every test:
the checks and everything they lean on (chainrule.labs.checks, NumPy, math, builtins, chainrule's
functions and Tensor's methods, the modules in sys.modules), the functions and classes the lab's
own cells defined, and the parts of IPython that run a cell and report its error."""
import builtins
import sys
import types

GUARDED_MODULES = ("builtins", "math", "numpy", "numpy.testing", "chainrule",
                   "chainrule.tensor", "chainrule.labs.checks", "chainrule.labs.guard",
                   "chainrule.labs.integrity")
GUARDED_CLASSES = (("chainrule.tensor", "Tensor"),)
_DATA = (int, float, complex, str, bytes, bool, type(None), tuple, list, dict, set, frozenset)
# IPython's last results, and what IPython and ipykernel swap into builtins around every cell.
_IGNORED = {("builtins", name) for name in ("_", "__", "___", "input", "get_ipython", "exit",
                                            "quit", "display")}
# The shell's methods that run a cell or report its error: replacing one could hide a failure.
SHELL_METHODS = ("run_cell", "run_cell_async", "_run_cell", "run_code", "run_ast_nodes",
                 "transform_cell", "transform_ast", "showtraceback", "_showtraceback",
                 "showsyntaxerror", "get_exception_only", "should_run_async")
_MISSING = object()


class Tampering(RuntimeError):
    """Raised in the kernel when something a check relies on was replaced."""


class Snapshot:
    """The record, taken when the grader arms the kernel, and its comparison with the present."""

    def __init__(self):
        self.modules = {name: sys.modules[name] for name in GUARDED_MODULES
                        if name in sys.modules}
        self.guarded = [entry for name, module in self.modules.items()
                        for entry in _callables(name, vars(module))]
        for module_name, class_name in GUARDED_CLASSES:
            cls = getattr(sys.modules.get(module_name), class_name, None)
            if cls is not None:
                self.guarded.extend(_callables(f"{module_name}.{class_name}", vars(cls)))
        self.frozen = {id(value) for *_, value in self.guarded}   # no attribute may be set
        self.kept = []   # what frozen names by id, kept alive so that no id is reused
        shell = getattr(builtins, "get_ipython", lambda: None)()
        self.shell = shell
        self.shell_state = _shell_state(shell) if shell is not None else None
        self.protected = {}   # name -> what a lab cell bound it to
        self.running = None   # the namespace's ids as a lab cell started

    def namespace(self):
        return self.shell.user_ns if self.shell is not None else {}

    def lab_cell_starts(self):
        if self.running is None:
            self.running = {name: id(value) for name, value in self.namespace().items()}

    def lab_cell_ended(self):
        """The functions, classes and modules (`math`, `np` ...) the lab's cell just run bound
        become protected (a name it bound to anything else is no longer: a lab may reuse its
        names)."""
        if self.running is None:
            return
        before, self.running = self.running, None
        for name, value in self.namespace().items():
            if before.get(name) == id(value):
                continue
            if isinstance(value, (types.FunctionType, type, types.ModuleType)) and (
                    not name.startswith("_")):
                self.protected[name] = value
                self.frozen.add(id(value))
                self.kept.append(value)
            else:
                self.protected.pop(name, None)

    def verify(self):
        """Raise Tampering naming the first helper, module or kernel part found replaced."""
        self.lab_cell_ended()
        for name, module in self.modules.items():
            if sys.modules.get(name) is not module:
                raise Tampering(f"the module {name} was replaced in sys.modules")
        for owner, namespace, name, value in self.guarded:
            if namespace.get(name, _MISSING) is not value:
                raise Tampering(f"{owner}.{name} was replaced or deleted")
        namespace = self.namespace()
        checks = self.modules.get("chainrule.labs.checks")
        for name in getattr(checks, "__all__", ()):   # bound afresh atop every test cell
            if name in namespace and namespace[name] is not vars(checks)[name]:
                raise Tampering(f"{name} was redefined in the notebook")
        for name, value in self.protected.items():
            if namespace.get(name, _MISSING) is not value:
                raise Tampering(f"{name}, which the lab's own cells define, was redefined or "
                                "deleted; give your own functions other names")
        self.check_shell()

    def check_shell(self):
        if self.shell_state is None:
            return
        now = _shell_state(self.shell)
        for part, value in self.shell_state.items():
            if now[part] != value:
                raise Tampering(f"the kernel's {part} were changed")


def _callables(owner, namespace):
    """(owner, namespace, name, value) for the functions, classes and modules in namespace."""
    return [(owner, namespace, key, value) for key, value in list(namespace.items())
            if not isinstance(value, _DATA) and (owner, key) not in _IGNORED
            and (callable(value) or isinstance(value, (property, staticmethod, classmethod))
                 or type(value).__name__ == "module")]


def _shell_state(shell):
    """What a submission could change in IPython to hide a failing check."""
    manager = shell.input_transformer_manager
    transformers = (shell.input_transformers_post, manager.cleanup_transforms,
                    manager.line_transforms, getattr(manager, "token_transformers", []))
    return {
        "custom exception handlers": tuple(shell.custom_exceptions),
        "input transformers": tuple(id(t) for group in transformers for t in group),
        "AST transformers": tuple(map(id, shell.ast_transformers)),
        "methods": tuple((id(vars(shell).get(name)), id(getattr(type(shell), name, None)))
                         for name in SHELL_METHODS),
        "display hooks": (id(type(shell)), id(shell.displayhook), id(shell.display_pub),
                          id(shell.InteractiveTB)),
    }
