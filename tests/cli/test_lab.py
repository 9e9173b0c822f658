"""`chainrule lab`, used as a student and an instructor use it: list the labs, release one, fill
one exercise rightly and one wrongly, check it, grade it; and bad arguments refused in one line."""
import csv

import nbformat
import pytest

from chainrule.cli import main
from chainrule.labs.source import grade_id

RIGHT = "def poly_features(x, degree):\n    return torch.stack([x ** j for j in range(degree + 1)], dim=1)"
WRONG = "def poly_features(x, degree):\n    return torch.stack([x ** j for j in range(degree)], dim=1)"


def fill(path, answer):
    """The release at path with the poly_features answer cell replaced by answer."""
    notebook = nbformat.read(path, as_version=4)
    next(c for c in notebook.cells if grade_id(c) == "poly_features").source = answer
    filled = path.with_name(f"{path.stem}_{len(answer)}.ipynb")
    nbformat.write(notebook, filled)
    return filled


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    assert main(["lab", "release", "01", "--out", str(out)]) == 0
    return out / "01_curve_fitting.ipynb"


def test_list_shows_every_lab_its_exercises_and_points(capsys):
    assert main(["lab", "list"]) == 0
    text = capsys.readouterr().out
    assert "01_curve_fitting  (7 exercises, 18 points)" in text
    assert "02_backprop" in text and "03_training" in text
    assert "    poly_features " in text


def test_check_shows_the_passing_the_failing_line_and_the_not_done(released, capsys):
    assert main(["lab", "check", str(fill(released, RIGHT)), "--set", "QUICK=True"]) == 1
    text = capsys.readouterr().out
    assert "    poly_features_tests: passed" in text
    assert "    fit_least_squares_tests: not done yet (the stub raises NotImplementedError)" in text
    assert main(["lab", "check", str(fill(released, WRONG)), "--set", "QUICK=True"]) == 1
    text = capsys.readouterr().out
    assert ("poly_features_tests: AssertionError: poly_features(zeros(5), 3): shape (5, 3), "
            "expected (5, 4) (line 1: check_shape(poly_features(torch.zeros(5), 3)") in text
    assert "0 of 7 visible tests pass; the hidden tests are run when it is graded" in text


def test_grade_writes_the_gradebook_and_feedback(released, tmp_path, capsys):
    right, wrong = fill(released, RIGHT), fill(released, WRONG)
    out = tmp_path / "grades"
    assert main(["lab", "grade", "--lab", "01", "--set", "QUICK=True", "--out", str(out),
                 str(right), str(wrong)]) == 0
    rows = list(csv.DictReader((out / "gradebook.csv").open()))
    assert [(r["student"], r["poly_features"], r["total"], r["max"]) for r in rows] == [
        (right.stem, "2", "2", "18"), (wrong.stem, "0", "0", "18")]
    feedback = (out / "feedback" / f"{wrong.stem}.txt").read_text()
    assert f"{wrong.stem}: 0 / 18 points" in feedback
    assert "poly_features_tests: AssertionError: poly_features(zeros(5), 3): shape (5, 3)" in feedback
    assert "BEGIN HIDDEN" not in feedback
    assert (out / "executed" / f"{right.stem}.ipynb").is_file()
    assert "tampering" not in capsys.readouterr().out


BAD = [
    (["lab", "release", "99"], "no lab '99'; the labs are: 01_curve_fitting"),
    (["lab", "grade", "--lab", "01", "missing.ipynb"], "no such file: missing.ipynb"),
    (["lab", "check", "missing.ipynb"], "missing.ipynb"),
    (["lab", "list", "--labs", "nowhere"], None),
]


@pytest.mark.parametrize("argv, message", BAD)
def test_bad_arguments_are_refused_in_one_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if argv[1] == "list":   # --labs belongs to `lab`, before the action
        argv = ["lab", "--labs", "nowhere", "list"]
        message = "no labs folder at nowhere"
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"chainrule lab {argv[-1] if argv[1] == '--labs' else argv[1]}: error: ")
    assert message in error and error.count("\n") == 1


@pytest.mark.parametrize("argv", [["lab", "check", "x.ipynb", "--set", "1=2"],
                                  ["lab", "grade", "--lab", "01", "x.ipynb", "--memory", "1K"],
                                  ["lab", "check", "x.ipynb", "--timeout", "-1"]])
def test_bad_options_are_refused_by_argparse(argv, capsys):
    with pytest.raises(SystemExit) as exit:
        main(argv)
    assert exit.value.code == 2 and "error: argument" in capsys.readouterr().err


def test_grade_refuses_the_same_file_twice_and_an_unwritable_out_before_any_work(
        released, tmp_path, capsys):
    assert main(["lab", "grade", "--lab", "01", str(released), str(released)]) == 2
    assert "the same submission given twice" in capsys.readouterr().err
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["lab", "grade", "--lab", "01", "--out", str(blocker), str(released)]) == 2
    assert "cannot write the results in" in capsys.readouterr().err
