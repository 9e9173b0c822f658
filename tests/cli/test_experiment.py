"""`chainrule experiment`: each prints its table, writes it as CSV and draws its figures (short
runs here; make demo runs them in full)."""
import csv

import matplotlib.image
import pytest

from chainrule.cli import main


@pytest.mark.parametrize("argv, files, heading", [
    (["features", "--steps", "60"], ["features.csv", "features.png", "cnn_filters.png"],
     "engineered (41)"),
    (["scale", "--steps", "20", "--seeds", "1"], ["scale.csv", "scale_data.png",
                                                  "scale_width.png"], "MLP width"),
    (["mnist1d", "--steps", "20"], ["table.csv", "mnist1d_table.png"], "positions"),
])
def test_each_experiment_prints_and_writes(tmp_path, capsys, argv, files, heading):
    assert main(["experiment", *argv, "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert heading in out and f"written to {tmp_path}/" in out
    for name in files:
        if name.endswith(".png"):
            assert matplotlib.image.imread(tmp_path / name).std() > 0.01
        else:
            rows = list(csv.reader(open(tmp_path / name)))
            assert len(rows) > 1 and all(len(row) == len(rows[0]) for row in rows)
