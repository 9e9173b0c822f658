"""The student's notebook, made from the instructor's by nbgrader's own preprocessors, in the
order `nbgrader generate_assignment` runs them: solutions become stubs that raise
NotImplementedError, hidden tests go, outputs go, and every test and locked cell gets the
checksum by which tampering is noticed when it comes back."""
import copy

import nbformat
from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearOutput,
                                    ClearSolutions, ComputeChecksums, LockCells)

from chainrule.utils.files import write_atomically

RELEASE_STEPS = (LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ClearHiddenTests,
                 ComputeChecksums, CheckCellMetadata)


def release(notebook):
    """A student copy of notebook (the source is left as it was)."""
    student, resources = copy.deepcopy(notebook), {}
    for step in RELEASE_STEPS:
        student, resources = step().preprocess(student, resources)
    return student


def write_release(lab, folder):
    """Write lab's student notebook into folder as NN_topic.ipynb; return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{lab.name}.ipynb"
    student = release(lab.notebook())
    write_atomically(path, lambda temporary: nbformat.write(student, temporary), "lab release")
    return path
