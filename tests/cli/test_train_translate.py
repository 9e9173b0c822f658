"""`chainrule train translate`: a short run on a TSV prints progress, exact match and BLEU (greedy
and beam), examples, and writes its files; bad input (a missing, empty or binary file, a line
without a tab, bad numbers) gets one line naming the problem and exit status 2."""
import re

import pytest

from chainrule.cli import main
from chainrule.experiments import translate

WORDS = ["ab", "ba", "abc", "cab", "bca", "cc", "aab", "bba", "ca", "ac"]
TSV = "".join(f"{a} {b}\t{b[::-1]} {a[::-1]}\tCC-BY 2.0\n" for a in WORDS for b in WORDS)


@pytest.fixture
def small_gru(monkeypatch):
    monkeypatch.setitem(translate.SETTINGS, "gru", {"embedding_dim": 16, "hidden_size": 32,
                                                   "lr": 1e-2})


def test_a_short_run_on_pairs_prints_its_results_and_writes_its_files(tmp_path, capsys,
                                                                        small_gru):
    pairs = tmp_path / "toy.tsv"
    pairs.write_text(TSV, encoding="utf-8")
    out = tmp_path / "run"
    assert main(["train", "translate", "--pairs", str(pairs), "--steps", "20", "--beam", "2",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("translate toy with a gru model: up to 20 steps")
    assert "100 pairs read, 0 over 30 words left out; train/validation/test 80/10/10" in printed
    assert re.search(r"^step +20 +\d+\.\d s  loss \d\.\d{4}  validation exact match +\d+\.\d%$",
                     printed, re.MULTILINE)
    for label in ("greedy", "beam 2"):
        assert re.search(rf"^test {label} +exact match +\d+\.\d% of 10  BLEU +\d+\.\d "
                         r"\(word \(13a\)-level\)$", printed, re.MULTILINE), label
    assert len(re.findall(r"^  \w+ \w+ -> ", printed, re.MULTILINE)) == 5
    for name in ("model.safetensors", "history.csv", "translations.csv", "attention.png"):
        assert (out / name).is_file(), name


@pytest.mark.parametrize("content, message", [
    ("Go.\tGeh.\nHi. Hallo!\n", r"line 2: no tab between source and target"),
    ("", r"the file '.*bad.tsv' is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", r"not UTF-8 text"),
])
def test_bad_files_get_one_line_and_status_2(tmp_path, capsys, content, message):
    path = tmp_path / "bad.tsv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    assert main(["train", "translate", "--pairs", str(path), "--out", str(tmp_path / "o")]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("chainrule train translate: ") and "\n" not in error
    assert re.search(message, error)


def test_below_is_for_the_numbers_only(tmp_path, capsys):
    pairs = tmp_path / "toy.tsv"
    pairs.write_text(TSV, encoding="utf-8")
    assert main(["train", "translate", "--pairs", str(pairs), "--below", "100"]) == 2
    assert "--below sets the size of the numbers task" in capsys.readouterr().err


def test_a_missing_file(tmp_path, capsys):
    assert main(["train", "translate", "--pairs", str(tmp_path / "none.tsv")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.parametrize("arguments", [["--beam", "0"], ["--steps", "-3"], ["--minutes", "0"],
                                       ["--model", "lstm"], ["--below", "10"]])
def test_bad_numbers_and_choices_are_refused_by_argparse(arguments, capsys):
    with pytest.raises(SystemExit) as exit:
        main(["train", "translate", *arguments])
    assert exit.value.code == 2
    assert arguments[0] in capsys.readouterr().err


@pytest.mark.parametrize("make_out, message", [
    (lambda tmp: tmp / "file.txt", (r"--out '.*file\.txt': '.*file\.txt' is a file, expected a "
                                   "folder")),
    (lambda tmp: tmp / "file.txt" / "below", (r"--out '.*below': '.*file\.txt' is a file, "
                                             "expected a folder")),
])
def test_a_bad_out_is_refused_in_its_words_before_training(tmp_path, capsys, make_out, message):
    (tmp_path / "file.txt").write_text("not a folder")
    assert main(["train", "translate", "--steps", "1", "--out", str(make_out(tmp_path))]) == 2
    captured = capsys.readouterr()
    assert re.search(message, captured.err) and "\n" not in captured.err.strip()
    assert "step" not in captured.out   # refused before any training


def test_an_empty_pairs_name_is_refused(capsys):
    assert main(["train", "translate", "--pairs", ""]) == 2
    assert "--pairs needs a file name" in capsys.readouterr().err
