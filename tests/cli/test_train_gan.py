"""`chainrule train gan`: a short run on each data set prints its measured numbers and writes its
figures and checkpoints; bad arguments are refused in one line with status 2."""
import re

import pytest

import chainrule as cr
from chainrule.cli import main
from chainrule.experiments import gan
from chainrule.models.gan import MLPGenerator


def test_a_short_ring_run_prints_the_three_runs_and_writes_their_files(tmp_path, capsys):
    assert main(["train", "gan", "--steps", "20", "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"nonsaturating: \d/8 modes covered, \d+\.\d% within 3 sigma \(\d+ s\)",
                        lines[-3])
    assert lines[-2].startswith("nonsaturating-pack2: ") and lines[-1].startswith("minimax: ")
    for name in ("ring.png", "history_nonsaturating.csv", "history_minimax.csv",
                 "gan_nonsaturating-pack2.safetensors", "gan_minimax.safetensors"):
        assert (tmp_path / name).is_file(), name
    saved = cr.load(tmp_path / "gan_minimax.safetensors")
    assert saved["loss"] == "minimax"
    MLPGenerator().load_state_dict(saved["generator"])   # the checkpoint is the generator
    assert (tmp_path / "history_minimax.csv").read_text().startswith("step,modes,share,d_loss")


def test_a_short_digits_run_prints_the_classifier_and_the_scores(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(gan.CLASSIFIER, "epochs", 2)   # the default 15 took most of this test
    assert main(["train", "gan", "--data", "digits", "--model", "mlp", "--epochs", "1",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("8x8 digits: a digit classifier on the real images, then an MLP GAN "
                          "with the nonsaturating loss, 1 epochs")   # was "a mlp GAN"
    assert re.search(r"classifier test accuracy \(real digits\): \d+\.\d%", out)
    assert re.search(r"real test digits: confidence 0\.\d{3}, class entropy \d\.\d{3}", out)
    assert re.search(r"generated \(\d+ s\): confidence \d\.\d{3}", out)
    for name in ("samples.png", "samples_epoch001.png", "scores.png", "history_nonsaturating.csv",
                 "gan_nonsaturating.safetensors"):
        assert (tmp_path / name).is_file(), name


@pytest.mark.parametrize("arguments, message", [
    (["--data", "mnist"], "chainrule train gan: unknown dataset 'mnist'; choose ring or digits"),
    (["--model", "dcgan"], ("chainrule train gan: --model dcgan is for digits; the ring's GAN is "
                           "an MLP")),
    (["--epochs", "3"], "chainrule train gan: --epochs is for digits; the ring takes --steps"),
    (["--data", "digits", "--steps", "3"], ("chainrule train gan: --steps is for the ring; "
                                           "digits take --epochs")),
    (["--pack", "3"], ("chainrule train gan: --pack 3: expected a divisor of the batch of 256 "
                      "points")),
    (["--data", "digits", "--pack", "2"], "chainrule train gan: --pack is for the ring"),
])
def test_bad_arguments_are_refused_in_one_line(arguments, message, tmp_path, capsys):
    assert main(["train", "gan", *arguments, "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert error.startswith(message) and error.count("\n") == 1


def test_a_seed_out_of_range_is_refused_before_any_output(tmp_path, capsys):
    # was refused by manual_seed after the header
    with pytest.raises(SystemExit) as stop:
        main(["train", "gan", "--seed", str(2 ** 64), "--out", str(tmp_path / "out")])
    assert stop.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "--seed: expected a seed, a whole number in [0, 2**63)" in captured.err
    assert not (tmp_path / "out").exists()


def test_one_chosen_run_is_named_after_its_loss_and_packing(tmp_path, capsys):
    assert main(["train", "gan", "--loss", "minimax", "--pack", "4", "--steps", "3", "--out",
                 str(tmp_path)]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("minimax-pack4: ")
    assert (tmp_path / "gan_minimax-pack4.safetensors").is_file()


def test_an_unwritable_output_folder_is_refused(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert main(["train", "gan", "--steps", "1", "--out", str(tmp_path / "file")]) == 2
    captured = capsys.readouterr()
    out = str(tmp_path / "file")
    assert captured.err == (f"chainrule train gan: --out {out!r}: {out!r} is a file, expected a "
                            "folder\n")
    assert captured.out == ""


def test_an_empty_output_folder_name_is_refused(capsys):
    # it wrote into the default folder out/gan/ring instead
    assert main(["train", "gan", "--steps", "1", "--out", ""]) == 2
    assert capsys.readouterr().err == "chainrule train gan: --out needs a folder name\n"


def test_an_output_folder_that_cannot_be_made_is_refused_before_training(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert main(["train", "gan", "--out", str(tmp_path / "file" / "sub")]) == 2
    captured = capsys.readouterr()
    out, blocker = str(tmp_path / "file" / "sub"), str(tmp_path / "file")
    assert captured.err == (f"chainrule train gan: --out {out!r}: {blocker!r} is a file, "
                            "expected a folder\n")
    assert captured.out == ""


def test_ctrl_c_ends_with_status_130_and_a_line_not_a_traceback(tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("chainrule.experiments.gan.ring_experiment", interrupted)
    assert main(["train", "gan", "--out", str(tmp_path)]) == 130
    assert capsys.readouterr().err == (f"\ninterrupted: {tmp_path}/ holds the files of the runs "
                                       "finished before it\n")
