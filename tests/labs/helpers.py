"""What the lab tests share: the quick setting and the grader's limits, and each lab's quick
source (its parameters cell set to QUICK = True, the form nbgrader must be given) with its kit
release, each graded by the kit once a session (the fixture graded_lab in conftest.py)."""
import functools

import nbformat

from chainrule.labs.execute import Limits
from chainrule.labs.grade import grade_submission
from chainrule.labs.release import release
from chainrule.labs.source import PARAMETERS_TAG

QUICK = {"QUICK": True}   # injected after the parameters cell as well, as `chainrule lab` does
LIMITS = Limits(cell_seconds=120, total_seconds=300)


def quick_source(lab):
    """The lab's instructor notebook with its parameters cell set to the quick setting."""
    notebook = lab.notebook()
    for cell in notebook.cells:
        if PARAMETERS_TAG in cell.metadata.get("tags", []):
            cell.source = "QUICK = True"
    return notebook


class GradedLab:
    """A lab's quick source, handed in by the student "solution", and the kit's release of it,
    handed in by "stub": written into folder at once, each graded by the kit when first asked.
    test_labs checks these grades; test_nbgrader hands nbgrader these very files."""

    def __init__(self, lab, folder):
        self.paths = {"solution": folder / f"{lab.name}.ipynb",
                      "stub": folder / f"{lab.name}_release.ipynb"}
        nbformat.write(quick_source(lab), self.paths["solution"])
        nbformat.write(release(self.notebook()), self.paths["stub"])

    def notebook(self):
        """The quick source read back (jupytext gives cells new random ids on every read)."""
        return nbformat.read(self.paths["solution"], as_version=4)

    @functools.cached_property
    def solution(self):
        return grade_submission(self.notebook(), self.paths["solution"], "solution", LIMITS, QUICK)

    @functools.cached_property
    def stub(self):
        return grade_submission(self.notebook(), self.paths["stub"], "stub", LIMITS, QUICK)
