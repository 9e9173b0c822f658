"""Running a notebook headless, cell by cell, in a kernel of this Python, and saying how each cell
went. A cell that runs past its time limit or kills its kernel (a crash, memory exhausted) costs
that cell only: the kernel is started again, the cells that had run are replayed (tests apart),
and the run goes on from the next cell.

Sandboxed (for grading) the kernel is chainrule.labs.kernel: its own scratch folder as home and
only writable place, a memory cap, and the guard. Unsandboxed (a student checking their own
notebook) it is a plain ipykernel in the notebook's folder."""
import contextlib
import dataclasses
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

from chainrule.labs import guard
from chainrule.labs.source import is_test

KERNEL_NAME = "chainrule-lab"
# The kernel's own log (its warning that local TCP is unencrypted, at every start) is not the
# student's business; its errors still show.
QUIET = ["--IPKernelApp.log_level=ERROR"]
OUTPUT_LIMIT = 100_000   # characters of printed text kept per output
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_FAILING_LINE = re.compile(r"^-+>\s*(\d+)\s(.*)$")


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one notebook may use: seconds per cell, seconds in all, bytes of address space."""
    cell_seconds: float = 300.0
    total_seconds: float = 1200.0
    memory: int = 6 << 30


@dataclasses.dataclass
class CellRun:
    """How one cell went: ok, error, timeout, crashed (its kernel died), skipped or not code."""
    status: str
    ename: str = ""
    evalue: str = ""
    line: str = ""         # the cell's own failing line of code
    line_number: int = 0   # its number in the cell, from 1
    seconds: float = 0.0

    @property
    def passed(self):
        return self.status in ("ok", "text")

    def describe(self):
        """One line for a student: what went wrong, where."""
        if self.status == "error":
            message = f"{self.ename}: {self.evalue}" if self.evalue else self.ename
            if self.ename == "NotImplementedError":   # an exercise's stub, as released
                message = "not done yet (the stub raises NotImplementedError)"
            return message + (f" (line {self.line_number}: {self.line})" if self.line else "")
        return {"ok": "passed", "text": "", "timeout": "stopped: ran past its time limit",
                "crashed": "stopped: the kernel died (a crash, or memory exhausted)",
                "skipped": "not run: the notebook's time limit was used up"}[self.status]


def run_notebook(notebook, limits=None, *, sandboxed=True, folder=None):
    """Execute notebook's cells in place (outputs stored in it); return a CellRun per cell.
    Sandboxed, a test cell (and the cell after it) passes only if the guard also wrote evidence
    that it ran as the grader wrote it (see guard.py)."""
    limits = limits or Limits()
    runs, index = [None] * len(notebook.cells), 0
    deadline = time.monotonic() + limits.total_seconds   # replays after a restart count too
    with _workspace(notebook, sandboxed, folder) as place:
        while index < len(notebook.cells):
            with _kernel(notebook, place, limits) as client:
                if _replay(client, notebook, runs, index, deadline, limits):
                    index = _run_from(client, notebook, runs, index, deadline, limits)
        if sandboxed:
            _require_evidence(notebook, runs, place[1].parent / "evidence")
    return runs


def _require_evidence(notebook, runs, folder):
    """A checked cell that passed without the guard's word that it ran as written fails."""
    path = folder / guard.EVIDENCE
    evidence = set(path.read_text().splitlines()) if path.exists() else set()
    for index, cell in enumerate(notebook.cells):
        kind_name = _checked(cell)
        if kind_name and runs[index].passed and kind_name not in evidence:
            runs[index] = CellRun("error", "Tampering", "the grader saw no evidence that this "
                                  "cell ran as it was written (was it changed on its way in?)",
                                  seconds=runs[index].seconds)


def _checked(cell):
    """'test <grade_id>' or 'after <grade_id>' for the cells the guard vouches for, else None."""
    found = guard.read_marker(cell.source) if cell.cell_type == "code" else None
    return f"{found[0]} {found[1]}" if found and found[0] in guard.CHECKED_KINDS else None


