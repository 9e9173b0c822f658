import pytest

from chainrule.data.datasets.pairs import (
    BOS, EOS, PAD, UNK, PairBatcher, Vocab, characters, read_pairs, split_pairs, words)


def write(tmp_path, content, name="pairs.tsv"):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_read_pairs_drops_the_attribution_column_and_blank_lines(tmp_path):
    path = write(tmp_path, "Go.\tGeh.\tCC-BY 2.0 (France) Attribution: tatoeba.org #2877272\n"
                           "\n"
                           "Hi.\tHallo!\n")
    assert read_pairs(path) == [("Go.", "Geh."), ("Hi.", "Hallo!")]


@pytest.mark.parametrize("content, match", [
    ("Go.\tGeh.\nHi. Hallo!\n", r"line 2: no tab"),
    ("Go.\t\n", r"line 1: the target is empty"),
    ("\tGeh.\n", r"line 1: the source is empty"),
    ("", r"is empty"),
    ("\n\n", r"no pair"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff", r"not UTF-8 text"),
    (b"Go.\tGeh.\x00\n", r"NUL byte"),
])
def test_read_pairs_errors_name_the_file_and_line(tmp_path, content, match):
    path = write(tmp_path, content)
    with pytest.raises(ValueError, match=match) as error:
        read_pairs(path)
    assert "pairs.tsv" in str(error.value)


def test_read_pairs_drops_a_byte_order_mark_and_reads_crlf(tmp_path):
    path = tmp_path / "bom.tsv"
    path.write_bytes("\ufeffGo.\tGeh.\r\nHi.\tHallo.\r\n".encode("utf-8"))
    assert read_pairs(path) == [("Go.", "Geh."), ("Hi.", "Hallo.")]


def test_read_pairs_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        read_pairs(tmp_path / "nothing.tsv")


@pytest.mark.parametrize("text, tokens", [
    ("four hundred twenty-one", ["four", "hundred", "twenty", "-", "one"]),
    ("Go.", ["Go", "."]),
    ("Ich weiß es nicht!", ["Ich", "weiß", "es", "nicht", "!"]),
    ("  ", []),
])
def test_words(text, tokens):
    assert words(text) == tokens


def test_characters():
    assert characters("einundzwanzig")[:4] == ["e", "i", "n", "u"]


def test_vocab_specials_unknown_and_decode():
    vocab = Vocab([["b", "a"], ["a"]])
    assert vocab.tokens == ["<pad>", "<bos>", "<eos>", "<unk>", "a", "b"]
    assert vocab.encode(["a", "z", "b"]) == [4, UNK, 5]
    assert vocab.decode([BOS, 4, 5, EOS, 4]) == ["a", "b"]
    assert vocab.decode([4, PAD, 5]) == ["a", "b"]
    with pytest.raises(IndexError, match="index 6"):
        vocab.decode([6])


def test_batch_pads_and_shifts_the_target():
    batcher = PairBatcher([("one", "eins"), ("twenty-one", "einundzwanzig")], "words",
                          "characters")
    src, tgt_in, tgt_out = batcher.batch([("one", "eins"), ("twenty-one", "eins")])
    assert src.shape == (2, 3) and tgt_in.shape == tgt_out.shape == (2, 5)
    assert src.tolist()[0][1:] == [PAD, PAD]
    assert tgt_in[:, 0].tolist() == [BOS, BOS]
    assert tgt_out[0, 1:].tolist() == tgt_in[0, 2:].tolist() + [EOS]
    assert batcher.target_text(tgt_out[0].tolist()) == "eins"


def test_split_pairs_is_seeded_and_disjoint():
    pairs = [(str(i), str(i)) for i in range(50)]
    train, validation, test = split_pairs(pairs, seed=3)
    assert (len(train), len(validation), len(test)) == (40, 5, 5)
    assert sorted(train + validation + test) == sorted(pairs)
    assert split_pairs(pairs, seed=3) == (train, validation, test)


def test_as_written_joins_the_target_tokens_as_decoding_does():
    words = PairBatcher([("Go, Tom.", "Geh, Tom!")])
    assert words.as_written("Geh, Tom!") == "Geh , Tom !"
    assert words.as_written("Geh, Tom!") == words.target_text(
        words.target_vocab.encode(words.target_tokens("Geh, Tom!")))
    assert PairBatcher([("one", "eins")], "words", "characters").as_written("eins") == "eins"


@pytest.mark.parametrize("fractions", [(0.5, 0.5), (0.8, 0.3, -0.1), (float("nan"), 0.5, 0.5)])
def test_split_pairs_refuses_bad_fractions(fractions):
    with pytest.raises(ValueError, match="split_pairs: fractions must be"):
        split_pairs([("a", "b")] * 10, fractions)


def test_unknown_tokenizer():
    with pytest.raises(ValueError, match="unknown tokenizer 'bytes'"):
        PairBatcher([("a", "b")], "bytes")
