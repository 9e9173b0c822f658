"""`chainrule curvefit`: the book's table from the book's points, the tables and figures from
generated data, and every bad data file refused in one line with exit code 2."""
import math
import re
import subprocess
import sys

import matplotlib.image
import pytest

from chainrule.cli import main

BOOK_POINTS = "examples/data/prml_curvefitting.csv"


@pytest.fixture(scope="module")
def default_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = subprocess.run([sys.executable, "-m", "chainrule", "curvefit", "--out", str(out)],
                            capture_output=True, text=True, timeout=120)
    return result, out


def _row(text, name):
    return re.search(rf"^{re.escape(name)}\s+(.*)$", text, re.MULTILINE).group(1).split()


def test_the_books_points_give_table_1_1(capsys, tmp_path):
    assert main(["curvefit", "--data", BOOK_POINTS, "--out", str(tmp_path)]) == 0
    table = capsys.readouterr().out.split("Table 1.2")[0]
    assert _row(table, "w0*") == ["0.19", "0.82", "0.31", "0.35"]
    assert _row(table, "w1*") == ["-1.27", "7.99", "232.37"]
    assert _row(table, "w3*") == ["17.37", "48568.31"]
    # the book prints -231639.30 and 125201.43: its t has six decimals, so the last digit moves
    assert _row(table, "w9*") == ["125201.45"] and _row(table, "w4*") == ["-231639.31"]


def test_defaults_print_the_tables_and_choose_m(default_run):
    result, _ = default_run
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for heading in ("Table 1.1", "Table 1.2", "E_RMS = sqrt(2 E(w*) / N)", "chosen M =",
                    "test E_RMS of M ="):
        assert heading in out
    rows = re.findall(r"^\s*(\d)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)$", out, re.MULTILINE)
    assert [int(r[0]) for r in rows] == list(range(10))
    train = [float(r[1]) for r in rows]
    test = [float(r[3]) for r in rows]
    assert all(b <= a + 1e-4 for a, b in zip(train, train[1:])) and train[9] < 1e-4
    assert 3 <= test.index(min(test)) <= 8 and test.index(max(test)) == 9
    for chosen in re.findall(r"chosen M = (\d+)", out):
        assert 3 <= int(chosen) <= 8


def test_defaults_write_every_figure(default_run):
    result, out = default_run
    names = sorted(p.name for p in out.glob("*.png"))
    assert names == ["fig1_17_predictive_band.png", "fig1_4_fits_by_degree.png",
                     "fig1_5_rms_by_degree.png", "fig1_6_fits_by_data_size.png",
                     "fig1_7_fits_by_ln_lambda.png", "fig1_8_rms_by_ln_lambda.png",
                     "validation_curve.png"]
    for name in names:
        image = matplotlib.image.imread(out / name)
        assert image.shape[0] > 300 and image.std() > 0.01, name
        assert name in result.stdout


