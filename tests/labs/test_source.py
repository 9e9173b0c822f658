"""Finding labs and reading their sources: numbers and names resolve, exercises gather their
tests and points, and a source breaking nbgrader's rules is refused with every reason."""
import pytest

from chainrule.labs.source import LabError, exercises, find_lab, find_labs, read_source

HEADER = ('# %% nbgrader={{"grade": {grade}, "grade_id": "{name}", "locked": {locked}, '
          '"schema_version": 3, "solution": {solution}{points}}}\n')


def cell(kind, name, body, points=2):
    """A percent-format code cell of kind answer, test or locked."""
    flags = {"answer": ("false", "false", "true", ""),
             "test": ("true", "true", "false", f', "points": {points}'),
             "locked": ("false", "true", "false", "")}[kind]
    grade, locked, solution, extra = flags
    return HEADER.format(grade=grade, name=name, locked=locked, solution=solution,
                         points=extra) + body + "\n\n"


ANSWER = "def f(x):\n    ### BEGIN SOLUTION\n    return x\n    ### END SOLUTION"
GOOD = ("# %% [markdown]\n# # Lab\n# ## First: the identity\n\n"
        + cell("locked", "setup", "x = 1")
        + cell("answer", "f", ANSWER)
        + cell("test", "f_visible", "assert f(1) == 1", 1)
        + cell("test", "f_hidden", "### BEGIN HIDDEN TESTS\nassert f(2) == 2\n### END HIDDEN TESTS", 2))


def write_lab(folder, name, text):
    (folder / name).mkdir(parents=True)
    path = folder / name / f"{name}.py"
    path.write_text(text)
    return path


def test_exercises_gather_the_tests_below_them_with_their_points(tmp_path):
    [exercise] = exercises(read_source(write_lab(tmp_path, "01_demo", GOOD)))
    assert (exercise.grade_id, exercise.tests, exercise.points) == ("f", ("f_visible", "f_hidden"), 3)
    assert exercise.title == "First: the identity"


def test_a_lab_is_found_by_number_or_name_and_only_labs_are_listed(tmp_path):
    write_lab(tmp_path, "02_second", GOOD)
    write_lab(tmp_path, "01_first", GOOD)
    (tmp_path / "notes").mkdir()
    (tmp_path / "03_empty").mkdir()   # no source notebook: not a lab
    assert [lab.name for lab in find_labs(tmp_path)] == ["01_first", "02_second"]
    for key in ("1", "01", "01_first", "first"):
        assert find_lab(key, tmp_path).name == "01_first"
    with pytest.raises(LabError, match="no lab '7'; the labs are: 01_first, 02_second"):
        find_lab("7", tmp_path)
    with pytest.raises(LabError, match="no labs folder"):
        find_labs(tmp_path / "missing")


BROKEN = [
    ("x = 1\n", "without nbgrader metadata"),
    (cell("answer", "f", "def f(x):\n    return x"), "a solution cell without ### BEGIN SOLUTION"),
    (cell("locked", "setup", "y = 2"), "grade_id 'setup' is repeated"),
    (cell("answer", "g", ANSWER.replace("f(", "g(")), "exercise g has no test cell"),
    (HEADER.format(grade="true", name="t", locked="true", solution="false", points="")
     + "assert True\n", "a test cell without points"),
]


@pytest.mark.parametrize("extra, message", BROKEN)
def test_a_source_breaking_the_rules_is_refused_with_the_reason(tmp_path, extra, message):
    path = write_lab(tmp_path, "01_bad", GOOD + _as_cell(extra))
    with pytest.raises(LabError, match=message):
        read_source(path)


def test_a_test_before_any_answer_is_refused(tmp_path):
    path = write_lab(tmp_path, "01_bad", cell("test", "t", "assert True") + GOOD)
    with pytest.raises(LabError, match="a test cell before any solution cell"):
        read_source(path)


def _as_cell(text):
    return text if text.startswith("# %%") else "# %%\n" + text
