"""What a graded submission's kernel may not do, enforced from inside it by an audit hook
(PEP 578), which no code can remove once installed. It refuses:
- writing, renaming, deleting or making files outside the scratch folder;
- from the grader's first cell on: starting processes, signalling other processes, native calls
  through ctypes, walking the garbage collector (the way to this hook's own state), trace and
  profile functions (which could rewrite a check's arguments as it runs), and setting
  attributes of the functions and classes the checks rely on;
- running a test cell after what it relies on was replaced (chainrule/labs/integrity.py), or
  after its code was changed on the way in (IPython's input transformers).

Every code cell the grader runs starts with a marker line, `# chainrule lab: <kind> <name>`, so
the hook knows each cell by the name IPython compiles it under. When a test cell, and the cell
the grader runs after it, start with their expected code and everything verified, the hook
writes so to an evidence file outside the scratch folder; a test earns its points only with
that evidence (execute.py reads it), so a test cell that never ran is no pass.

An audit hook is not a sandbox (PEP 578 says so): labs/README.md lists what is not defended."""
import hashlib
import json
import os
import sys

from chainrule.labs.integrity import Snapshot, Tampering

ARM_EVENT = "chainrule.lab.arm"   # raised by the grader's first cell
CELL_MARKER = "# chainrule lab:"  # then a kind (grader, lab, answer, added, test, after) and name
EVIDENCE = "evidence.log"         # in the evidence folder: "test <grade_id>", "after <grade_id>"
EXPECTED = "expected.json"        # ... and what each test cell's code must be: kind name -> hash
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
PATH_EVENTS = {   # event -> positions of the paths it changes
    "os.rename": (0, 1), "os.remove": (0,), "os.rmdir": (0,), "os.mkdir": (0,),
    "os.link": (0, 1), "os.symlink": (0, 1), "os.truncate": (0,), "os.chmod": (0,),
    "os.chown": (0,), "os.utime": (0,), "shutil.rmtree": (0,), "shutil.move": (0, 1),
    "os.chflags": (0,), "os.setxattr": (0,), "os.removexattr": (0,), "sqlite3.connect": (0,),
}
REFUSED_EVENTS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn",
                  "os.fork", "os.forkpty", "pty.spawn", "os.startfile",
                  "ctypes.dlopen", "ctypes.dlsym", "ctypes.call_function", "ctypes.cdata",
                  "ctypes.addressof", "ctypes.string_at", "ctypes.wstring_at",
                  "gc.get_objects", "gc.get_referrers", "gc.get_referents",
                  "sys.settrace", "sys.setprofile"}
CHECKED_KINDS = ("test", "after")


def fingerprint(source):
    """A test cell's code as the grader wrote it, blind to trailing whitespace."""
    text = "\n".join(line.rstrip() for line in source.strip().splitlines())
    return hashlib.sha256(text.encode()).hexdigest()


def marker(kind, name=None):
    return f"{CELL_MARKER} {kind} {name or '-'}"


def read_marker(source):
    """(kind, name) from a cell's marker line, or None for a cell without one."""
    if not source.startswith(CELL_MARKER):
        return None
    kind, _, name = source.partition("\n")[0][len(CELL_MARKER):].strip().partition(" ")
    return kind, name


class Guard:
    """The audit hook: one instance per kernel, installed by install()."""

    def __init__(self, scratch, evidence):
        self.scratch = os.path.realpath(scratch)
        self.evidence = os.path.join(evidence, EVIDENCE)
        with open(os.path.join(evidence, EXPECTED)) as file:
            self.expected = json.load(file)
        self.snapshot = None   # taken when armed
        self.cells = {}        # file name IPython compiled a cell under -> (kind, name)
        self.altered = set()   # file names of test cells whose code was not the expected
        self.current = None    # the file name of the cell running
        self._inside = False   # the hook's own calls raise events too

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
                if position < len(args) and args[position] not in (":memory:", ""):
                    self._check_write(args[position], event)
        elif event == ARM_EVENT and self.snapshot is None:
            self.snapshot = Snapshot()
        elif self.snapshot is None:
            return
        elif event in REFUSED_EVENTS:
            raise PermissionError(f"{event}: a graded submission may not start processes, call "
                                  "native code, walk the garbage collector or trace the checks")
        elif event in ("os.kill", "os.killpg") and args and args[0] not in (0, os.getpid()):
            raise PermissionError(f"{event}: a graded submission may not signal other processes")
        elif event == "object.__setattr__" and id(args[0]) in self.snapshot.frozen:
            raise PermissionError(f"setting {args[1]} of {getattr(args[0], '__qualname__', '?')}: "
                                  "a graded submission may not change what the checks rely on")
        elif event == "compile" and isinstance(args[0], (str, bytes)):
            self._note_cell(*args[:2])
        elif event == "exec":
            # Checked as a cell's code starts, inside IPython's error handling, so that a failed
            # check shows as the cell's error (raised at compile time, it hangs the kernel).
            self._on_exec(getattr(args[0], "co_filename", None))

    def _note_cell(self, source, filename):
        """Know a cell by its marker line; note a test cell whose code is not what was sent."""
        if isinstance(source, bytes):
            source = source.decode("utf-8", "replace")
        found = read_marker(source)
        if not isinstance(filename, str) or found is None:
            return
        kind, name = self.cells[filename] = found
        if kind in CHECKED_KINDS and fingerprint(source) != self.expected.get(f"{kind} {name}"):
            self.altered.add(filename)

    def _on_exec(self, filename):
        if filename not in self.cells:
            return   # not a cell: a module being imported, a namedtuple being made ...
        kind, name = self.cells[filename]
        snapshot = self.snapshot
        first = filename != self.current   # IPython runs a cell as one exec per statement
        if first:
            snapshot.lab_cell_ended()
            self.current = filename
        snapshot.check_shell()
        if first and kind in CHECKED_KINDS:
            if filename in self.altered:
                raise Tampering(f"the code of the {kind} cell {name} was changed on its way in")
            snapshot.verify()
            with open(self.evidence, "a") as file:
                file.write(f"{kind} {name}\n")
        if first and kind == "lab":   # not a test cell: the student's code runs inside it
            snapshot.lab_cell_starts()

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


def install(scratch, evidence):
    """Install the hook for a kernel whose only writable place is scratch."""
    sys.addaudithook(Guard(scratch, evidence))
