"""The lab kit against nbgrader itself: every lab in labs/ becomes an assignment of one nbgrader
course in a scratch folder, released by `nbgrader generate_assignment` and graded by `nbgrader
autograde`, both run from their command line. Two students hand in: "solution" the instructor's
notebook, "stub" nbgrader's release untouched. nbgrader's gradebook must give the solution full
marks and the stub nothing, test cell by test cell as `chainrule lab grade` does, and nbgrader's
release must be the kit's, cell for cell. A third student hands in the first lab's solution
with one test cell deleted and another gutted: both graders must run the lab's own tests.

nbgrader runs a locked cell from the source it was given, not from what papermill would inject, so
the quick setting goes into the source itself: the parameters cell becomes `QUICK = True`, and
the kit grades against that same source. The kit's grades are the session's (conftest.py), those
test_labs checks: nbgrader is handed the very files the kit graded."""
import copy
import os
import pathlib
import subprocess
import sys

import nbformat
import pytest
from nbgrader.api import Gradebook

from chainrule.labs.grade import grade_submission
from chainrule.labs.release import release
from chainrule.labs.source import exercises, find_labs, grade_id, is_solution
from tests.labs.helpers import LIMITS, QUICK

LABS = find_labs()
COURSE = "chainrule"
STUDENTS = ("solution", "stub")
TAMPERED_LAB = LABS[0]   # one lab only: each submission costs a run in both graders
# nbgrader's own limit is 30 s a cell; the machine running the suite may be busy.
NBGRADER_CELL_SECONDS = 120


def notebook_path(root, stage, lab, student=None):
    """nbgrader's layout: root/stage[/student]/<assignment>/<notebook>.ipynb."""
    folder = root / stage / student if student else root / stage
    return folder / lab.name / f"{lab.name}.ipynb"


def course_source(root, lab):
    """The source notebook nbgrader was given (read back, so the cell ids are the same: jupytext
    gives a percent-format source's cells new random ids on every read)."""
    return nbformat.read(notebook_path(root, "source", lab), as_version=4)


def write_config(root):
    """nbgrader_config.py: the course in root, its gradebook a SQLite file in root too."""
    (root / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(root)!r}\n"
        f"c.CourseDirectory.course_id = {COURSE!r}\n"
        f"c.CourseDirectory.db_url = {database_url(root)!r}\n"
        f"c.Execute.timeout = {NBGRADER_CELL_SECONDS}\n"
        # A deleted test cell is put back and run, as the kit does; by default nbgrader leaves it
        # out and the test earns nothing, whatever the answer.
        "c.OverwriteCells.add_missing_cells = True\n")


def database_url(root):
    return f"sqlite:///{root / 'gradebook.db'}"


def scratch_environment(scratch):
    """The environment for nbgrader and its kernels: home, Jupyter's and matplotlib's folders in
    scratch, so nothing is read from or written to the user's. nbgrader starts the `alembic`
    command by name when it creates its database, so this Python's scripts go first on PATH."""
    environment = dict(os.environ, MPLBACKEND="Agg")
    for variable in ("HOME", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR",
                     "IPYTHONDIR", "MPLCONFIGDIR"):
        environment[variable] = str(scratch / variable.lower())
    scripts = str(pathlib.Path(sys.executable).parent)
    environment["PATH"] = os.pathsep.join([scripts, os.environ.get("PATH", "")])
    return environment


def nbgrader(root, environment, *arguments):
    """Run `nbgrader ARGUMENTS` in the course folder; fail with its log if it fails."""
    result = subprocess.run([sys.executable, "-m", "nbgrader", *arguments], check=False,
                            cwd=root, env=environment, capture_output=True, text=True,
                            timeout=600)
    # nbgrader logs to stderr, and exits 1 when a notebook could not be processed
    assert result.returncode == 0, f"nbgrader {' '.join(arguments)}:\n{result.stderr[-3000:]}"


@pytest.fixture(scope="module")
def course(tmp_path_factory, graded_lab):
    """The course folder after generate_assignment and autograde of every lab, both students;
    its sources are the quick sources the kit grades (conftest.py), byte for byte."""
    root = tmp_path_factory.mktemp("course")
    environment = scratch_environment(tmp_path_factory.mktemp("scratch"))
    write_config(root)
    for lab in LABS:
        path = notebook_path(root, "source", lab)
        path.parent.mkdir(parents=True)
        path.write_bytes(graded_lab(lab).paths["solution"].read_bytes())
    nbgrader(root, environment, "generate_assignment", "*")
    for lab in LABS:
        handed_in = {"solution": notebook_path(root, "source", lab),
                     "stub": notebook_path(root, "release", lab)}
        for student, original in handed_in.items():
            path = notebook_path(root, "submitted", lab, student)
            path.parent.mkdir(parents=True)
            path.write_bytes(original.read_bytes())
    path = notebook_path(root, "submitted", TAMPERED_LAB, "tampered")
    path.parent.mkdir(parents=True)
    nbformat.write(tampered(course_source(root, TAMPERED_LAB)), path)
    nbgrader(root, environment, "autograde", "*")
    return root