def test_options_are_read(capsys, tmp_path):
    assert main(["curvefit", "--n", "15", "--degrees", "0,1,3,5", "--ln-lambda", "-10",
                 "--seed", "4", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "15 training points" in out and "seed 4" in out and "ln λ = -10" in out
    assert "M = 5" in out and "M = 9" not in out


GOOD = "x,t\n0,0\n0.25,1\n0.5,0\n0.75,-1\n1,0\n"


@pytest.mark.parametrize("content, message", [
    ("x,t\n0,0\n0.5,1,2\n", r"line 3: expected 2 columns \(x,t\), got 3"),
    ("x,t\n0,0\n0.5\n", r"line 3: expected 2 columns \(x,t\), got 1"),
    ("0,0\n0.5,abc\n", r"line 2: 'abc' in column t is not a number"),
    ("0,0\n0.5,1\nnan,1\n", r"line 3: nan in column x is not a finite number"),
    ("", r"is empty"),
    ("x,t\n0,0\n1,1\n", r"has 2 points, fewer than the 10 needed"),
    ("".join(f"{i}e40,{i}\n" for i in range(1, 12)), r"makes x\^9 about 1e369, past what "
                                                      r"float64 can fit; rescale x"),
    ("".join(f"0.{i},{i}e200\n" for i in range(1, 12)), r"t up to 1.1e\+201 is past what "
                                                        r"float64 can square; rescale t"),
])
def test_a_bad_file_gets_one_line_and_exit_code_2(tmp_path, capsys, content, message):
    path = tmp_path / "data.csv"
    path.write_text(content)
    assert main(["curvefit", "--data", str(path), "--out", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert re.search(message, captured.err) and captured.err.count("\n") == 1
    assert str(path) in captured.err and "Traceback" not in captured.err


def test_a_missing_file_from_the_command_line(tmp_path):
    result = subprocess.run([sys.executable, "-m", "chainrule", "curvefit", "--data",
                             str(tmp_path / "nope.csv")], capture_output=True, text=True)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip() == f"chainrule curvefit: error: cannot read {tmp_path / 'nope.csv'}: no such file"


def test_own_data_gets_the_tables_and_figures(tmp_path, capsys):
    path = tmp_path / "mine.csv"
    path.write_text(GOOD)
    assert main(["curvefit", "--data", str(path), "--degrees", "0-3", "--out",
                 str(tmp_path / "figs")]) == 0
    out = capsys.readouterr().out
    assert "5 points read from" in out and "test E_RMS" not in out
    assert not (tmp_path / "figs" / "fig1_6_fits_by_data_size.png").exists()
    assert (tmp_path / "figs" / "fig1_4_fits_by_degree.png").exists()


def test_x_symmetric_about_zero_samples_fine(tmp_path, capsys):
    # the engine's Hessian there has -1e-12 where 0 is exact: the mass matrix must accept it
    path = tmp_path / "symmetric.csv"
    x = [-1.5 + 3 * i / 11 for i in range(12)]
    path.write_text("".join(f"{v!r},{math.sin(v)!r}\n" for v in x))
    assert main(["curvefit", "--data", str(path), "--out", str(tmp_path)]) == 0
    assert "HMC   1000 draws" in capsys.readouterr().out


def test_data_far_from_the_books_scale_skips_only_the_bayesian_part(tmp_path, capsys):
    path = tmp_path / "years.csv"
    path.write_text("".join(f"{1990 + i},{i % 4}\n" for i in range(30)))
    assert main(["curvefit", "--data", str(path), "--degrees", "0-3", "--out",
                 str(tmp_path)]) == 0
    assert "The Bayesian comparison is skipped: with |x| up to 2.02e+03" in capsys.readouterr().out
    assert not (tmp_path / "fig1_17_predictive_band.png").exists()
    assert (tmp_path / "fig1_5_rms_by_degree.png").exists()


def test_an_output_folder_that_is_a_file_is_refused_before_the_work(tmp_path, capsys):
    (tmp_path / "taken").write_text("")
    assert main(["curvefit", "--out", str(tmp_path / "taken")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "cannot write the figures into" in captured.err


@pytest.mark.parametrize("argv, message", [
    (["--degrees", "a-b"], "expected a range 0-9"), (["--degrees", "-1"], "must lie in 0..30"),
    (["--degrees", "9-0"], "the range '9-0' is empty"), (["--n", "0"], "a positive whole number"),
    (["--ln-lambda", "nan"], "between -700 and 700"), (["--ln-lambda", "710"], "between -700"),
    (["--seed", "-1"], "a seed, a whole number in [0, 2**63)"),
    (["--n", "5"], "fewer than the 10 points needed"),
    (["--n", "1", "--degrees", "0"], "fewer than the 2 points needed"),
])
def test_bad_arguments_exit_2_with_one_line(argv, message, capsys, tmp_path):
    with pytest.raises(SystemExit) as stop:
        raise SystemExit(main(["curvefit", *argv, "--out", str(tmp_path)]))
    assert stop.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error.startswith("chainrule curvefit: error: ") and message in error
