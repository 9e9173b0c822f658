"""Grading: each submission assembled with the lab's own tests, run in its own sandboxed kernel,
and scored as nbgrader scores: a test cell that runs without error earns its points, one that
fails earns none. A test also earns nothing when the check run after it finds the checks
tampered with. One bad submission (unreadable, endless, crashing) never stops the others."""
import dataclasses
import pathlib
import time
import warnings

import nbformat

from chainrule.labs.assemble import TEST_PREFIX_LINES, Notice, assemble
from chainrule.labs.execute import Limits, run_notebook
from chainrule.labs.source import exercises, test_points


@dataclasses.dataclass
class TestResult:
    grade_id: str
    points: float
    max_points: float
    outcome: str          # "passed", or what went wrong


@dataclasses.dataclass
class ExerciseResult:
    grade_id: str
    title: str
    tests: list
    answered: bool        # whether the submission had this exercise's answer cell

    @property
    def points(self):
        return sum(test.points for test in self.tests)

    @property
    def max_points(self):
        return sum(test.max_points for test in self.tests)


@dataclasses.dataclass
class Grade:
    student: str
    path: pathlib.Path
    exercises: list
    noticed: list          # tampering and oddities, for a person to read
    seconds: float = 0.0
    notebook: object = None   # the executed grading notebook (hidden tests and all)

    @property
    def points(self):
        return sum(exercise.points for exercise in self.exercises)

    @property
    def max_points(self):
        return sum(exercise.max_points for exercise in self.exercises)

    @property
    def tampering(self):
        return any(notice.kind == "tampering" for notice in self.noticed)


def grade_submission(source, path, student, limits=None, parameters=None):
    """Grade the notebook at path against the lab whose source notebook is given."""
    limits = limits or Limits()
    began = time.monotonic()
    try:
        with warnings.catch_warnings():   # nbformat's per-cell notes (duplicate ids ...)
            warnings.simplefilter("ignore")
            submission = nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001 (not JSON, not a notebook ...: graded 0, said why)
        return _not_graded(source, path, student, f"could not read it as a notebook: {error}")
    try:
        assembly = assemble(source, submission, parameters)
        runs = run_notebook(assembly.notebook, limits)
    except Exception as error:  # noqa: BLE001 (one odd submission never stops the class's run)
        return _not_graded(source, path, student, f"the grader failed on it: "
                                                  f"{type(error).__name__}: {error}")
    outcomes = _test_outcomes(assembly, runs)
    noticed = assembly.noticed + _runtime_notices(assembly, runs)
    return Grade(student, pathlib.Path(path), _results(source, outcomes.get, assembly.missing),
                 noticed, time.monotonic() - began, assembly.notebook)


def _results(source, outcome, unanswered):
    """Each exercise's tests scored: a test's points if outcome(grade_id) is "passed", else 0."""
    points = test_points(source)
    return [ExerciseResult(exercise.grade_id, exercise.title,
                           [TestResult(name, points[name] if outcome(name) == "passed" else 0.0,
                                       points[name], outcome(name)) for name in exercise.tests],
                           exercise.grade_id not in unanswered)
            for exercise in exercises(source)]


def _test_outcomes(assembly, runs):
    """grade_id -> "passed" or why not, from the test cell's run and the check after it."""
    outcomes = {}
    for (role, name), run in zip(assembly.roles, runs):
        if role == "test":   # its line numbers as the student sees it, without the checks' import
            run = dataclasses.replace(run, line_number=max(run.line_number - TEST_PREFIX_LINES, 0))
            outcomes[name] = "passed" if run.passed else run.describe()
        elif role == "after" and not run.passed and outcomes.get(name) == "passed":
            outcomes[name] = f"failed: after the test ran, {run.describe()}"
    return outcomes


def _runtime_notices(assembly, runs):
    """Limits hit and tampering caught while the notebook ran, in cells that are not tests."""
    notices = []
    for (role, name), run in zip(assembly.roles, runs):
        where = f"{role} cell {name}" if name else (
            "an added cell" if role == "added" else f"the {role} cell")
        if run.status in ("timeout", "crashed", "skipped"):
            notices.append(Notice("limit", f"{where}: {run.describe()}"))
        elif run.ename == "Tampering":
            notices.append(Notice("tampering", f"{where}: {run.describe()}"))
        elif run.ename == "PermissionError" and "a graded submission may" in run.evalue:
            notices.append(Notice("refused", f"{where}: {run.describe()}"))
    return notices


def _not_graded(source, path, student, error):
    """0 on every test, and why: the file is no notebook, or grading it failed."""
    results = _results(source, lambda name: "not run: the notebook could not be graded",
                       {exercise.grade_id for exercise in exercises(source)})
    return Grade(student, pathlib.Path(path), results, [Notice("review", f"{path}: {error}")])


def student_names(paths):
    """A name per submission: the file's stem where stems differ (alice.ipynb, bob.ipynb), else the
    nearest folder whose names differ (nbgrader's submitted/<student>/<lab>/<lab>.ipynb), else
    the whole path."""
    paths = [pathlib.Path(p).resolve() for p in paths]
    for depth in range(min(len(p.parents) for p in paths)):
        names = [(p.stem if depth == 0 else p.parents[depth - 1].name) for p in paths]
        if len(set(names)) == len(names) and all(names):
            return names
    return [str(p) for p in paths]
