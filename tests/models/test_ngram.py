"""Unigram and Bigram: probabilities from counts by hand, smoothing, losses in nats, errors."""
import math

import pytest

import chainrule as cr
from chainrule.data.datasets.text import IGNORE_INDEX
from chainrule.models.ngram import Bigram, Unigram, bits

# Three characters; pairs (previous -> next): 0->1 twice, 1->2 once, 2->0 once.
X = [[0, 1, 0, 2]]
Y = [[1, 2, 1, 0]]


def test_unigram_is_add_alpha_frequencies():
    model = Unigram(3, alpha=1.0).fit(X, Y)
    counts = [1, 2, 1]   # of the targets 0, 1, 2
    expected = [(c + 1) / (4 + 3) for c in counts]
    assert np_close(model.log_probabilities(), [math.log(p) for p in expected])


def test_bigram_rows_are_add_alpha_conditionals():
    model = Bigram(3, alpha=0.5).fit(X, Y)
    table = [[0, 2, 0], [0, 0, 1], [1, 0, 0]]   # count[previous][next]
    for previous, row in enumerate(table):
        for following, count in enumerate(row):
            expected = (count + 0.5) / (sum(row) + 0.5 * 3)
            assert math.isclose(math.exp(model.log_probabilities()[previous, following]),
                                expected)


@pytest.mark.parametrize("model", [Unigram(3), Bigram(3)])
def test_the_loss_is_the_mean_negative_log_probability(model):
    model.fit(X, Y)
    table = model.log_probabilities()
    x, y = [2, 0], [0, 2]
    picked = [table[b] if table.ndim == 1 else table[a, b] for a, b in zip(x, y)]
    assert math.isclose(model.loss(x, y), -sum(picked) / 2)


def test_ignored_targets_count_for_nothing_and_tensors_are_read():
    model = Bigram(3).fit(cr.tensor(X), cr.tensor(Y))
    padded = model.loss([[0, 1, 0]], [[1, IGNORE_INDEX, IGNORE_INDEX]])
    assert math.isclose(padded, model.loss([0], [1]))
    with_padding = Bigram(3).fit([[0, 1, 0, 2, 0]], [[1, 2, 1, 0, IGNORE_INDEX]])
    assert (with_padding.counts == model.counts).all()


def test_the_bigram_beats_the_unigram_on_text_with_structure():
    """On "abab...", the next character is certain given the previous one: the bigram's loss
    falls towards 0 while the unigram stays near log 2."""
    x, y = [0, 1] * 50, [1, 0] * 50
    unigram, bigram = Unigram(2).fit(x, y), Bigram(2).fit(x, y)
    assert abs(unigram.loss(x, y) - math.log(2)) < 1e-3
    assert bigram.loss(x, y) < 0.02
    assert math.isclose(bits(math.log(2)), 1.0)


def test_unseen_pairs_keep_a_finite_loss():
    model = Bigram(3).fit([0, 0], [1, 1])
    assert math.isfinite(model.loss([2], [2]))


@pytest.mark.parametrize(("make", "match"), [
    (lambda: Unigram(0), "vocab_size"),
    (lambda: Bigram(3, alpha=0), "alpha"),
    (lambda: Bigram(3, alpha=float("nan")), "alpha"),
    (lambda: Bigram(3).fit([[0, 1]], [0, 1]), "one shape"),
    (lambda: Bigram(3).fit([0.5], [1]), "integer"),
    (lambda: Bigram(3).fit([0], [3]), r"outside \[0, 3\)"),
    (lambda: Unigram(3).loss([0], [IGNORE_INDEX]), "no target"),
])
def test_bad_input_is_refused_by_name(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def np_close(a, b):
    return all(math.isclose(u, v) for u, v in zip(list(a), list(b)))
