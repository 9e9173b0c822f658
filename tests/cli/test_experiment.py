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
            rows = list(csv.reader((tmp_path / name).read_text().splitlines()))
            assert len(rows) > 1 and all(len(row) == len(rows[0]) for row in rows)


def test_trajectories_prints_each_path_and_draws_them(tmp_path, capsys):
    assert main(["experiment", "trajectories", "--steps", "40", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "steps to f < 0.0001" in out and f"written to {tmp_path}/" in out
    assert out.count("Rosenbrock") == 3 and "not reached" in out
    rows = list(csv.reader((tmp_path / "trajectories.csv").read_text().splitlines()))
    assert len(rows) == 10 and rows[0][:2] == ["surface", "optimizer"]
    assert matplotlib.image.imread(tmp_path / "optim_trajectories.png").std() > 0.01


def test_bnn_prints_the_band_widths_and_draws_the_band(tmp_path, capsys, monkeypatch):
    from chainrule.experiments import bnn
    monkeypatch.setattr(bnn, "SGLD_BURN_IN", 20)   # a short chain: this checks the command only
    monkeypatch.setattr(bnn, "HMC_BURN_IN", 1)
    monkeypatch.setattr(bnn, "HMC_LEAPFROGS", 5)
    argv = ["experiment", "bnn", "--samples", "3", "--steps", "50", "--out", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    for line in ("Adam (point)", "SGLD", "HMC", "as wide in the gap", f"written to {tmp_path}/"):
        assert line in out
    rows = list(csv.reader((tmp_path / "bnn.csv").read_text().splitlines()))
    assert rows[0][:4] == ["x", "truth", "Adam (point) mean", "Adam (point) std"]
    assert len(rows) > 100 and all(len(row) == 8 for row in rows)
    assert matplotlib.image.imread(tmp_path / "bnn_band.png").std() > 0.01


def test_bnn_refuses_bad_arguments(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["experiment", "bnn", "--samples", "0"])
    assert exit_info.value.code == 2
    assert "--samples: expected a positive whole number, got '0'" in capsys.readouterr().err


@pytest.mark.parametrize("seed", ["-1", "nan", str(2**64)])
def test_bnn_refuses_a_seed_out_of_range_in_one_line(capsys, seed):
    with pytest.raises(SystemExit) as exit_info:
        main(["experiment", "bnn", "--seed", seed])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert f"--seed: expected a seed, a whole number in [0, 2**63), got '{seed}'" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("name", ["trajectories", "bnn"])
def test_an_empty_out_is_refused_not_read_as_the_current_folder(capsys, name):
    with pytest.raises(SystemExit) as exit_info:
        main(["experiment", name, "--out", " "])
    assert exit_info.value.code == 2
    assert "--out: expected a folder name, got ' '" in capsys.readouterr().err


@pytest.mark.parametrize("under", ["", "sub"])
def test_an_out_that_is_a_file_is_named_as_one(tmp_path, capsys, under):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    out = blocker / under if under else blocker
    with pytest.raises(SystemExit) as exit_info:
        main(["experiment", "trajectories", "--steps", "1", "--out", str(out)])
    assert exit_info.value.code == 2
    assert (f"--out {str(out)!r}: {str(blocker)!r} is a file, expected a folder"
            in capsys.readouterr().err)
    assert blocker.read_text() == "mine"
