"""Hostile submissions against `chainrule lab grade`: what issue 10 says a submission must not be
able to do to its grade (edit tests, loop, exhaust memory, crash the kernel, write outside its
scratch folder, start processes, redefine the checks, hide failures through IPython, be
unreadable), each tried on the tiny lab in fixtures/ and graded as an instructor would.

Every case asserts the points per test cell, that the other exercise was still graded, what the
grade noticed, and that the folder the submission aimed at outside its scratch folder is as it
was. What the kit does not defend is listed in labs/README.md."""
import csv
import os
import pathlib
import signal

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from chainrule.cli import main
from chainrule.labs.execute import Limits
from chainrule.labs.grade import grade_submission
from chainrule.labs.release import release
from chainrule.labs.source import find_labs, grade_id

LABS = pathlib.Path(__file__).parent / "fixtures" / "labs"
LIMITS = Limits(cell_seconds=3, total_seconds=120, memory=2 << 30)
RIGHT = {"double": "def double(x):\n    return 2 * x",
         "count_positive": "def count_positive(values):\n    return int((values > 0).sum().item())"}
WRONG = {"double": "def double(x):\n    return x",
         "count_positive": "def count_positive(values):\n    return -1"}
FULL = {"double_tests": 1.0, "double_more_tests": 1.0, "count_positive_tests": 2.0}
ONLY_COUNT = {"double_tests": 0.0, "double_more_tests": 0.0, "count_positive_tests": 2.0}
NOTHING = dict.fromkeys(FULL, 0.0)


# ---- building, grading and reading submissions -----------------------------------------------

@pytest.fixture(scope="module")
def source():
    return find_labs(LABS)[0].notebook()


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """A folder outside every scratch folder, holding a file hostile cells try to change."""
    folder = tmp_path_factory.mktemp("outside")
    (folder / "victim.txt").write_text("keep me")
    return folder


def submission(source, answers, added=(), edits=None):
    """The student release with answers (grade_id -> source), cells added after a grade_id
    ((grade_id, source) pairs) and locked cells edited (grade_id -> source, None deletes)."""
    notebook, edits = release(source), edits or {}
    cells = []
    for cell in notebook.cells:
        name = grade_id(cell)
        if name in answers:
            cell.source = answers[name]
        if name in edits and edits[name] is None:
            continue
        if name in edits:
            cell.source = edits[name]
        cells.append(cell)
        cells.extend(new_code_cell(code) for after, code in added if after == name)
    notebook.cells = cells
    return notebook


def grade(source, outside, notebook, limits=LIMITS):
    """Grade notebook (written beside the victim file); check nothing outside changed."""
    path = outside / f"submission_{len(list(outside.iterdir()))}.ipynb"
    nbformat.write(notebook, path)
    before = _snapshot(outside)
    result = grade_submission(source, path, path.stem, limits)
    result.kernels_left = _my_kernels()
    _end(result.kernels_left)
    assert _snapshot(outside) == before, "the submission changed a folder outside its scratch"
    return result


def points(result):
    return {test.grade_id: test.points for exercise in result.exercises for test in exercise.tests}


def outcomes(result):
    return {test.grade_id: test.outcome for exercise in result.exercises for test in exercise.tests}


def notices(result, kind):
    return [notice.text for notice in result.noticed if notice.kind == kind]


def _snapshot(folder):
    """Every name in folder, with the bytes of each file."""
    return {path.name: path.read_bytes() if path.is_file() else "not a file"
            for path in sorted(folder.iterdir())}


def _my_kernels():
    """Grading kernels still alive that this process started (jupyter_client tells each kernel
    its parent's pid in JPY_PARENT_PID; a kernel orphaned by a C-level loop keeps it)."""
    mine = f"JPY_PARENT_PID={os.getpid()}".encode()
    found = []
    for entry in pathlib.Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:   # not a process, or gone meanwhile
            continue
        if b"chainrule.labs.kernel" in command and mine in environment:
            found.append(int(entry.name))
    return found


def _end(pids):
    """Kill the kernels the kit left behind, so they do not spin for the rest of the session."""
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


# ---- no false alarm, and unreadable submissions (through the CLI, once) -----------------------

