"""Model selection: choose hyperparameters on held-out parts of the training data (a validation
split, k-fold or leave-one-out cross-validation), refit the winner on all of it, and leave the
test set for one final measurement (PRML §1.3, pp. 32-33)."""
import dataclasses
import itertools
import math

from chainrule.backend import xp
from chainrule.data.dataset import Subset
from chainrule.random import rng as random_generator


class HoldOut:
    """One split: a random `fraction` of the samples (or `count` of them) held out for validation.

    Args: fraction (default 0.25) or count; shuffle=True (False holds out the last samples)."""

    def __init__(self, fraction=0.25, count=None, shuffle=True):
        if count is None and not 0 < fraction < 1:
            raise ValueError(f"HoldOut: fraction must be between 0 and 1, got {fraction!r}")
        self.fraction, self.count, self.shuffle = fraction, count, shuffle

    def splits(self, n, rng):
        held = self.count if self.count is not None else round(n * self.fraction)
        if not 1 <= held < n:
            raise ValueError(f"HoldOut: holding out {held} of {n} samples leaves no training or "
                             "no validation data")
        order = rng.permutation(n) if self.shuffle else xp.arange(n)
        return [(xp.sort(order[:n - held]), xp.sort(order[n - held:]))]

    def __repr__(self):
        return (f"HoldOut(count={self.count})" if self.count is not None
                else f"HoldOut({self.fraction})")


class KFold:
    """k splits: the samples are dealt into k folds of near-equal size (the first n mod k folds
    one larger), and each fold in turn is the validation set for a model trained on the others.

    Args: k (default 5; k = n is leave-one-out), shuffle=True."""

    def __init__(self, k=5, shuffle=True):
        if isinstance(k, bool) or not isinstance(k, int) or k < 2:
            raise ValueError(f"KFold: k must be an int >= 2, got {k!r}")
        self.k, self.shuffle = k, shuffle

    def splits(self, n, rng):
        if self.k > n:
            raise ValueError(f"KFold: cannot make {self.k} folds of {n} samples")
        order = rng.permutation(n) if self.shuffle else xp.arange(n)
        folds = xp.array_split(order, self.k)
        return [(xp.sort(xp.concatenate(folds[:i] + folds[i + 1:])), xp.sort(fold))
                for i, fold in enumerate(folds)]

    def __repr__(self):
        return f"KFold(k={self.k})"


class LeaveOneOut(KFold):
    """n splits, each holding out a single sample (k-fold with k = n; no randomness)."""

    def __init__(self):
        self.k, self.shuffle = None, False

    def splits(self, n, rng):
        if n < 2:
            raise ValueError(f"LeaveOneOut: needs at least 2 samples, got {n}")
        everything = xp.arange(n)
        return [(xp.delete(everything, i), everything[i:i + 1]) for i in range(n)]

    def __repr__(self):
        return "LeaveOneOut()"


def grid(space):
    """Every combination of the values in space (dict name -> list of values), in order:
    grid({"degree": [1, 3], "lam": [0, 1]}) gives four dicts, degree varying slowest."""
    _check_space("grid", space)
    names = list(space)
    return [dict(zip(names, values)) for values in itertools.product(*space.values())]


def random_search(space, n, seed=None):
    """n settings drawn independently: each value is taken uniformly from its list, or drawn by
    calling it with a NumPy generator (e.g. `lambda rng: 10 ** rng.uniform(-6, 0)`).
    seed: an int, a chainrule.Generator or None (the global generator)."""
    _check_space("random_search", space, callables=True)
    rng = random_generator(seed, "random_search")
    return [{name: values(rng) if callable(values) else values[rng.integers(len(values))]
             for name, values in space.items()} for _ in range(n)]


@dataclasses.dataclass
class Trial:
    """One candidate setting: its validation score per split (and training score, if asked),
    the split sizes, and their size-weighted means."""
    params: dict
    scores: list
    sizes: list
    train_scores: list = None

    @property
    def score(self):
        """The validation score, each split weighted by its size: for a score that is a mean over
        samples (mean squared error, accuracy) this is the score of all held-out predictions
        pooled, which also makes leave-one-out's one-sample folds meaningful."""
        return _weighted_mean(self.scores, self.sizes)

    @property
    def score_std(self):
        return float(xp.std(xp.asarray(self.scores)))

    @property
    def train_score(self):
        return None if self.train_scores is None else float(xp.mean(xp.asarray(self.train_scores)))


