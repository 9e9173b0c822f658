"""EarlyStopping: when it stops for a table of monitored sequences, that it gives back the best
weights, and that its state survives a checkpoint."""
import math
import types

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.train.callbacks.base import Callback
from chainrule.train.callbacks.early_stopping import EarlyStopping
from chainrule.train.loop import fit


def _stopped_at(values, **options):
    """Feed the values to on_evaluate, one per step; the step at which run.stop was set."""
    stopper = EarlyStopping(monitor="score", restore_best_weights=False, **options)
    run = types.SimpleNamespace(step=0, stop=False)
    stopper.on_fit_start(run)
    for step, value in enumerate(values, 1):
        run.step = step
        stopper.on_evaluate(run, {"score": value})
        if run.stop:
            return step, stopper.best_step
    return None, stopper.best_step


@pytest.mark.parametrize("values, options, stop, best", [
    ([5, 4, 3, 2, 1], {"patience": 1}, None, 5),                       # always improving
    ([5, 4, 4.5, 4.2, 4.1], {"patience": 3}, 5, 2),                    # 3 without a new best
    ([5, 4, 4.5, 3.9, 4.1], {"patience": 2}, None, 4),                 # 3.9 resets the wait
    ([5, 4, 3.95, 3.92, 3.91], {"patience": 3, "min_delta": 0.1}, 5, 2),   # too small to count
    ([1, 2, 3, 2.5, 2.9], {"patience": 2, "mode": "max"}, 5, 3),
    ([5, math.nan, math.nan], {"patience": 2}, 3, 1),                 # nan never improves
    ([5, 6], {"patience": 0}, 2, 1),                                  # 0 acts as 1
])
def test_it_stops_after_patience_evaluations_without_improvement(values, options, stop, best):
    assert _stopped_at(values, **options) == (stop, best)


def _problem():
    cr.manual_seed(0)
    rng = np.random.default_rng(0)
    data = TensorDataset(cr.tensor(rng.normal(size=(24, 3)).astype(np.float32)),
                         cr.tensor(rng.integers(0, 2, 24)))
    model = nn.Linear(3, 2)
    return model, cr.optim.SGD(model.parameters(), lr=0.1), DataLoader(data, 8), data


class Snapshots(Callback):
    """The model's weight at each evaluation."""

    def __init__(self):
        self.weights = {}

    def on_evaluate(self, run, logs):
        self.weights[run.step] = run.model.weight.detach().numpy().copy()


def _scripted(values):
    """A metric that reports the next value at each evaluation (the validation set is one batch)."""
    values = iter(values)

    def score(outputs, targets):
        return next(values)
    return score


@pytest.mark.parametrize("restore", [True, False])
def test_fit_stops_and_restores_the_best_weights(restore):
    model, optimizer, loader, data = _problem()
    snapshots = Snapshots()
    stopper = EarlyStopping("val_score", mode="max", patience=2, restore_best_weights=restore)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, DataLoader(data, 24),
                  steps=100, eval_every=2, metrics=(_scripted([0.1, 0.5, 0.9, 0.7, 0.8, 1.0]),),
                  callbacks=[stopper, snapshots])
    assert history["step"] == [2, 4, 6, 8, 10] and stopper.stopped_step == 10
    assert stopper.best == 0.9 and stopper.best_step == 6
    kept = snapshots.weights[6] if restore else snapshots.weights[10]
    assert np.array_equal(model.weight.detach().numpy(), kept)


def test_its_state_survives_a_checkpoint(tmp_path):
    model, optimizer, loader, data = _problem()
    stopper = EarlyStopping(patience=50)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, DataLoader(data, 24), steps=6,
        eval_every=1, callbacks=[stopper])
    cr.save(stopper.state_dict(), tmp_path / "stopper.safetensors")
    copy = EarlyStopping(patience=50)
    copy.load_state_dict(cr.load(tmp_path / "stopper.safetensors"))
    assert (copy.best, copy.best_step, copy.wait) == (stopper.best, stopper.best_step,
                                                      stopper.wait)
    for name, weight in stopper.best_weights.items():
        assert np.array_equal(copy.best_weights[name].numpy(), weight.numpy())


def test_a_missing_monitor_is_named():
    model, optimizer, loader, _ = _problem()
    with pytest.raises(KeyError, match="'val_loss' is not in the evaluation record"):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, steps=2,
            callbacks=[EarlyStopping()])


@pytest.mark.parametrize("options, words", [({"mode": "maximum"}, "mode must be"),
                                            ({"patience": -1}, "patience must be"),
                                            ({"min_delta": -0.1}, "min_delta must be")])
def test_bad_options_are_refused(options, words):
    with pytest.raises(ValueError, match=words):
        EarlyStopping(**options)