@pytest.fixture(scope="module")
def cli_run(source, outside, tmp_path_factory):
    """`chainrule lab grade` on the right answers and two unreadable files, in one run."""
    folder = tmp_path_factory.mktemp("cli")
    right = folder / "right.ipynb"
    nbformat.write(submission(source, RIGHT), right)
    (folder / "garbage.ipynb").write_text("this is not JSON {")
    (folder / "not_a_notebook.ipynb").write_text('{"cells": "no", "metadata": {}}')
    paths = [str(folder / name) for name in ("right.ipynb", "garbage.ipynb",
                                            "not_a_notebook.ipynb")]
    code = main(["lab", "--labs", str(LABS), "grade", "--lab", "01", *paths, "--out",
                 str(folder / "grades"), "--timeout", "3", "--memory", "2G"])
    _end(_my_kernels())
    with open(folder / "grades" / "gradebook.csv", newline="") as table:
        rows = {row["student"]: row for row in csv.DictReader(table)}
    return code, rows, folder / "grades" / "feedback"


def test_the_right_answers_earn_full_marks_and_nothing_is_noticed(cli_run):
    code, rows, feedback = cli_run
    assert code == 0
    right = rows["right"]
    assert (right["double"], right["count_positive"], right["total"], right["max"]) == (
        "2", "2", "4", "4")
    assert right["tampering"] == "no" and right["notes"] == ""
    assert "Noticed while grading" not in (feedback / "right.txt").read_text()


def test_an_unreadable_submission_gets_zero_and_the_run_goes_on(cli_run):
    _, rows, feedback = cli_run
    for student in ("garbage", "not_a_notebook"):
        assert (rows[student]["total"], rows[student]["max"]) == ("0", "4")
        assert "could not read" in rows[student]["notes"]
        assert "not run: the notebook could not be graded" in (feedback / f"{student}.txt").read_text()
    assert rows["right"]["total"] == "4"   # graded before and after them alike


# ---- 1. edited, deleted and locked cells --------------------------------------------------------

@pytest.fixture(scope="module")
def tampered(source, outside):
    """A wrong double whose visible test now reads `pass` and whose second test is deleted, a
    right count_positive whose test is deleted, and a setup cell that disarms the checks."""
    edits = {"double_tests": "pass", "double_more_tests": None, "count_positive_tests": None,
             "setup": "import chainrule as torch\ncheck_close = check_shape = check_equal = "
                      "lambda *a, **k: None"}
    return grade(source, outside, submission(source, dict(RIGHT, double=WRONG["double"]),
                                             edits=edits))


def test_edited_and_deleted_tests_are_graded_by_the_original(tampered):
    assert points(tampered) == ONLY_COUNT   # the deleted test of a right answer still earns
    assert outcomes(tampered)["double_tests"].startswith("AssertionError: double([1, 2])")


def test_edited_and_deleted_cells_are_noticed_as_tampering(tampered):
    found = " | ".join(notices(tampered, "tampering"))
    assert "double_tests was edited" in found and "setup was edited" in found
    assert "double_more_tests was deleted" in found and "count_positive_tests was deleted" in found


# ---- 2. 3. 4. endless loops, memory, crashes ----------------------------------------------------

@pytest.fixture(scope="module")
def endless(source, outside):
    """double loops in Python; an added cell loops in C (a deque eating itertools.count, which
    never gives up the interpreter lock)."""
    answers = dict(RIGHT, double="def double(x):\n    while True:\n        pass")
    c_loop = "import collections, itertools\ncollections.deque(itertools.count(), maxlen=0)"
    return grade(source, outside, submission(source, answers, [("double", c_loop)]))


def test_an_endless_answer_gets_zero_with_a_time_limit_note(endless):
    assert points(endless) == ONLY_COUNT
    assert outcomes(endless)["double_tests"] == "stopped: ran past its time limit"
    assert outcomes(endless)["double_more_tests"] == "stopped: ran past its time limit"
    assert any(text.startswith("an added cell: stopped: ran past its time limit")
               for text in notices(endless, "limit"))


def test_no_kernel_outlives_its_grading(endless):
    assert endless.kernels_left == []


def test_an_answer_that_exhausts_memory_gets_zero_and_the_run_goes_on(source, outside):
    answers = dict(RIGHT, double="def double(x):\n    hoard = []\n    while True:\n"
                                 "        hoard.append(bytearray(1 << 26))")
    # A longer cell limit than elsewhere, so it is the memory cap (2 GiB) that stops it.
    result = grade(source, outside, submission(source, answers),
                   Limits(cell_seconds=20, total_seconds=120, memory=2 << 30))
    assert points(result) == ONLY_COUNT
    for name in ("double_tests", "double_more_tests"):
        assert outcomes(result)[name].startswith(("MemoryError", "stopped: the kernel died"))