@dataclasses.dataclass
class Selection:
    """What `select` found: the chosen params, every trial (in the candidates' order), and the
    model refit on all the training data with the chosen params."""
    best: dict
    best_score: float
    trials: list
    model: object
    split: object
    test_score: float = None

    def test(self, score, test_data):
        """The final, single measurement on the test set: score(model, test_data). A second call
        is refused: a test set consulted again has become a validation set."""
        if self.test_score is not None:
            raise RuntimeError("Selection.test: the test set was already used; choosing by it "
                               "again would make it a validation set")
        self.test_score = float(score(self.model, test_data))
        return self.test_score


def select(fit, score, dataset, candidates, split=None, validation=None, seed=None,
           greater_is_better=False, refit=True, train_scores=False):
    """Choose among candidate hyperparameter settings by validation (PRML §1.3).

    For each setting, and each (train, validation) split of dataset given by `split`:
    model = fit(Subset(dataset, train), **params), then score(model, Subset(dataset, validation)).
    The setting with the best size-weighted mean score wins (ties go to the earlier candidate,
    so list simpler models first); with refit, it is fitted again on the whole dataset.

    Args:
        fit: function (dataset, **params) -> model; any model and any training procedure.
        score: function (model, dataset) -> float, e.g. a mean squared error or an accuracy.
        dataset: the training data (a Dataset); the test set must not be part of it.
        candidates: a list of params dicts (from grid or random_search) or a dict for grid.
        split: HoldOut(...), KFold(k), LeaveOneOut() (default KFold(5)). The same splits are
            used for every candidate, so their scores are compared on equal terms.
        validation: instead of a split, a separate validation set (a Dataset made the same way
            as the training data, p. 11). Models are fitted on all of dataset and scored on it;
            the refit is then that same fit, on dataset alone.
        seed: for the split's shuffling: an int, a chainrule.Generator or None.
        greater_is_better: False for errors (default), True for accuracies.
        refit: fit the chosen setting on the whole dataset (Selection.model).
        train_scores: also score each model on its own training part (for validation curves).
    """
    candidates = grid(candidates) if isinstance(candidates, dict) else list(candidates)
    if not candidates:
        raise ValueError("select: no candidate settings to choose from")
    if validation is not None:
        if split is not None:
            raise ValueError("select: give a split or a validation set, not both")
        splits = [(dataset, validation)]
    else:
        split = KFold(5) if split is None else split
        rng = random_generator(seed, "select")
        splits = [(Subset(dataset, train.tolist()), Subset(dataset, held.tolist()))
                  for train, held in split.splits(len(dataset), rng)]
    trials = [_trial(fit, score, params, splits, train_scores) for params in candidates]
    best = _first_best(trials, -1 if greater_is_better else 1)
    model = fit(dataset, **best.params) if refit else None
    return Selection(best.params, best.score, trials, model, split)


def _first_best(trials, sign):
    """The first trial whose score is the best up to rounding: candidates that fit equally well
    (say, polynomials of every degree through points at one x) differ only in the last digits,
    which must not decide the choice."""
    best = min(sign * trial.score for trial in trials)
    tolerance = 1e-9 * max(abs(best), 1e-300)
    return next(trial for trial in trials if sign * trial.score <= best + tolerance)


def _trial(fit, score, params, splits, train_scores):
    trial = Trial(params, [], [], [] if train_scores else None)
    for train, held in splits:
        model = fit(train, **params)
        value = float(score(model, held))
        if math.isnan(value):
            raise ValueError(f"select: score returned NaN for params {params}")
        trial.scores.append(value)
        trial.sizes.append(len(held))
        if train_scores:
            trial.train_scores.append(float(score(model, train)))
    return trial


def _weighted_mean(values, weights):
    return float(xp.average(xp.asarray(values), weights=xp.asarray(weights)))


def _check_space(name, space, callables=False):
    if not isinstance(space, dict) or not space:
        raise ValueError(f"{name}: expected a non-empty dict of name -> values, got {space!r}")
    for key, values in space.items():
        if callables and callable(values):
            continue
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__") or not len(values):
            raise ValueError(f"{name}: {key!r} needs a non-empty list of values, got {values!r}")
