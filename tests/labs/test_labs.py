"""Every lab in labs/, as `make test` promises: its source keeps the kit's rules, its solution
(QUICK = True, in the parameters cell and injected after it) earns full marks, and its student
release earns 0 on every exercise while failing only with the stubs' NotImplementedError. The
grades are the session's (conftest.py), which test_nbgrader compares with nbgrader's; that the
untouched source gets QUICK injected after its parameters cell is test_assemble's."""
import pathlib
import re

import pytest

from chainrule.labs.release import release
from chainrule.labs.source import PARAMETERS_TAG, find_labs, is_solution, is_test

LABS = find_labs()


@pytest.fixture(scope="module", params=LABS, ids=[lab.name for lab in LABS])
def lab(request):
    return request.param


@pytest.fixture(scope="module")
def graded(lab, graded_lab):
    """The lab's solution and its release, each graded once a session (conftest.py)."""
    grades = graded_lab(lab)
    return grades.solution, grades.stub


def test_there_are_the_lectures_eight_labs():
    assert [lab.name[:2] for lab in LABS][:8] == [f"0{n}" for n in range(1, 9)]


def test_a_lab_has_a_readme_with_its_measured_time_and_a_parameters_cell(lab):
    readme = (lab.folder / "README.md").read_text()
    assert re.search(r"\d+(\.\d+)?\s*(s|seconds|min)", readme), "the README gives no run time"
    cells = lab.notebook().cells
    assert any(PARAMETERS_TAG in cell.metadata.get("tags", []) for cell in cells)
    assert "QUICK" in next(c.source for c in cells if PARAMETERS_TAG in c.metadata.get("tags", []))


def test_every_exercise_has_visible_and_hidden_tests_and_points(lab):
    notebook = lab.notebook()
    exercises = lab.exercises()
    assert len(exercises) >= 4 and all(exercise.points > 0 for exercise in exercises)
    tests = [cell for cell in notebook.cells if is_test(cell)]
    assert all("### BEGIN HIDDEN TESTS" in cell.source for cell in tests)
    assert all(_visible(cell.source).strip() for cell in tests), "a test shows the student nothing"


def test_the_source_stores_no_outputs_and_copies_no_library_code(lab):
    text = lab.source.read_text()
    assert '"outputs"' not in text and "execution_count" not in text
    assert not re.search(r"^\s*(class \w+\(Function\)|from chainrule\.ops)", text, re.MULTILINE)


def test_the_solution_earns_full_marks(graded):
    solution, _ = graded
    failed = {test.grade_id: test.outcome for exercise in solution.exercises
              for test in exercise.tests if test.outcome != "passed"}
    assert failed == {}
    assert solution.points == solution.max_points > 0
    assert not solution.tampering, solution.noticed


def test_the_release_earns_nothing_and_fails_only_with_the_stubs(graded):
    _, student = graded
    assert student.points == 0
    assert all(exercise.points == 0 for exercise in student.exercises)
    errors = [(cell.source.splitlines()[0], output.ename) for cell in student.notebook.cells
              if cell.cell_type == "code" for output in cell.get("outputs", [])
              if output.output_type == "error"]
    assert errors and {ename for _, ename in errors} == {"NotImplementedError"}, errors
    assert not [n for n in student.noticed if n.kind in ("limit", "tampering", "refused")]


def test_the_release_stubs_every_answer_and_drops_every_hidden_test(lab):
    student = release(lab.notebook())
    answers = [cell for cell in student.cells if is_solution(cell) and cell.cell_type == "code"]
    assert answers and all("raise NotImplementedError()" in cell.source for cell in answers)
    assert not any("BEGIN SOLUTION" in cell.source or "HIDDEN TESTS" in cell.source
                   for cell in student.cells)


def _visible(source):
    return source.split("### BEGIN HIDDEN TESTS")[0]


def test_the_labs_folder_is_the_repositorys():
    assert LABS and LABS[0].folder.parent == pathlib.Path(__file__).parents[2] / "labs"