@pytest.fixture(scope="module")
def crashing(source, outside):
    """double ends its kernel (os._exit on a vector, SIGKILL on a matrix); added cells segfault
    through faulthandler (no ctypes needed) and try a null read through ctypes."""
    answers = dict(RIGHT, double="import os, signal\ndef double(x):\n    if x.ndim == 1:\n"
                                 "        os._exit(1)\n    os.kill(os.getpid(), signal.SIGKILL)")
    added = [("double", "import faulthandler\nfaulthandler._sigsegv()"),
             ("double", "import ctypes\nctypes.string_at(0)")]
    return grade(source, outside, submission(source, answers, added))


def test_a_crashing_answer_gets_zero_and_the_rest_is_graded(crashing):
    assert points(crashing) == ONLY_COUNT
    died = "stopped: the kernel died (a crash, or memory exhausted)"
    assert outcomes(crashing)["double_tests"] == died    # os._exit(1)
    assert outcomes(crashing)["double_more_tests"] == died   # SIGKILL
    assert f"an added cell: {died}" in notices(crashing, "limit")   # the segfault


def test_a_segfault_through_ctypes_is_refused_first(crashing):
    assert any("ctypes.string_at: a graded submission may not" in text
               for text in notices(crashing, "refused"))


# ---- 5. 6. writes outside scratch, processes, native code ---------------------------------------

def _sandbox_cells(outside):
    """One added cell per attempt, so each is refused (and noticed) on its own."""
    here, victim = str(outside), str(outside / "victim.txt")
    return [f"open({here!r} + '/written', 'w').write('x')",
            f"import os\nos.remove({victim!r})",
            f"import os\nos.rename({victim!r}, {here!r} + '/moved')",
            f"import pathlib\npathlib.Path({here!r}, 'text').write_text('x')",
            f"import shutil\nshutil.copy({victim!r}, {here!r} + '/copy')",
            f"import os\nos.mkdir({here!r} + '/folder')",
            "import subprocess\nsubprocess.run(['true'])",
            "import os\nos.system('true')",
            "import os\nos.fork()",
            "import ctypes\nctypes.CDLL(None)"]


INSIDE = "open('inside.txt', 'w').write('written in scratch')\nprint(open('inside.txt').read())"


@pytest.fixture(scope="module")
def sandboxed(source, outside):
    """A right double, a count_positive that writes outside before answering, and added cells
    trying every other way out; then a write in the working folder (scratch)."""
    answers = dict(RIGHT, count_positive="def count_positive(values):\n    open("
                   f"{str(outside / 'sneaky')!r}, 'w')\n    return int((values > 0).sum().item())")
    added = [("double", code) for code in _sandbox_cells(outside)] + [("count_positive", INSIDE)]
    return grade(source, outside, submission(source, answers, added))


def test_writes_outside_scratch_and_processes_are_refused_and_noticed(sandboxed, outside):
    refused = notices(sandboxed, "refused")
    for event in ("open", "os.remove", "os.rename", "os.mkdir"):
        assert any(f"{event}: a graded submission may write only inside" in t for t in refused)
    for event in ("subprocess.Popen", "os.system", "os.fork", "ctypes.dlopen"):
        assert any(f"{event}: a graded submission may not" in t for t in refused)
    assert len([t for t in refused if t.startswith("an added cell")]) == 10
    assert (outside / "victim.txt").read_text() == "keep me"
    assert not (outside / "written").exists() and not (outside / "sneaky").exists()


def test_a_refused_write_costs_only_its_exercise(sandboxed):
    assert points(sandboxed) == {**FULL, "count_positive_tests": 0.0}
    assert outcomes(sandboxed)["count_positive_tests"].startswith("PermissionError: open")


def test_writing_inside_scratch_works(sandboxed):
    cell = next(c for c in sandboxed.notebook.cells if c.source.endswith(INSIDE))
    assert [output.get("text") for output in cell.outputs] == ["written in scratch\n"]


ESCAPES = [   # writes the guard does not see, each aimed at {target}
    pytest.param(
        "import gc\nfrom chainrule.labs.guard import Guard\n"
        "for guard in (o for o in gc.get_objects() if isinstance(o, Guard)):\n"
        "    guard._inside = True   # the hook's own re-entry flag: every event now passes\n"
        "open({target!r}, 'w').write('x')",
        id="the guard switched off through gc"),
    pytest.param(
        "import sqlite3\nsqlite3.connect({target!r}).execute('create table t (x)')",
        id="a database file written by sqlite3"),
]


