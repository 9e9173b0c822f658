"""Metrics: hand-made cases, torch.topk as the oracle for top-k, and the accumulators that sum
over batches giving the metric of all the samples at once."""
import numpy as np
import pytest
import torch

from chainrule.train.metrics import (
    ConfusionMatrix,
    TopKAccuracy,
    accumulator,
    accuracy,
    confusion_matrix,
    top_k_accuracy,
)

LOGITS = np.array([[2.0, 1.0, 0.0],    # predicts 0
                   [0.0, 3.0, 1.0],    # predicts 1, second 2
                   [1.0, 0.0, 2.0],    # predicts 2, second 0
                   [5.0, 4.0, 3.0]])   # predicts 0, second 1
TARGETS = np.array([0, 2, 2, 1])


@pytest.mark.parametrize("function, expected", [
    (lambda: accuracy(LOGITS, TARGETS), 2 / 4),
    (lambda: top_k_accuracy(LOGITS, TARGETS, 1), 2 / 4),
    (lambda: top_k_accuracy(LOGITS, TARGETS, 2), 4 / 4),
    (lambda: top_k_accuracy(LOGITS, np.array([1, 0, 1, 2]), 2), 1 / 4),
    (lambda: top_k_accuracy(LOGITS, TARGETS, 3), 1.0),
    (lambda: accuracy(np.array([[1.0, 1.0], [0.0, 0.0]]), np.array([0, 1])), 1 / 2),  # ties: first
])
def test_hand_made_cases(function, expected):
    assert function() == pytest.approx(expected)


def test_confusion_matrix_rows_are_true_classes():
    expected = np.array([[1, 0, 0],    # true 0: predicted 0
                         [1, 0, 0],    # true 1: predicted 0
                         [0, 1, 1]])   # true 2: predicted 1 and 2
    assert np.array_equal(confusion_matrix(LOGITS, TARGETS, 3), expected)
    assert np.array_equal(confusion_matrix(np.array([0, 1, 2, 0]), TARGETS, 3), expected)
    assert np.array_equal(confusion_matrix(LOGITS, TARGETS), expected)   # width of the logits
    assert np.array_equal(confusion_matrix(np.array([0, 1]), np.array([0, 0]), 4)[:2, :2],
                          [[1, 1], [0, 0]])


@pytest.mark.parametrize("k", [1, 2, 5])
def test_top_k_matches_torch_topk(k):
    rng = np.random.default_rng(k)
    logits, targets = rng.normal(size=(200, 7)), rng.integers(0, 7, 200)
    top = torch.topk(torch.tensor(logits), k, dim=1).indices.numpy()
    expected = (top == targets[:, None]).any(axis=1).mean()
    assert top_k_accuracy(logits, targets, k) == pytest.approx(expected)


@pytest.mark.parametrize("name, kind, k", [("accuracy", TopKAccuracy, 1),
                                           ("top5", TopKAccuracy, 5),
                                           ("top_k_accuracy:3", TopKAccuracy, 3),
                                           ("confusion_matrix", ConfusionMatrix, None)])
def test_accumulators_over_batches_equal_the_whole(name, kind, k):
    rng = np.random.default_rng(0)
    logits, targets = rng.normal(size=(53, 6)), rng.integers(0, 6, 53)
    metric = accumulator(name)
    assert isinstance(metric, kind) and getattr(metric, "k", None) == k
    for start in range(0, 53, 10):   # uneven batches: the last holds 3
        metric.update(logits[start:start + 10], targets[start:start + 10])
    whole = (confusion_matrix(logits, targets, 6) if name == "confusion_matrix"
             else top_k_accuracy(logits, targets, k))
    assert np.array_equal(metric.compute(), whole)


def test_a_function_is_averaged_over_samples():
    def mean_target(outputs, targets):
        return float(np.mean(targets))
    metric = accumulator(mean_target)
    metric.update(np.zeros((3, 2)), np.array([1, 1, 1]))
    metric.update(np.zeros((1, 2)), np.array([0]))
    assert metric.compute() == pytest.approx(3 / 4)   # per sample, not (1 + 0) / 2 per batch


@pytest.mark.parametrize("call, error, words", [
    (lambda: accuracy(LOGITS, np.array([0, 1, 5, 2])), IndexError, "target 5 is out of bounds"),
    (lambda: accuracy(LOGITS, np.array([0, -1, 1, 2])), IndexError, "target -1"),
    (lambda: accuracy(LOGITS, np.array([0.0, 1.0, 1.0, 2.0])), ValueError, "integer class"),
    (lambda: accuracy(LOGITS[0], TARGETS), ValueError, "shape (N, C)"),
    (lambda: top_k_accuracy(LOGITS, TARGETS, 4), ValueError, "k=4"),
    (lambda: confusion_matrix(LOGITS, TARGETS, 2), IndexError, "target 2 is out of bounds"),
    (lambda: accumulator("f1"), ValueError, "unknown metric 'f1'"),
])
def test_errors_name_the_problem(call, error, words):
    with pytest.raises(error, match=words.replace("(", r"\(").replace(")", r"\)")):
        call()
