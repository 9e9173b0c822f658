"""`chainrule backprop-cost`: a tiny run prints the table and writes the figure; bad arguments are
refused in one line."""
import re

import matplotlib.image
import pytest

from chainrule.cli import main


def test_a_tiny_run_prints_the_table_and_writes_the_figure(capsys, tmp_path):
    assert main(["backprop-cost", "--sizes", "4,8", "--layers", "2", "--repeats", "1",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "2 layers" in out and "best of at least 1 runs" in out
    assert re.search(r"^\s+n\s+explicit ms\s+forward ms\s+reverse ms", out, re.MULTILINE)
    rows = re.findall(r"^\s+(\d+)\s+([0-9.]+)\s+([0-9.]+)\s+([0-9.]+)\s+(\d+)\s+(\d+)\s+(\d+)$",
                      out, re.MULTILINE)
    assert [(r[0], r[4], r[5], r[6]) for r in rows] == [("4", "1", "4", "1"), ("8", "1", "8", "1")]
    assert all(float(value) > 0 for r in rows for value in r[1:4])
    image = matplotlib.image.imread(tmp_path / "backprop_cost.png")
    assert image.shape[0] > 300 and image.shape[1] > 600


@pytest.mark.parametrize("arguments, message", [
    (["--sizes", "8,4"], "increasing positive whole numbers"),
    (["--sizes", "4,4"], "increasing positive whole numbers"),
    (["--sizes", "0,4"], "increasing positive whole numbers"),
    (["--sizes", "a"], "increasing positive whole numbers"),
    (["--sizes", ""], "increasing positive whole numbers"),
    (["--layers", "0"], "a positive whole number"),
    (["--repeats", "x"], "a positive whole number"),
])
def test_bad_arguments_are_refused(capsys, arguments, message):
    with pytest.raises(SystemExit) as exit_info:
        main(["backprop-cost", *arguments])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_an_out_that_is_a_file_is_refused_before_the_work(capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["backprop-cost", "--sizes", "2", "--out", str(blocker)]) == 2
    captured = capsys.readouterr()
    assert "cannot write the figure" in captured.err and captured.out == ""