@pytest.mark.parametrize("hostile", ESCAPES)
def test_a_write_the_audit_hook_could_miss_is_refused(source, tmp_path, hostile):
    target = tmp_path / "escaped"
    code = hostile.format(target=str(target))
    path = tmp_path / "submission.ipynb"
    nbformat.write(submission(source, RIGHT, [("double", code)]), path)
    result = grade_submission(source, path, "escape", LIMITS)
    _end(_my_kernels())
    assert not target.exists()
    assert notices(result, "refused")


# ---- 7. redefining the checks ---------------------------------------------------------------

WRONG_DOUBLE = WRONG["double"] + "\n"
SHADOWS = {   # defended by the grader's fresh import of the checks at the top of each test cell
    "defined in the answer cell": (WRONG_DOUBLE + "def check_close(*a, **k):\n    pass\n"
                                   "def check_shape(*a, **k):\n    pass", ()),
    "defined in an added cell": (WRONG_DOUBLE, [("double", "def check_close(*a, **k):\n    pass")]),
}
REPLACEMENTS = {   # defended, if at all, by the guard
    "the module's attribute": WRONG_DOUBLE + "import chainrule.labs.checks\n"
                              "chainrule.labs.checks.check_close = lambda *a, **k: None",
    "numpy's functions": WRONG_DOUBLE + "import numpy\nnumpy.abs = lambda x: x * 0\n"
                         "numpy.any = lambda *a, **k: False",
    "the module in sys.modules": WRONG_DOUBLE + "import sys, types\n"
        "fake = types.ModuleType('chainrule.labs.checks')\n"
        "fake.check_close = fake.check_shape = fake.check_equal = fake.check_true = (\n"
        "    lambda *a, **k: None)\n"
        "sys.modules['chainrule.labs.checks'] = fake",
    "globals, from inside the answer": "def double(x):\n"
        "    globals()['check_close'] = globals()['check_shape'] = lambda *a, **k: None\n"
        "    return x",
    "the module, from inside the answer": "def double(x):\n"
        "    import chainrule.labs.checks as checks\n"
        "    checks.check_close = checks.check_shape = lambda *a, **k: None\n    return x",
}
IN_PLACE = {   # the same function objects, changed: refused as the attribute is set
    "its __code__": WRONG_DOUBLE + "from chainrule.labs import checks\n"
                    "checks.check_close.__code__ = (lambda *a, **k: None).__code__",
    "its __kwdefaults__": "def double(x):\n    return x + 0.001\n"
                          "from chainrule.labs import checks\n"
                          "checks.check_close.__kwdefaults__ = {'rtol': 1.0, 'atol': 1e9}",
}


@pytest.mark.parametrize("case", SHADOWS)
def test_a_check_shadowed_by_the_student_is_ignored(source, outside, case):
    answer, added = SHADOWS[case]
    result = grade(source, outside, submission(source, dict(RIGHT, double=answer), added))
    assert points(result)["double_tests"] == points(result)["double_more_tests"] == 0.0
    # Either the test's fresh import of the checks undid the shadowing, or the guard refused a
    # redefined name of the lab's own cells (the setup cell imports the checks).
    outcome = outcomes(result)["double_tests"]
    assert outcome.startswith("AssertionError: double([1, 2])") or "Tampering" in outcome


def _assert_caught(result):
    """The wrong double earns nothing, and its outcome names the tampering."""
    assert points(result)["double_tests"] == points(result)["double_more_tests"] == 0.0
    assert "Tampering" in outcomes(result)["double_more_tests"]


@pytest.mark.parametrize("case", REPLACEMENTS)
def test_a_replaced_check_is_caught(source, outside, case):
    answers = dict(RIGHT, double=REPLACEMENTS[case])
    _assert_caught(grade(source, outside, submission(source, answers)))


@pytest.mark.parametrize("case", IN_PLACE)
def test_a_check_changed_in_place_is_refused(source, outside, case):
    result = grade(source, outside, submission(source, dict(RIGHT, double=IN_PLACE[case])))
    assert points(result)["double_tests"] == points(result)["double_more_tests"] == 0.0
    assert points(result)["count_positive_tests"] == 2.0
    assert any("may not change what the checks rely on" in text
               for text in notices(result, "refused"))


