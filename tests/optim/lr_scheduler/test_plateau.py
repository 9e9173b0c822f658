"""ReduceLROnPlateau (plateau.py) sets the same rates as torch's at each of 100 steps, also when
saved at step 50 and loaded into fresh objects; in every mode and threshold mode its rates and
counters follow torch's on metrics where the comparisons differ; its metric, and errors, as
torch's."""
import pytest
import torch

import chainrule as cr
from tests.optim.lr_scheduler.schedules import CASES, PLATEAU, TRAINED, sgd
from tests.optim.trajectory import START, assert_follows_torch, parameters

S = cr.optim.lr_scheduler


@pytest.mark.filterwarnings("ignore:Detected call")
@pytest.mark.parametrize("name", PLATEAU)
def test_learning_rates_follow_torch(name):
    # the same float operations in the same order as torch's: equal bit for bit
    assert_follows_torch(CASES[name], train=name in TRAINED, lr_rtol=0.0)


def test_plateau_reads_a_tensor_metric():
    optimizer = sgd(cr, parameters(cr, START))
    scheduler = cr.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0)
    for value in (1.0, 2.0):
        scheduler.step(cr.tensor(value))
    assert scheduler.get_last_lr() == pytest.approx([0.01, 0.005])


def test_plateau_metric_that_is_not_one_number_is_named():
    scheduler = S.ReduceLROnPlateau(sgd(cr, parameters(cr, START)))
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau.step: metrics must be a number or a "
                                         r"one-element tensor .*, got \(2,\)"):
        scheduler.step(cr.ones(2))
    scheduler.step(cr.tensor(0.5))   # a 0-d tensor is fine


@pytest.mark.parametrize("make, error, message", [
    (lambda o: S.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
    (lambda o: S.ReduceLROnPlateau(o, mode="lowest"), ValueError, "mode lowest is unknown"),
    (lambda o: S.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold mode x"),
    (lambda o: S.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 min_lrs, got 1"),
])
def test_bad_options_raise_as_torch(make, error, message):
    with pytest.raises(error, match=message):
        make(sgd(cr, parameters(cr, START)))


# ----- the four comparisons, each on metrics where it differs from the others ---------------------
_STEPS_UP = [1.0, 1.00005, 1.0001, 1.00015, 1.1, 1.1, 1.10001, 1.2101, 1.2101, 1.21, 1.3]
PLATEAU_METRICS = {
    # rises smaller than the relative threshold (1e-4) but larger than an absolute 1e-6
    "rising_slowly": [v * f for v in (1.0, 1.5) for f in _STEPS_UP] * 2,
    "negative": [-v for v in _STEPS_UP[::-1]] + [-1.0, -0.99995, -0.9999, -0.5, -0.5, -0.49],
    "large_scale": [1000 * f for f in _STEPS_UP] + [1000.02, 1000.2, 1000.2, 999.0] * 3,
    "falling": [2.0 - 0.01 * i for i in range(15)] + [1.86, 1.86, 1.8599, 1.8598, 1.5],
}
PLATEAU_OPTIONS = {
    "max_rel": dict(mode="max", threshold_mode="rel", patience=1, factor=0.5),
    "max_rel_big_threshold": dict(mode="max", threshold_mode="rel", threshold=0.05, patience=0),
    "max_rel_cooldown_min_lr": dict(mode="max", threshold_mode="rel", patience=1, cooldown=2,
                                    factor=0.3, min_lr=[0.01, 0.02]),
    "max_abs": dict(mode="max", threshold_mode="abs", threshold=0.01, patience=1, cooldown=1),
    "min_rel": dict(mode="min", threshold_mode="rel", threshold=1e-3, patience=1),
    "min_abs_min_lr": dict(mode="min", threshold_mode="abs", threshold=0.02, patience=0,
                           factor=0.5, min_lr=0.02),
}


def plateau_trajectory(L, options, metrics):
    """The rates and the scheduler's counters after every step(metric)."""
    optimizer = sgd(L, parameters(L, START))
    scheduler = L.optim.lr_scheduler.ReduceLROnPlateau(optimizer, **options)
    rows = []
    for metric in metrics:
        scheduler.step(metric)
        rows.append(([g["lr"] for g in optimizer.param_groups], scheduler.best,
                     scheduler.num_bad_epochs, scheduler.cooldown_counter))
    return rows


@pytest.mark.parametrize("metrics", sorted(PLATEAU_METRICS))
@pytest.mark.parametrize("options", sorted(PLATEAU_OPTIONS))
def test_plateau_follows_torch_in_every_mode_and_threshold_mode(options, metrics):
    ours = plateau_trajectory(cr, PLATEAU_OPTIONS[options], PLATEAU_METRICS[metrics])
    theirs = plateau_trajectory(torch, PLATEAU_OPTIONS[options], PLATEAU_METRICS[metrics])
    for step, (got, want) in enumerate(zip(ours, theirs)):
        assert got == want, f"step {step}: (lrs, best, bad epochs, cooldown) {got} != {want}"


def test_plateau_max_rel_counts_a_rise_below_the_threshold_as_no_improvement():
    """A rise of 0.5e-4 (relative) is not better under the default threshold 1e-4, a rise of
    2e-4 is: the first cut comes after patience + 1 steps without a large enough rise."""
    for L in (cr, torch):
        optimizer = L.optim.SGD(parameters(L, START), lr=1.0)
        scheduler = L.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="max", patience=1,
                                                           factor=0.5)
        lrs = []
        for metric in (10.0, 10.0005, 10.002, 10.0025, 10.003):
            scheduler.step(metric)
            lrs.append(optimizer.param_groups[0]["lr"])
        assert lrs == [1.0, 1.0, 1.0, 1.0, 0.5], L.__name__
