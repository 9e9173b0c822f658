"""A lab's source: `labs/NN_topic/NN_topic.py`, a notebook in jupytext's percent format whose
cells carry nbgrader's metadata. Here it is found, read, checked, and listed as exercises.

An exercise is a solution cell (`solution: true`) and the test cells (`grade: true`, with points)
that follow it up to the next solution cell; its title is the last markdown heading above it."""
import dataclasses
import os
import pathlib
import re

import jupytext

KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
PARAMETERS_TAG = "parameters"   # papermill's tag for the cell that injected values follow
_LAB_FOLDER = re.compile(r"(\d\d)_[a-z0-9_]+")
_POINTS = re.compile(r"\s*\(\d+(\.\d+)? points?\)$")   # "Exercise 1: ... (2 points)": said apart


class LabError(Exception):
    """A lab that cannot be found, or a source whose cells break nbgrader's rules."""


@dataclasses.dataclass(frozen=True)
class Exercise:
    grade_id: str
    title: str
    tests: tuple      # grade_ids of its test cells
    points: float


@dataclasses.dataclass(frozen=True)
class Lab:
    number: str       # "01"
    name: str         # "01_curve_fitting"
    folder: pathlib.Path

    @property
    def source(self):
        return self.folder / f"{self.name}.py"

    def notebook(self):
        """The instructor's notebook (solutions and hidden tests), checked."""
        return read_source(self.source)

    def exercises(self):
        return exercises(self.notebook())


def labs_folder():
    """Where the labs are: $CHAINRULE_LABS, else the repository's labs/ beside src/, else ./labs."""
    if os.environ.get("CHAINRULE_LABS"):
        return pathlib.Path(os.environ["CHAINRULE_LABS"])
    beside_source = pathlib.Path(__file__).resolve().parents[3] / "labs"
    return beside_source if beside_source.is_dir() else pathlib.Path("labs")


def find_labs(folder=None):
    """Every lab in folder (default labs_folder()), in number order."""
    folder = pathlib.Path(folder) if folder is not None else labs_folder()
    if not folder.is_dir():
        raise LabError(f"no labs folder at {folder} (set CHAINRULE_LABS to the folder of labs)")
    found = [Lab(match.group(1), path.name, path) for path in sorted(folder.iterdir())
             if path.is_dir() and (match := _LAB_FOLDER.fullmatch(path.name))]
    return [lab for lab in found if lab.source.is_file()]


def find_lab(key, folder=None):
    """The lab named by key: its number ("1", "01") or its folder name ("01_curve_fitting")."""
    labs = find_labs(folder)
    for lab in labs:
        by_number = key.isdigit() and int(key) == int(lab.number)
        if key in (lab.name, lab.number, lab.name[3:]) or by_number:
            return lab
    known = ", ".join(lab.name for lab in labs) or "none"
    raise LabError(f"no lab {key!r}; the labs are: {known}")


def read_source(path):
    """The notebook of a percent-format source, checked against nbgrader's cell rules."""
    notebook = jupytext.read(path)
    notebook.metadata.pop("jupytext", None)
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    for index, cell in enumerate(notebook.cells):
        cell.metadata.pop("lines_to_next_cell", None)
        # jupytext invents random ids; these make a release the same file every time
        cell.id = f"{grade_id(cell)}" if grade_id(cell) else f"cell-{index + 1}"
    problems = cell_problems(notebook)
    if problems:
        raise LabError(f"{path}: " + "; ".join(problems))
    return notebook


def nbgrader_metadata(cell):
    """A cell's nbgrader metadata; {} where a (submitted) cell holds something else there."""
    metadata = cell.get("metadata", {})
    found = metadata.get("nbgrader", {}) if isinstance(metadata, dict) else {}
    return found if isinstance(found, dict) else {}


def is_solution(cell):
    return bool(nbgrader_metadata(cell).get("solution"))


def is_test(cell):
    return bool(nbgrader_metadata(cell).get("grade")) and cell.cell_type == "code"


def grade_id(cell):
    found = nbgrader_metadata(cell).get("grade_id")
    return found if isinstance(found, str) else None


def cell_problems(notebook):
    """What breaks the kit's rules (nbgrader's, plus: every code cell says what it is, and every
    exercise has tests): a list of messages, empty when the source is sound."""
    problems, seen, current = [], set(), None
    for index, cell in enumerate(notebook.cells):
        meta, where = nbgrader_metadata(cell), f"cell {index + 1}"
        if cell.cell_type == "code" and not meta:
            problems.append(f"{where} is a code cell without nbgrader metadata")
            continue
        if not meta:
            continue
        name = meta.get("grade_id")
        if not name or name in seen:
            problems.append(f"{where}: grade_id {name!r} is {'repeated' if name else 'missing'}")
        seen.add(name)
        if is_solution(cell):
            if cell.cell_type == "code" and "### BEGIN SOLUTION" not in cell.source:
                problems.append(f"{where} ({name}): a solution cell without ### BEGIN SOLUTION")
            current = name
        elif is_test(cell):
            if "points" not in meta:
                problems.append(f"{where} ({name}): a test cell without points")
            if current is None:
                problems.append(f"{where} ({name}): a test cell before any solution cell")
    return problems + [f"exercise {name} has no test cell"
                       for name, tests in _exercise_tests(notebook) if not tests]


def _exercise_tests(notebook):
    """(solution grade_id, [test grade_ids]) for each exercise, in order."""
    found = []
    for cell in notebook.cells:
        if is_solution(cell) and cell.cell_type == "code":
            found.append((grade_id(cell), []))
        elif is_test(cell) and found:
            found[-1][1].append(grade_id(cell))
    return found


def test_points(notebook):
    """grade_id -> points, for every test cell of notebook."""
    return {grade_id(c): float(nbgrader_metadata(c).get("points", 0))
            for c in notebook.cells if is_test(c)}


def exercises(notebook):
    """The notebook's exercises, each with its tests and points."""
    points = test_points(notebook)
    titles = _titles(notebook)
    return [Exercise(name, titles.get(name, name), tuple(tests), sum(points[t] for t in tests))
            for name, tests in _exercise_tests(notebook)]


def _titles(notebook):
    """Each solution cell's title: the last markdown heading above it."""
    titles, heading = {}, None
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            headings = [line for line in cell.source.splitlines() if line.startswith("#")]
            heading = _POINTS.sub("", headings[-1].lstrip("#").strip()) if headings else heading
        elif is_solution(cell):
            titles[grade_id(cell)] = heading or grade_id(cell)
    return titles