# ---- 8. hiding failures through IPython ---------------------------------------------------------

HIDERS = {
    "a custom exception handler": "get_ipython().set_custom_exc((Exception,), "
                                  "lambda shell, etype, value, tb, tb_offset=None: None)",
    "an input transformer that empties cells": "get_ipython().input_transformers_cleanup"
                                               ".append(lambda lines: [])",
}


@pytest.fixture(scope="module", params=[
    pytest.param("a custom exception handler"),
    pytest.param("an input transformer that empties cells")])
def hidden(request, source, outside):
    """Both answers wrong, and an added cell after setup that hides failures."""
    return grade(source, outside, submission(source, WRONG, [("setup", HIDERS[request.param])]))


def test_a_failure_hidden_through_ipython_still_gets_zero(hidden):
    assert points(hidden) == NOTHING


def test_a_failure_hidden_through_ipython_is_noticed(hidden):
    assert notices(hidden, "tampering")


# ---- found in review: tracing the checks, rebinding a module the tests use, odd submissions ---

def test_a_trace_function_that_rewrites_the_checks_arguments_is_refused(source, outside):
    tracer = ("import sys\n"
              "def _rewrite(frame, event, arg):\n"
              "    if frame.f_code.co_name == 'check_close':\n"
              "        frame.f_locals['actual'] = frame.f_locals['expected']\n"
              "    return _rewrite\n"
              "sys.settrace(_rewrite)\n")
    result = grade(source, outside, submission(source, dict(RIGHT, double=tracer + WRONG_DOUBLE)))
    assert points(result)["double_tests"] == points(result)["double_more_tests"] == 0.0
    assert any("sys.settrace" in text for text in notices(result, "refused"))


def test_a_module_the_lab_imported_rebound_by_an_answer_fails_the_tests(source, outside):
    rebind = WRONG_DOUBLE + "import types\ntorch = types.SimpleNamespace(tensor=lambda *a, **k: 0)"
    result = grade(source, outside, submission(source, dict(RIGHT, double=rebind)))
    assert points(result)["double_tests"] == 0.0
    assert "Tampering" in outcomes(result)["double_tests"]


def test_cells_with_nonsense_metadata_are_graded_not_fatal(source, outside):
    notebook = submission(source, RIGHT)
    for cell in notebook.cells:
        if grade_id(cell) == "double_tests":
            cell.metadata["nbgrader"]["points"] = "two"
        elif grade_id(cell) == "setup":
            cell.metadata["nbgrader"] = "locked, honest"
    notebook.cells.append(nbformat.v4.new_markdown_cell("text", metadata={
        "nbgrader": {"grade_id": "notes", "solution": True}}))
    result = grade(source, outside, notebook)
    assert points(result) == FULL   # the lab's own cells ran: the right answers still earn all
    assert any("double_tests was edited" in text for text in notices(result, "tampering"))


def test_a_cell_that_fails_only_when_replayed_costs_only_itself(source, outside):
    """After a crash the passed cells run again; one that now loops is stopped and dropped."""
    flaky = ("import os\nif os.path.exists('ran_once'):\n    while True:\n        pass\n"
             "open('ran_once', 'w').close()")
    crash = "import os\nos._exit(1)"
    result = grade(source, outside, submission(source, RIGHT, [("setup", flaky),
                                                               ("double", crash)]))
    assert points(result)["count_positive_tests"] == 2.0
    assert any("time limit" in text for text in notices(result, "limit"))


def test_the_notebooks_time_limit_holds_replays_included(source, outside):
    slow = "import time\ntime.sleep(2)"
    notebook = submission(source, RIGHT, [("setup", slow), ("setup", slow), ("double", slow)])
    limits = Limits(cell_seconds=3, total_seconds=4, memory=2 << 30)
    result = grade(source, outside, notebook, limits)
    assert result.seconds < 4 + 3 + 10   # the limit, one cell's grace, starting kernels
    assert notices(result, "limit")


def test_printing_without_end_is_cut_in_the_executed_notebook(source, outside):
    loud = "print('x' * 300_000)"
    result = grade(source, outside, submission(source, RIGHT, [("setup", loud)]))
    assert points(result) == FULL
    texts = [output.text for cell in result.notebook.cells for output in cell.get("outputs", [])
             if output.output_type == "stream" and output.text.startswith("xxx")]
    assert len(texts) == 1 and len(texts[0]) < 101_000
    assert texts[0].endswith("more characters cut by the grader]")
