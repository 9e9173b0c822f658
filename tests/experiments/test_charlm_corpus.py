"""The charlm run's data: lines and document splits, random batches, the validation loss, and the
baselines (on the names list the bigram beats the unigram, as makemore's numbers say)."""
import math

import pytest

import chainrule as cr
from chainrule.data.datasets.text import IGNORE_INDEX, load_corpus
from chainrule.experiments.charlm_corpus import baselines, split, training_batch, validation_loss
from chainrule.models.charlm import CharLM
from chainrule.random import Generator, rng

NAMES = "emma\nolivia\nava\nisabella\nsophia\nmia\namelia\nharper\nevelyn\nabigail\n"
DOCUMENT = "to be, or not to be, that is the question: " * 4


def test_lines_mode_holds_out_whole_lines():
    corpus = split(NAMES, lines=True, val_fraction=0.2, seed=1)
    assert corpus.lines and corpus.block_size == len("isabella") + 1
    assert corpus.val_x.shape == (2, 9) and corpus.train_x.shape == (8, 9)
    def decode(y):
        return corpus.vocab.decode([i for i in y if i != IGNORE_INDEX]).rstrip("\n")
    held = {decode(y) for y in corpus.val_y}
    trained = {decode(y) for y in corpus.train_y}
    assert held | trained == set(NAMES.split()) and not held & trained
    assert split(NAMES, lines=True, val_fraction=0.2, seed=1).val_x.tolist() == \
        corpus.val_x.tolist()   # the seed fixes the split
    assert split(NAMES, lines=True, val_fraction=0.2, seed=2).val_x.tolist() != \
        corpus.val_x.tolist()


def test_document_mode_holds_out_the_end_in_windows():
    corpus = split(DOCUMENT, lines=False, block_size=8, val_fraction=0.25)
    cut = int(len(DOCUMENT) * 0.75)
    assert corpus.vocab.decode(corpus.train_text) == DOCUMENT[:cut]
    assert corpus.val_x.shape[1] == 8
    first = corpus.vocab.decode(corpus.val_x[0]) + corpus.vocab.decode(corpus.val_y[0][-1:])
    assert first == DOCUMENT[cut:cut + 9]
    assert (corpus.val_x[:, 1:] == corpus.val_y[:, :-1]).all()


def test_training_batches_are_items_or_windows_of_the_training_part():
    draw = rng(Generator().manual_seed(0), "test")
    corpus = split(DOCUMENT, lines=False, block_size=8, val_fraction=0.25)
    x, y = training_batch(corpus, 5, draw)
    assert tuple(x.shape) == tuple(y.shape) == (5, 8)
    text = corpus.vocab.decode(corpus.train_text)
    for row_x, row_y in zip(x.tolist(), y.tolist()):
        assert corpus.vocab.decode(row_x + row_y[-1:]) in text
    lines = split(NAMES, lines=True, val_fraction=0.2)
    x, y = training_batch(lines, 4, draw)
    assert tuple(x.shape) == (4, lines.block_size)


def test_validation_loss_is_the_mean_over_real_characters():
    corpus = split(NAMES, lines=True, val_fraction=0.3)
    cr.manual_seed(0)
    model = CharLM(corpus.vocab, "gru", 8, 16)
    with cr.no_grad():
        logits = model(cr.tensor(corpus.val_x))
        expected = cr.nn.functional.cross_entropy(logits.reshape(-1, len(corpus.vocab)),
                                                  cr.tensor(corpus.val_y.reshape(-1)))
    assert math.isclose(validation_loss(model, corpus, batch_size=2), expected.item(),
                        rel_tol=1e-5)


def test_on_the_names_list_the_bigram_beats_the_unigram():
    losses = baselines(split(load_corpus("names"), lines=True))
    # makemore's bigram lands near 2.45 nats/char on names; the unigram near log(27)·0.86
    assert 2.3 < losses["bigram"] < 2.6 < losses["unigram"] < math.log(27)


def test_in_document_mode_the_bigram_counts_each_character_followed_by_the_next():
    # "abc" repeated: a is always followed by b (about 150 times in training), so add-1 gives
    # the validation pairs (150 + 1) / (150 + 3) each; the unigram is nearly uniform, ln 3.
    losses = baselines(split("abc" * 200, lines=False, block_size=8, val_fraction=0.25))
    assert losses["bigram"] == pytest.approx(-math.log(151 / 153), rel=0.05)
    assert losses["unigram"] == pytest.approx(math.log(3), rel=1e-3)


@pytest.mark.parametrize(("text", "lines", "match"), [
    ("justone\n", True, "at least 2 non-empty lines"),
    ("a\n" + "b" * 1001, True, "1,001 characters"),
    ("short", False, "too few"),
    (DOCUMENT, False, "val_fraction"),
])
def test_bad_splits_are_refused(text, lines, match):
    with pytest.raises(ValueError, match=match):
        split(text, lines, block_size=8, val_fraction=1.5 if match == "val_fraction" else 0.1)