def _run_from(client, notebook, runs, first, deadline, limits):
    """Run cells from first on; return the index to go on from (past the end when done)."""
    for index in range(first, len(notebook.cells)):
        cell = notebook.cells[index]
        if cell.cell_type != "code":
            runs[index] = CellRun("text")
            continue
        if time.monotonic() >= deadline:
            runs[index] = CellRun("skipped")
            continue
        began = time.monotonic()
        client.replies.pop(index, None)
        failure = _execute(client, cell, index, deadline, limits)
        if failure:
            runs[index] = CellRun(failure, seconds=time.monotonic() - began)
            return index + 1
        _limit_outputs(cell)
        runs[index] = _outcome(cell, client.replies.get(index, {}), time.monotonic() - began)
    return len(notebook.cells)


def _replay(client, notebook, runs, index, deadline, limits):
    """In a fresh kernel, run again the code cells before index that passed (not the tests).
    A cell that now times out or kills the kernel is marked so, never replayed again, and False
    returned: the caller starts another kernel."""
    for before in range(index):
        cell = notebook.cells[before]
        if cell.cell_type == "code" and runs[before].passed and not is_test(cell):
            failure = _execute(client, cell.copy(), before, deadline, limits)
            if failure:
                runs[before] = CellRun(failure)
                return False
    return True


def _execute(client, cell, index, deadline, limits):
    """Run one cell within its own limit and what is left of the notebook's; return None, or
    "timeout" or "crashed"."""
    client.timeout = max(1, int(min(limits.cell_seconds, deadline - time.monotonic())))
    try:
        client.execute_cell(cell, index)
    except CellTimeoutError:
        return "timeout"
    except DeadKernelError:
        return "crashed"
    return None


def _limit_outputs(cell):
    """Cut a cell's printed text to OUTPUT_LIMIT characters, so that a class's executed notebooks
    stay readable and small (a submission may print for as long as its time limit lasts)."""
    for output in cell.get("outputs", []):
        if output.output_type == "stream" and len(output.text) > OUTPUT_LIMIT:
            cut = len(output.text) - OUTPUT_LIMIT
            output.text = (output.text[:OUTPUT_LIMIT]
                           + f"\n[{cut} more characters cut by the grader]")


def _outcome(cell, reply, seconds):
    """A cell passes on a positive signal only: the kernel's reply says ok and no error was
    shown. (Either alone can be faked or lost: a failure in the kernel's own machinery shows no
    error, and a hidden exception handler replies ok.)"""
    errors = [output for output in cell.get("outputs", []) if output.output_type == "error"]
    if errors:
        error = errors[0]
        number, line = failing_line(error.traceback)
        return CellRun("error", error.ename, _ANSI.sub("", error.evalue), line, number, seconds)
    if reply.get("status") != "ok":
        return CellRun("error", reply.get("ename", "KernelError"),
                       reply.get("evalue", f"the kernel replied {reply.get('status')!r}"),
                       seconds=seconds)
    return CellRun("ok", seconds=seconds)


def failing_line(traceback):
    """(number, code) of the line a traceback marks in the cell itself (IPython heads a cell's
    frame "Cell In[n], line k"); (0, "") if the error arose before any line of it ran."""
    frames = [_ANSI.sub("", entry) for entry in traceback]
    for frame in frames:
        if not frame.lstrip().startswith(("Cell In", "Input In")):
            continue
        for text in frame.splitlines():
            match = _FAILING_LINE.match(text.strip())
            if match:
                return int(match.group(1)), match.group(2).strip()
    return 0, ""


