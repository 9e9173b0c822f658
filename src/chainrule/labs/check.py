"""`chainrule lab check`: a student runs their own notebook headless and sees, exercise by
exercise, whether its visible tests pass, with the first failing line. Nothing is sandboxed or
re-inserted: it is their notebook, run as it stands in its own folder."""
import dataclasses
import pathlib

import nbformat

from chainrule.labs.assemble import parameters_cell
from chainrule.labs.execute import Limits, run_notebook
from chainrule.labs.source import PARAMETERS_TAG, exercises, grade_id, is_test


@dataclasses.dataclass
class Check:
    exercise: str
    title: str
    test: str
    outcome: str   # "passed", "not done yet", or the failure


def check_notebook(path, limits=None, parameters=None):
    """Run the notebook at path; return a Check per test cell, in order."""
    limits = limits or Limits()
    path = pathlib.Path(path)
    notebook = nbformat.read(path, as_version=4)
    if not any(is_test(cell) for cell in notebook.cells):
        raise ValueError(f"{path} has no test cells (cells with nbgrader metadata grade: true): "
                         "is it a chainrule lab?")
    if parameters:
        _inject(notebook, parameters)
    runs = {grade_id(cell): run for cell, run in
            zip(notebook.cells,
                               run_notebook(notebook, limits, sandboxed=False, folder=path.parent))}
    return [Check(exercise.grade_id, exercise.title, test, _outcome(runs[test]))
            for exercise in exercises(notebook) for test in exercise.tests]


def _outcome(run):
    return "passed" if run.passed else run.describe()


def _inject(notebook, parameters):
    for index, cell in enumerate(notebook.cells):
        if PARAMETERS_TAG in cell.metadata.get("tags", []):
            notebook.cells.insert(index + 1, parameters_cell(parameters))
            return
    raise ValueError("the notebook has no cell tagged 'parameters' to set values after")
