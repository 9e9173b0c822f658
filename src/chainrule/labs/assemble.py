"""The notebook that grades a submission, put together from the lab's source: every cell is the
source's except the student's answers. Test cells come back with their hidden tests whatever the
submission holds, so an edited or deleted test changes nothing; the edit is reported, as nbgrader
reports a changed checksum. Cells the student added (helpers, scratch work) keep their place.

The grader adds: a first cell that arms the kernel's guard, the parameters (after the cell tagged
"parameters", as papermill does), a marker line atop every code cell saying what it is (the
guard knows the cells by it: what the lab's own cells define is protected, a test cell must
arrive as written), and around each test cell a fresh import of the checks before it and a
check for tampering after it."""
import copy
import dataclasses
import re

from nbformat.v4 import new_code_cell
from nbgrader.utils import compute_checksum

from chainrule.labs.guard import ARM_EVENT, marker
from chainrule.labs.release import release
from chainrule.labs.source import PARAMETERS_TAG, grade_id, is_solution, is_test

CHECKS_IMPORT = ("from chainrule.labs.checks import check_close, check_equal, check_shape, "
                 "check_true")
TEST_PREFIX_LINES = 2   # the marker and the import, above a test cell's own code
# Names whose use in an answer a person should look at: they reach the interpreter's machinery.
SUSPICIOUS = re.compile(r"\b(ctypes|gc|inspect|importlib|builtins|__builtins__|get_ipython|"
                        r"sys\.modules|sys\.audit|setattr|exec|eval|compile|__import__|"
                        r"chainrule\.labs|subprocess|os\.system|signal)\b")


@dataclasses.dataclass(frozen=True)
class Notice:
    """Something seen while grading: kind is "tampering" (a test, a locked cell or the checks
    touched), "limit" (time or memory), "refused" (the guard stopped a write, a process ...), or
    "review" (worth a person's look; no effect on points)."""
    kind: str
    text: str

    def __str__(self):
        return f"{self.kind}: {self.text}"


@dataclasses.dataclass
class Assembly:
    notebook: object          # the notebook to run
    roles: list               # per cell: (kind, grade_id): ("test", id), ("answer", id) ...
    noticed: list             # tampering and oddities, for the feedback
    missing: set              # exercises whose answer cell was not found (graded as stubs)


def assemble(source, submission, parameters=None):
    """The grading notebook for submission (a notebook) of the lab whose source is given."""
    student = release(source)
    answers, extras, noticed = _read_submission(student, submission, source)
    cells = [new_code_cell(f'{marker("grader")}\nimport sys\nsys.audit("{ARM_EVENT}")')]
    roles = [("grader", None)]
    missing = set()

    def add(cell, role):
        kind, name = role
        if cell.cell_type == "code":   # the guard knows each cell by its first line
            cell.source = f"{marker(kind, name)}\n{cell.source}"
        cells.append(cell)
        roles.append(role)

    for cell in extras.get(None, []):
        add(cell, ("added", None))
    for cell in source.cells:
        name = grade_id(cell)
        if is_solution(cell):
            answer = copy.deepcopy(cell)
            if name in answers:
                answer.source = answers[name].source
            else:
                answer.source = _stub(student, name)
                missing.add(name)
            add(answer, ("answer", name))
        elif is_test(cell):
            test = copy.deepcopy(cell)
            test.source = f"{CHECKS_IMPORT}\n{cell.source}"
            add(test, ("test", name))
            add(new_code_cell("pass"), ("after", name))
        else:
            add(copy.deepcopy(cell), ("lab", name))
        if PARAMETERS_TAG in cell.metadata.get("tags", []) and parameters:
            add(parameters_cell(parameters), ("parameters", None))
        for extra in extras.get(name, []) if name else []:
            add(extra, ("added", None))
    graded = copy.deepcopy(source)
    graded.cells = cells
    return Assembly(graded, roles, noticed, missing)


def parameters_cell(parameters):
    """papermill's injected-parameters cell: one assignment per name."""
    lines = ["# Parameters injected by chainrule lab"]
    lines += [f"{name} = {value!r}" for name, value in parameters.items()]
    cell = new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    return cell


def _read_submission(student, submission, source):
    """The answers by grade_id, the added cells by the grade_id they follow, and what was noticed
    (checksums compared with the release's, as nbgrader does; the instructor's own notebook,
    hidden tests and all, is no tampering either)."""
    expected = {grade_id(cell): cell for cell in student.cells if grade_id(cell)}
    originals = {grade_id(cell): compute_checksum(cell) for cell in source.cells if grade_id(cell)}
    answers, extras, noticed, seen, previous = {}, {}, [], set(), None
    for cell in submission.cells:
        name = grade_id(cell)
        if name in expected and name not in seen:
            seen.add(name)
            released = expected[name]
            if is_solution(released):
                answers[name] = cell
                noticed.extend(_suspicious(cell, name))
            elif _checksum(cell) not in (compute_checksum(released), originals[name]):
                noticed.append(Notice("tampering",
                                      f"the locked cell {name} was edited (the original was run)"))
            previous = name
        elif cell.cell_type == "code":   # added by the student (or a copy): run where it stands
            if name:
                why = "again: a copy?" if name in seen else "unknown to the lab"
                noticed.append(Notice("review", f"a cell claims grade_id {name!r} ({why}); it "
                                                "was run as a cell the student added"))
            extras.setdefault(previous, []).append(_plain(cell))
            noticed.extend(_suspicious(cell, "an added cell"))
    if not seen:
        noticed.append(Notice("review", "none of the lab's cells are in this notebook: is it this "
                                        "lab's? Every answer was graded as not done"))
        return answers, extras, noticed
    for name in (name for name in expected if name not in seen):
        if is_solution(expected[name]):
            noticed.append(Notice("review", f"the answer cell {name} is missing (graded as "
                                            "not done)"))
        else:
            noticed.append(Notice("tampering", f"the locked cell {name} was deleted (restored)"))
    return answers, extras, noticed


def _checksum(cell):
    """nbgrader's checksum of a submitted cell, or None where its metadata makes no sense."""
    try:
        return compute_checksum(cell)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


def _plain(cell):
    """An added cell, stripped of any nbgrader metadata it claims."""
    return new_code_cell(cell.source)


def _stub(student, name):
    return next(cell.source for cell in student.cells if grade_id(cell) == name)


def _suspicious(cell, where):
    found = sorted(set(SUSPICIOUS.findall(cell.source)))
    if not found:
        return []
    return [Notice("review", f"{where} uses {', '.join(found)}: worth a look by a person")]