@contextlib.contextmanager
def _workspace(notebook, sandboxed, folder):
    """(kernel argv, working folder, environment) in a temporary home removed afterwards;
    sandboxed, the home holds the scratch folder and, beside it, the guard's evidence folder
    with the fingerprint of every checked cell's code."""
    home = pathlib.Path(tempfile.mkdtemp(prefix="chainrule-lab-"))
    try:
        if sandboxed:
            scratch, evidence = home / "scratch", home / "evidence"
            scratch.mkdir()
            evidence.mkdir()
            expected = {_checked(cell): guard.fingerprint(cell.source)
                        for cell in notebook.cells if _checked(cell)}
            (evidence / guard.EXPECTED).write_text(json.dumps(expected))
            argv = [sys.executable, "-m", "chainrule.labs.kernel", "--scratch", str(scratch),
                    "--evidence", str(evidence), "--memory", "{memory}",
                    "-f", "{connection_file}", *QUIET]
            yield argv, scratch, _sandbox_environment(scratch)
        else:
            argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}", *QUIET]
            environment = dict(os.environ, PYTHONUNBUFFERED="1")
            yield argv, pathlib.Path(folder or "."), environment
    finally:
        shutil.rmtree(home, ignore_errors=True)


def _sandbox_environment(scratch):
    """Home, temporary files and every cache inside scratch; matplotlib's font list copied in, so
    the kernel need not rebuild it (seconds) nor write where it may not."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("JUPYTER", "IPYTHON", "MPL"))}
    caches = {"HOME": scratch, "TMPDIR": scratch / "tmp", "MPLCONFIGDIR": scratch / ".matplotlib",
              "IPYTHONDIR": scratch / ".ipython", "JUPYTER_RUNTIME_DIR": scratch / ".runtime",
              "XDG_CACHE_HOME": scratch / ".cache"}
    for path in caches.values():
        path.mkdir(exist_ok=True)
    _copy_font_list(caches["MPLCONFIGDIR"])
    environment.update({key: str(path) for key, path in caches.items()})
    environment.update(PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1", JUPYTER_PLATFORM_DIRS="1")
    # One BLAS thread per kernel unless the grader's own environment says otherwise: a grade, and
    # a lab's timing figure, should not depend on threads fighting over busy cores (the kernel
    # loads NumPy before any cell could set this).
    for threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        environment.setdefault(threads, "1")
    return environment


def _copy_font_list(folder):
    import matplotlib   # only for where its cache is; the kernel draws, not this process
    for font_list in pathlib.Path(matplotlib.get_cachedir()).glob("fontlist-*.json"):
        shutil.copy(font_list, folder)


@contextlib.contextmanager
def _kernel(notebook, place, limits):
    """A started kernel for notebook, as an nbclient client; shut down (killed if need be)."""
    argv, cwd, environment = place
    sandboxed = "chainrule.labs.kernel" in argv
    specs = pathlib.Path(tempfile.mkdtemp(prefix="chainrule-kernels-"))
    try:
        spec = specs / KERNEL_NAME
        spec.mkdir()
        argv = [part.replace("{memory}", str(limits.memory)) for part in argv]
        spec.joinpath("kernel.json").write_text(json.dumps(
            {"argv": argv, "display_name": "chainrule lab", "language": "python"}))
        manager = AsyncKernelManager(kernel_name=KERNEL_NAME,
                                kernel_spec_manager=KernelSpecManager(kernel_dirs=[str(specs)]))
        client = NotebookClient(notebook, km=manager, timeout=limits.cell_seconds,
                                allow_errors=True, interrupt_on_timeout=False,
                                startup_timeout=120, kernel_name=KERNEL_NAME,
                                shutdown_kernel="immediate")
        client.replies = {}   # cell index -> the content of the kernel's execute_reply
        client.on_cell_executed = lambda cell, cell_index, execute_reply: client.replies.update(
            {cell_index: execute_reply["content"]})
        # cleanup_kc: nbclient shuts down (kills, as "immediate") a kernel it did not start only
        # when asked; else a kernel stuck in a loop would outlive its grading
        # The kernel's own stdout and stderr are not the grader's console: a submission could
        # print lines there that look like grades.
        quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) if sandboxed else {}
        with client.setup_kernel(env=environment, cwd=str(cwd), cleanup_kc=True, **quiet):
            yield client
    finally:
        shutil.rmtree(specs, ignore_errors=True)
