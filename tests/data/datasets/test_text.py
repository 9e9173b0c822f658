"""Text data for character-level language models: the vocabulary, the two dataset forms, reading a
file, and the shipped corpora."""
import pathlib

import pytest

import chainrule as cr
from chainrule.data import DataLoader
from chainrule.data.datasets import (
    CORPORA,
    CharLines,
    CharVocab,
    CharWindows,
    load_corpus,
    read_text,
)


def test_vocab_is_sorted_and_round_trips():
    vocab = CharVocab("hello world")
    assert vocab.chars == sorted(set("hello world")) and len(vocab) == 8
    assert vocab.encode("hello") == [vocab.index[c] for c in "hello"]
    assert vocab.decode(vocab.encode("old world")) == "old world"
    assert vocab.decode(cr.tensor(vocab.encode("low"))) == "low"


def test_vocab_names_the_characters_outside_it():
    with pytest.raises(ValueError, match=r"'QZ'"):
        CharVocab("abc").encode("aZbQ")
    with pytest.raises(IndexError, match=r"\[3, -1\]"):
        CharVocab("abc").decode([0, 3, -1])
    with pytest.raises(ValueError, match="empty"):
        CharVocab("")


def test_windows_pair_each_context_with_its_next_characters():
    text = "abcdefg"
    data = CharWindows(text, block_size=3)
    assert len(data) == 4
    x, y = data[1]
    assert x.dtype == cr.int64 and tuple(x.shape) == (3,)
    assert data.vocab.decode(x) == "bcd" and data.vocab.decode(y) == "cde"
    assert data.vocab.decode(data[-1][1]) == "efg"
    with pytest.raises(IndexError):
        data[4]
    with pytest.raises(ValueError, match="too few"):
        CharWindows("abc", block_size=3)


def test_windows_batch_in_a_dataloader():
    x, y = next(iter(DataLoader(CharWindows("to be or not to be", 4), batch_size=5)))
    assert tuple(x.shape) == (5, 4) and tuple(y.shape) == (5, 4)
    assert (x[:, 1:] == y[:, :-1]).all().item()


def test_lines_start_and_end_with_the_boundary_and_pad_the_targets():
    data = CharLines("emma\nbo\n\nava\n")
    assert len(data) == 3 and data.vocab.chars[0] == "\n"
    x, y = data[1]
    assert x.tolist() == [0] + data.vocab.encode("bo") + [0, 0]
    assert y.tolist() == data.vocab.encode("bo") + [0, -100, -100]
    x, y = data[0]   # the longest line fills its row
    assert data.vocab.decode(x) == "\nemma" and data.vocab.decode(y[:4]) + "|" == "emma|"


def test_lines_padding_is_ignored_by_cross_entropy():
    data = CharLines(["ab", "abcd"])
    _, y = data[0]
    logits = cr.zeros(len(y), len(data.vocab))
    # Uniform logits: the loss is log(vocab) over the counted targets, whatever the padding.
    loss = cr.nn.functional.cross_entropy(logits, y)
    assert abs(loss.item() - cr.log(cr.tensor(float(len(data.vocab)))).item()) < 1e-6
    assert (y == -100).sum().item() == 2


def test_lines_refuse_a_boundary_inside_a_line():
    with pytest.raises(ValueError, match="boundary '.'"):
        CharLines(["a.b"], boundary=".")


def test_read_text_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_text(tmp_path / "missing.txt")
    with pytest.raises(IsADirectoryError, match="is a directory; expected a text file"):
        read_text(tmp_path)
    if pathlib.Path("/dev/zero").exists():   # endless: it must not be read
        with pytest.raises(ValueError, match="'/dev/zero' is not a regular file"):
            read_text("/dev/zero")
    (tmp_path / "empty.txt").write_bytes(b"")
    with pytest.raises(ValueError, match="empty"):
        read_text(tmp_path / "empty.txt")
    (tmp_path / "binary.bin").write_bytes(b"ab\xff\xfe\x00")
    with pytest.raises(ValueError, match="not UTF-8.*byte 2"):
        read_text(tmp_path / "binary.bin")
    (tmp_path / "zeros.bin").write_bytes(b"ab\x00\x00\x01")   # valid UTF-8, yet binary
    with pytest.raises(ValueError, match="NUL byte.*byte 2"):
        read_text(tmp_path / "zeros.bin")
    (tmp_path / "ok.txt").write_text("héllo\n", encoding="utf-8")
    assert read_text(tmp_path / "ok.txt") == "héllo\n"


def test_the_shipped_corpora_load_by_name():
    names = load_corpus("names").splitlines()
    assert len(names) == 32033 and names[0] == "emma"
    assert set("".join(names)) == set("abcdefghijklmnopqrstuvwxyz")
    shakespeare = load_corpus("shakespeare")
    assert len(shakespeare) == 1115394 and shakespeare.startswith("First Citizen:")
    assert set(CORPORA) == {"names", "shakespeare"}


def test_an_unknown_corpus_lists_the_known():
    with pytest.raises(ValueError, match="known: names, shakespeare"):
        load_corpus("wikipedia")
