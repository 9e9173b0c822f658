"""`chainrule train charlm`: a short run prints its baselines, progress, samples and the final
table, and writes its files; bad input (a missing, empty, binary or non-UTF-8 file, a prompt
outside the vocabulary, bad numbers, an unknown corpus) gets one line and exit status 2."""
import re

import pytest

from chainrule.cli import arguments, main
from chainrule.data.datasets.text import load_corpus
from chainrule.experiments import charlm


@pytest.fixture
def small_gru(monkeypatch):
    monkeypatch.setitem(charlm.SIZES, "gru", {"embedding_dim": 16, "hidden_size": 32,
                                              "batch_size": 32, "lr": 1e-2})


def test_a_short_run_on_a_file_of_lines(tmp_path, capsys, small_gru):
    names = tmp_path / "names.txt"
    names.write_text("\n".join(load_corpus("names").splitlines()[:300]) + "\n")
    out = tmp_path / "run"
    assert main(["train", "charlm", "--text", str(names), "--lines", "--model", "gru",
                 "--steps", "30", "--prompt", "a", "--top-k", "5", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("names: ") and "one item per line" in printed
    assert re.search(r"^ +bigram baseline: validation \d\.\d{3} nats/char", printed, re.MULTILINE)
    assert re.search(r"^step +30 ", printed, re.MULTILINE)
    samples = re.search(r"^samples: (.*)$", printed, re.MULTILINE).group(1).split(", ")
    assert all(name.startswith("a") for name in samples)
    assert re.search(r"^  gru +\d\.\d{3} +\d\.\d{3}$", printed, re.MULTILINE)
    assert re.search(r"^gru is \d\.\d{3} nats/char (below|above) the bigram$", printed,
                     re.MULTILINE)
    assert "makemore" not in printed   # its number is for the names corpus only
    for name in ("history.csv", "loss.png", "model.safetensors", "samples.txt"):
        assert (out / name).is_file(), name


def test_a_file_is_one_document_by_default(tmp_path, capsys, small_gru):
    text = tmp_path / "play.txt"
    text.write_text(load_corpus("shakespeare")[:5000])
    assert main(["train", "charlm", "--text", str(text), "--model", "gru", "--steps", "6",
                 "--block-size", "16",
                 "--eval-every", "2", "--out", str(tmp_path / "run")]) == 0
    printed = capsys.readouterr().out
    assert "one document" in printed and printed.count("sample:\n") == 1
    assert re.findall(r"^step +(\d+) ", printed, re.MULTILINE) == ["2", "4", "6"]


def _bad_files(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "zeros.bin").write_bytes(b"\x00\x00\x01\x02text")   # decodes as UTF-8
    (tmp_path / "latin1.txt").write_bytes("café".encode("latin-1"))
    (tmp_path / "one.txt").write_text("onlyone\n")
    return {
        "missing": ([str(tmp_path / "missing.txt")], "no such file"),
        "empty": ([str(tmp_path / "empty.txt")], "is empty"),
        "binary": ([str(tmp_path / "image.png")], "a binary file"),
        "zeros": ([str(tmp_path / "zeros.bin")], "NUL byte"),
        "latin1": ([str(tmp_path / "latin1.txt")], "not UTF-8"),
        "one line": ([str(tmp_path / "one.txt"), "--lines"], "at least 2 non-empty lines"),
        "too short": ([str(tmp_path / "one.txt")], "too few"),
    }


@pytest.mark.parametrize("case", ["missing", "empty", "binary", "zeros", "latin1", "one line",
                                  "too short"])
def test_a_bad_file_gets_one_line_and_status_2(tmp_path, capsys, case):
    arguments, message = _bad_files(tmp_path)[case]
    assert main(["train", "charlm", "--text", *arguments]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("chainrule train charlm: error: ") and message in error
    assert len(error.splitlines()) == 1


def test_a_prompt_outside_the_vocabulary_is_refused_before_training(capsys):
    assert main(["train", "charlm", "--prompt", "Ann"]) == 2   # names are lower case
    error = capsys.readouterr().err.strip()
    assert error == ("chainrule train charlm: error: the prompt 'Ann' has characters outside "
                     "the text's vocabulary: 'A'")


@pytest.mark.parametrize("arguments", [
    ["--steps", "0"], ["--steps", "many"], ["--minutes", "-1"], ["--minutes", "nan"],
    ["--temperature", "0"], ["--top-k", "0"], ["--seed", "-3"], ["--block-size", "0"],
    ["--eval-every", "0"],
    ["--corpus", "poems"], ["--model", "cnn"], ["--lines", "--document"],
])
def test_bad_arguments_exit_2(capsys, arguments):
    with pytest.raises(SystemExit) as stop:
        main(["train", "charlm", *arguments])
    assert stop.value.code == 2
    assert "chainrule train charlm: error: argument" in capsys.readouterr().err


def test_an_out_that_is_a_file_is_refused_before_training(tmp_path, capsys):
    (tmp_path / "taken").write_text("")
    for out in (tmp_path / "taken", tmp_path / "taken" / "run"):
        assert main(["train", "charlm", "--steps", "1", "--out", str(out)]) == 2
        captured = capsys.readouterr()
        assert captured.err.strip() == (f"chainrule train charlm: error: --out {str(out)!r}: "
                                        f"{str(tmp_path / 'taken')!r} is a file, expected a "
                                        "folder")
        assert "parameters" not in captured.out   # no training began


def test_an_unwritable_out_is_refused_before_training(tmp_path, capsys, monkeypatch):
    def refused(folder):   # root writes everywhere: the refusal is simulated
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(arguments, "make_writable_folder", refused)
    assert main(["train", "charlm", "--steps", "1", "--out", str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"chainrule train charlm: error: --out {str(tmp_path / 'run')!r}: cannot write files "
        "into it (Permission denied)")


def test_running_out_of_memory_is_one_line(tmp_path, capsys, monkeypatch):
    def too_big(*args, **kwargs):
        raise MemoryError("Unable to allocate 7.28 TiB for an array")
    monkeypatch.setattr(charlm, "train", too_big)
    assert main(["train", "charlm", "--batch-size", str(10 ** 12), "--out",
                 str(tmp_path / "run")]) == 2
    assert capsys.readouterr().err.strip() == (
        "chainrule train charlm: error: out of memory (Unable to allocate 7.28 TiB for an "
        "array); lower --batch-size or --block-size")
    assert not any((tmp_path / "run").iterdir())   # made before training, left empty
