"""What a graded submission's kernel may not do, enforced from inside it by an audit hook
(PEP 578), which no code can remove once installed. It refuses:
- writing, renaming, deleting or making files outside the scratch folder;
- starting processes, signalling other processes, and native calls through ctypes (from the
  first cell on, so that the kernel's own start-up is left alone);
- running a test cell after the checking helpers, what they call, the functions and classes the
  lab's own cells defined (reference solutions a hidden test may call), or the kernel's own
  machinery (exception handlers, input transformers, the shell's methods) were replaced.

An audit hook is not a sandbox (PEP 578 says so): a submission that reaches native code by a
route the hook does not see is not stopped. labs/README.md lists what is and is not defended."""
import builtins
import os
import sys

ARM_EVENT = "chainrule.lab.arm"          # raised by the grader's first cell
TEST_MARKER = "# chainrule lab: check"   # on the first line of each test cell, as graded
LAB_MARKER = "# chainrule lab: the lab's own cell"   # on the first line of each locked cell
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
PATH_EVENTS = {   # event -> positions of the paths it changes
    "os.rename": (0, 1), "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,),
    "os.link": (0, 1), "os.symlink": (0, 1), "os.truncate": (0,), "os.chmod": (0,),
    "os.chown": (0,), "os.utime": (0,), "shutil.rmtree": (0,), "shutil.move": (0, 1),
    "os.chflags": (0,), "os.setxattr": (0,), "os.removexattr": (0,),
}
PROCESS_EVENTS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
                  "os.fork", "os.forkpty", "pty.spawn", "os.startfile",
                  "ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function", "ctypes.cdata",
                  "ctypes.addressof", "ctypes.string_at", "ctypes.wstring_at"}
# The helpers of chainrule.labs.checks and everything a check leans on: replacing one of these
# (a module attribute, a class attribute, or the module in sys.modules) fails the next check.
GUARDED_MODULES = ("builtins", "math", "numpy", "numpy.testing", "chainrule",
                   "chainrule.tensor", "chainrule.labs.checks", "chainrule.labs.guard")
GUARDED_CLASSES = (("chainrule.tensor", "Tensor"),)
_DATA = (int, float, complex, str, bytes, bool, type(None), tuple, list, dict, set, frozenset)
# IPython's last results, and what IPython and ipykernel swap into builtins around every cell.
_IGNORED = {("builtins", name) for name in ("_", "__", "___", "input", "get_ipython", "exit",
                                            "quit", "display")}


class Tampering(RuntimeError):
    """Raised in the kernel when something a check relies on was replaced."""


