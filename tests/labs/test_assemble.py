"""The grading notebook the kit assembles, on every lab's untouched source (no kernel is run):
the parameters are injected right after the cell tagged "parameters", as papermill does, before
any other cell of the lab uses them. (test_labs grades the quick sources, whose parameters cell already
says QUICK = True: this is what makes `chainrule lab grade --set QUICK=True` quick on the others.)"""
import pytest

from chainrule.labs.assemble import assemble
from chainrule.labs.release import release
from chainrule.labs.source import PARAMETERS_TAG, find_labs, grade_id

LABS = find_labs()


@pytest.mark.parametrize("lab", LABS, ids=[lab.name for lab in LABS])
@pytest.mark.parametrize("handed_in", ["solution", "release"])
def test_the_parameters_follow_the_parameters_cell(lab, handed_in):
    source = lab.notebook()
    submission = source if handed_in == "solution" else release(source)
    assembly = assemble(source, submission, {"QUICK": True, "SEED": 3})
    roles = [kind for kind, _ in assembly.roles]
    assert roles.count("parameters") == 1
    at = roles.index("parameters")
    before, injected = assembly.notebook.cells[at - 1], assembly.notebook.cells[at]
    assert PARAMETERS_TAG in before.metadata.get("tags", []) and "QUICK = False" in before.source
    assert injected.source.splitlines()[-2:] == ["QUICK = True", "SEED = 3"]
    assert injected.metadata["tags"] == ["injected-parameters"]
    assert grade_id(before) == "parameters"
    assert not any("QUICK" in cell.source for cell in assembly.notebook.cells[:at - 1])


def test_no_parameters_no_injected_cell():
    source = LABS[0].notebook()
    assert "parameters" not in [kind for kind, _ in assemble(source, source).roles]