def tampered(source):
    """The solution with its tests tampered with: the first exercise's first test cell deleted,
    the second exercise's answer replaced by its stub and its test cells by `pass`."""
    first, second = exercises(source)[:2]
    stub = next(cell.source for cell in release(source).cells if grade_id(cell) == second.grade_id)
    notebook = copy.deepcopy(source)
    notebook.cells = [cell for cell in notebook.cells if grade_id(cell) != first.tests[0]]
    for cell in notebook.cells:
        if grade_id(cell) == second.grade_id and is_solution(cell):
            cell.source = stub
        elif grade_id(cell) in second.tests:
            cell.source = "pass"
    return notebook


@pytest.fixture(scope="module", params=LABS, ids=[lab.name for lab in LABS])
def lab(request):
    return request.param


def nbgrader_scores(root, lab, student):
    """{test grade_id: (score, max_score)} for the code test cells, from nbgrader's gradebook."""
    with Gradebook(database_url(root), COURSE) as gradebook:
        notebook = gradebook.find_submission_notebook(lab.name, lab.name, student)
        return {grade.name: (grade.score, grade.max_score) for grade in notebook.grades
                if grade.cell.cell_type == "code"}


def kit_scores(grade):
    return {test.grade_id: (test.points, test.max_points)
            for exercise in grade.exercises for test in exercise.tests}


def test_nbgrader_gives_the_solution_full_marks(course, lab):
    scores = nbgrader_scores(course, lab, "solution")
    assert scores, "nbgrader found no test cells"
    assert {name: score for name, (score, most) in scores.items() if score != most} == {}


def test_nbgrader_gives_the_untouched_release_nothing(course, lab):
    scores = nbgrader_scores(course, lab, "stub")
    assert scores and all(most > 0 for _, most in scores.values())
    assert {name: score for name, (score, _) in scores.items() if score != 0} == {}


def cells_and_metadata(path):
    notebook = nbformat.read(path, as_version=4)
    return notebook.cells, notebook.metadata


@pytest.mark.parametrize("student", STUDENTS)
def test_the_kit_scores_each_test_cell_as_nbgrader_does(course, lab, graded_lab, student):
    graded = graded_lab(lab)
    # The kit graded the very notebook nbgrader graded: the stub is nbgrader's release, which is
    # the kit's cell for cell (test_nbgrader_releases_what_the_kit_releases).
    handed_in = notebook_path(course, "submitted", lab, student)
    assert cells_and_metadata(graded.paths[student]) == cells_and_metadata(handed_in)
    kit = getattr(graded, student)
    assert kit_scores(kit) == nbgrader_scores(course, lab, student)
    # The untouched release is no tampering to the kit. (nbgrader itself logs "checksum has
    # changed" for every test cell that had hidden tests: it compares with the checksum taken
    # before they were removed, then runs its stored cell all the same.)
    assert not kit.tampering, kit.noticed


@pytest.mark.parametrize("student", STUDENTS)
def test_under_nbgrader_only_the_stubs_raise(course, lab, student):
    graded = nbformat.read(notebook_path(course, "autograded", lab, student), as_version=4)
    errors = {output.ename for cell in graded.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"}
    assert errors == ({"NotImplementedError"} if student == "stub" else set())


def test_nbgrader_releases_what_the_kit_releases(course, lab):
    theirs = nbformat.read(notebook_path(course, "release", lab), as_version=4)
    ours = release(course_source(course, lab))
    assert theirs.metadata == ours.metadata
    assert [cell.cell_type for cell in theirs.cells] == [cell.cell_type for cell in ours.cells]
    for index, (their, our) in enumerate(zip(theirs.cells, ours.cells)):
        name = our.metadata.get("nbgrader", {}).get("grade_id", f"cell {index + 1}")
        assert their.source == our.source, f"{name}: the released source differs"
        # the nbgrader metadata holds the checksums by which tampering is noticed
        assert their.metadata == our.metadata, f"{name}: the released metadata differs"
        assert their == our, f"{name}: the released cell differs (id, outputs ...)"


def test_both_graders_run_the_labs_own_tests_whatever_was_handed_in(course):
    source = course_source(course, TAMPERED_LAB)
    first, second = exercises(source)[:2]
    kit = grade_submission(source, notebook_path(course, "submitted", TAMPERED_LAB, "tampered"),
                           "tampered", LIMITS, QUICK)
    scores = nbgrader_scores(course, TAMPERED_LAB, "tampered")
    assert kit_scores(kit) == scores
    deleted, *_ = scores[first.tests[0]]
    assert deleted > 0, "the deleted test was not put back and run"
    assert all(scores[name][0] == 0 for name in second.tests), "a gutted test passed a stub"
    assert kit.tampering
