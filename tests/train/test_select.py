"""Model selection: the splits partition the data, every candidate sees the same splits, the best
is chosen and refit, the test set is used once; and on the lecture's data M lands in 3..8."""
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.data.datasets import sinusoid
from chainrule.models import Polynomial, rms_error
from chainrule.train import HoldOut, KFold, LeaveOneOut, grid, random_search, select


@pytest.mark.parametrize("split, n, count", [(KFold(3), 10, 3), (KFold(5, shuffle=False), 10, 5),
                                             (LeaveOneOut(), 7, 7), (HoldOut(0.3), 10, 1),
                                             (HoldOut(count=2), 9, 1)])
def test_splits_partition_the_samples(split, n, count):
    splits = split.splits(n, np.random.default_rng(0))
    assert len(splits) == count
    for train, held in splits:
        assert sorted(np.concatenate([train, held]).tolist()) == list(range(n))
    if count > 1:   # cross-validation: each sample is held out exactly once
        assert sorted(np.concatenate([held for _, held in splits]).tolist()) == list(range(n))


def test_kfold_folds_differ_by_at_most_one():
    sizes = [len(held) for _, held in KFold(3).splits(10, np.random.default_rng(0))]
    assert sorted(sizes) == [3, 3, 4]


def test_grid_and_random_search():
    assert grid({"a": [1, 2], "b": ["x", "y"]}) == [
        {"a": 1, "b": "x"}, {"a": 1, "b": "y"}, {"a": 2, "b": "x"}, {"a": 2, "b": "y"}]
    drawn = random_search({"lr": lambda rng: 10 ** rng.uniform(-4, -1), "depth": [1, 2]}, 20,
                          seed=0)
    assert len(drawn) == 20 and all(1e-4 <= d["lr"] <= 0.1 and d["depth"] in (1, 2)
                                    for d in drawn)
    assert drawn == random_search({"lr": lambda rng: 10 ** rng.uniform(-4, -1),
                                   "depth": [1, 2]}, 20, seed=0)


def _fit(data, degree):
    x, t = data[:]
    return Polynomial(degree, dtype=cr.float64).fit_closed_form(x.numpy(), t.numpy())


def _mse(model, data):
    x, t = data[:]
    return rms_error(model(x), t) ** 2


class _Recorder:
    """fit and score that record what they were given."""

    def __init__(self):
        self.fitted = []

    def fit(self, data, value):
        self.fitted.append((value, len(data)))
        return value

    @staticmethod
    def score(model, data):
        return (model - 2) ** 2 + len(data) * 0.0


def test_every_candidate_sees_the_same_splits_and_the_best_is_refit():
    recorder = _Recorder()
    data = cr.data.TensorDataset(cr.arange(10))
    result = select(recorder.fit, recorder.score, data, {"value": [0, 1, 2, 3]}, split=KFold(5))
    assert result.best == {"value": 2} and result.best_score == 0
    assert [trial.params["value"] for trial in result.trials] == [0, 1, 2, 3]
    assert recorder.fitted[:5] == [(0, 8)] * 5 and recorder.fitted[-1] == (2, 10)   # the refit
    assert result.model == 2


def test_ties_go_to_the_first_candidate_and_greater_can_be_better():
    data = cr.data.TensorDataset(cr.arange(6))
    result = select(lambda d, v: v, lambda m, d: 1.0, data, [{"v": 1}, {"v": 2}], split=KFold(2))
    assert result.best == {"v": 1}
    result = select(lambda d, v: v, lambda m, d: m, data, [{"v": 1}, {"v": 2}], split=KFold(2),
                    greater_is_better=True)
    assert result.best == {"v": 2}


def test_ties_up_to_rounding_go_to_the_simplest_candidate():
    # every polynomial through points at one x fits them equally: only rounding differs
    data = cr.data.TensorDataset(cr.full((11,), 0.5, dtype=cr.float64),
                                 cr.arange(11, dtype=cr.float64))
    result = select(_fit, _mse, data, {"degree": range(10)}, split=LeaveOneOut())
    assert result.best == {"degree": 0}


def test_a_separate_validation_set_and_the_test_set_used_once():
    train, validation, test = sinusoid(10, seed=0), sinusoid(30, x="random", seed=1), sinusoid(50, seed=2)
    result = select(_fit, _mse, train, {"degree": range(10)}, validation=validation)
    assert 3 <= result.best["degree"] <= 8
    score = result.test(_mse, test)
    assert math.isfinite(score)
    with pytest.raises(RuntimeError, match="the test set was already used"):
        result.test(_mse, test)


@pytest.mark.parametrize("split", [HoldOut(count=3), KFold(5), LeaveOneOut()])
def test_on_the_lecture_data_the_chosen_degree_is_moderate(split):
    # 30 points (the book's 10 make a hold-out of 3 a coin toss: see the experiment's tests)
    data = sinusoid(30, seed=0)
    result = select(_fit, _mse, data, {"degree": range(10)}, split=split, seed=0)
    assert 3 <= result.best["degree"] <= 8
    np.testing.assert_allclose(result.model.weight.detach().numpy(),
                               _fit(data, result.best["degree"]).weight.detach().numpy())


def test_leave_one_out_pools_one_point_folds():
    data = sinusoid(8, seed=0)
    result = select(_fit, _mse, data, {"degree": [1]}, split=LeaveOneOut())
    x, t = data.x, data.t
    errors = []
    for i in range(8):
        keep = np.arange(8) != i
        w = np.polyfit(x[keep], t[keep], 1)
        errors.append((np.polyval(w, x[i]) - t[i]) ** 2)
    assert result.best_score == pytest.approx(np.mean(errors), rel=1e-9)


@pytest.mark.parametrize("call, message", [
    (lambda: select(_fit, _mse, sinusoid(5), []), "select: no candidate settings"),
    (lambda: select(_fit, _mse, sinusoid(5), {"degree": [1]}, split=KFold(2),
                    validation=sinusoid(3)), "give a split or a validation set, not both"),
    (lambda: select(_fit, _mse, sinusoid(3), {"degree": [1]}, split=KFold(5)),
     "cannot make 5 folds of 3 samples"),
    (lambda: KFold(1), "k must be an int >= 2"),
    (lambda: HoldOut(1.5), "fraction must be between 0 and 1"),
    (lambda: HoldOut(count=5).splits(5, np.random.default_rng()), "leaves no training"),
    (lambda: grid({"degree": []}), "'degree' needs a non-empty list"),
    (lambda: grid([1, 2]), "expected a non-empty dict"),
    (lambda: select(lambda d: 0, lambda m, d: float("nan"), sinusoid(4), [{}], split=KFold(2)),
     "score returned NaN"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