class Guard:
    """The audit hook: one instance per kernel, installed by install()."""

    def __init__(self, scratch):
        self.scratch = os.path.realpath(scratch)
        self.armed = False
        self.guarded = []     # (owner's description, namespace, name, object)
        self.modules = {}     # name -> module object, as sys.modules had it
        self.shell = None     # (the IPython shell, its state) once armed
        self.cells = set()        # the file names IPython compiled cells under
        self.test_files = set()   # ... test cells under
        self.lab_files = set()    # ... the lab's own (locked) cells under
        self.running = None       # (file name, the namespace's ids before) of a lab cell
        self.protected = {}       # name -> what a lab cell bound it to (functions, classes)
        self._inside = False  # the hook's own calls raise events too

    def __call__(self, event, args):
        if self._inside:
            return
        self._inside = True
        try:
            self._on(event, args)
        finally:
            self._inside = False

    def _on(self, event, args):
        if event == "open":
            self._check_open(*args[:3])
        elif event in PATH_EVENTS:
            for position in PATH_EVENTS[event]:
                if position < len(args):
                    self._check_write(args[position], event)
        elif event == ARM_EVENT:
            self.arm()
        elif not self.armed:
            return
        elif event in PROCESS_EVENTS:
            raise PermissionError(f"{event}: a graded submission may not start processes or "
                                  f"call native code")
        elif event in ("os.kill", "os.killpg") and args and args[0] not in (0, os.getpid()):
            raise PermissionError(f"{event}: a graded submission may not signal other processes")
        elif event == "compile" and isinstance(args[0], str):
            self._note_cell(*args[:2])
        elif event == "exec":
            # Checked as a cell's code starts, inside IPython's error handling, so that a failed
            # check shows as the cell's error (raised at compile time, it hangs the kernel).
            self._on_exec(getattr(args[0], "co_filename", None))

    def _note_cell(self, source, filename):
        """Remember the file name a cell is compiled under, and whether it is a test or the lab's.
        (Cells are compiled from text; modules being imported, from bytes.)"""
        if not isinstance(filename, str) or filename.startswith("<"):
            return
        self.cells.add(filename)
        first_line = source.partition("\n")[0]
        if TEST_MARKER in first_line:
            self.test_files.add(filename)
        elif first_line.startswith(LAB_MARKER):
            self.lab_files.add(filename)

    def _on_exec(self, filename):
        if filename not in self.cells:
            return
        if self.running is not None and filename != self.running[0]:
            self._protect_what_the_lab_cell_defined()
        self.check_shell()
        if filename in self.lab_files and self.running is None:
            self.running = (filename, _ids(self._namespace()))
        if filename in self.test_files:
            self.verify()

    def _protect_what_the_lab_cell_defined(self):
        """After a lab cell ran: the functions and classes it bound become protected."""
        before = self.running[1]
        self.running = None
        for name, value in self._namespace().items():
            if before.get(name) != id(value) and (callable(value) and not name.startswith("_")):
                self.protected[name] = value

    def _namespace(self):
        return self.shell[0].user_ns if self.shell is not None else {}

    def _check_open(self, path, mode, flags):
        writes = (mode is not None and any(c in str(mode) for c in "wax+")) or (
            isinstance(flags, int) and flags & WRITE_FLAGS)
        if writes and not isinstance(path, int):
            self._check_write(path, "open")

    def _check_write(self, path, event):
        if isinstance(path, int) or path is None:
            return
        real = os.path.realpath(os.fsdecode(path))
        if real == os.devnull or real == self.scratch or real.startswith(self.scratch + os.sep):
            return
        raise PermissionError(f"{event}: a graded submission may write only inside its scratch "
                              f"folder {self.scratch}, not {os.fsdecode(path)}")

    def arm(self):
        """Record what the checks lean on; from now on processes and ctypes are refused."""
        if self.armed:
            return
        for name in GUARDED_MODULES:
            module = sys.modules.get(name)
            if module is not None:
                self.modules[name] = module
                self.guarded.extend(_callables(name, vars(module)))
        for module_name, class_name in GUARDED_CLASSES:
            cls = getattr(sys.modules.get(module_name), class_name, None)
            if cls is not None:
                self.guarded.extend(_callables(f"{module_name}.{class_name}", vars(cls)))
        shell = getattr(builtins, "get_ipython", lambda: None)()
        self.shell = (shell, _shell_state(shell)) if shell is not None else None
        self.armed = True

    def verify(self):
        """Raise Tampering naming the first helper, module or kernel part found replaced."""
        for name, module in self.modules.items():
            if sys.modules.get(name) is not module:
                raise Tampering(f"the module {name} was replaced in sys.modules")
        for owner, namespace, name, value in self.guarded:
            if namespace.get(name, _MISSING) is not value:
                raise Tampering(f"{owner}.{name} was replaced or deleted")
        namespace = self._namespace()
        for name, value in self.protected.items():
            if namespace.get(name, _MISSING) is not value:
                raise Tampering(f"{name}, which the lab's own cells define, was redefined or "
                                "deleted; give your own functions other names")
        self.check_shell()

    def check_shell(self):
        if self.shell is None:
            return
        shell, state = self.shell
        now = _shell_state(shell)
        for part, value in state.items():
            if now[part] != value:
                raise Tampering(f"the kernel's {part} were changed")


_MISSING = object()


def _ids(namespace):
    return {name: id(value) for name, value in namespace.items()}


def _callables(owner, namespace):
    """(owner, namespace, name, value) for the functions, classes and modules in namespace."""
    return [(owner, namespace, key, value) for key, value in list(namespace.items())
            if not isinstance(value, _DATA) and (owner, key) not in _IGNORED
            and (callable(value) or isinstance(value, (property, staticmethod, classmethod))
                 or type(value).__name__ == "module")]


# The shell's methods that run a cell or report its error: replacing one could hide a failure.
SHELL_METHODS = ("run_cell", "run_cell_async", "_run_cell", "run_code", "run_ast_nodes",
                 "transform_cell", "transform_ast", "showtraceback", "_showtraceback",
                 "showsyntaxerror", "get_exception_only", "should_run_async")


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


def install(scratch):
    """Install the hook for a kernel whose only writable place is scratch."""
    guard = Guard(scratch)
    sys.addaudithook(guard)
    return guard
