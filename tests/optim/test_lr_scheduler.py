"""The schedulers set the same learning rates (and momenta) as torch's at every one of 100 steps,
also when saved at step 50 and loaded into fresh objects; state dicts as torch's; errors."""
import warnings

import pytest
import torch

import chainrule as cr
from tests.optim.schedules import adam, scheduled, sgd, warmup
from tests.optim.trajectory import (RESUME_AT, START, assert_follows_torch,
                                    assert_same_history, parameters, run)

CASES = {
    "lambda_warmup": scheduled(lambda S, o: S.LambdaLR(o, warmup)),
    "lambda_per_group": scheduled(lambda S, o: S.LambdaLR(o, [warmup, lambda t: 1 / (1 + t)])),
    "multiplicative": scheduled(lambda S, o: S.MultiplicativeLR(o, lambda t: 0.97)),
    "step": scheduled(lambda S, o: S.StepLR(o, step_size=7, gamma=0.5)),
    "multistep": scheduled(lambda S, o: S.MultiStepLR(o, milestones=[10, 30, 30, 60], gamma=0.3)),
    "exponential": scheduled(lambda S, o: S.ExponentialLR(o, gamma=0.97)),
    "cosine": scheduled(lambda S, o: S.CosineAnnealingLR(o, T_max=100)),
    "cosine_past_t_max": scheduled(lambda S, o: S.CosineAnnealingLR(o, T_max=30, eta_min=1e-3)),
    "linear_warmup": scheduled(lambda S, o: S.LinearLR(o, start_factor=0.1, total_iters=20)),
    "linear_decay": scheduled(lambda S, o: S.LinearLR(o, start_factor=1.0, end_factor=0.2,
                                                      total_iters=40)),
    "one_cycle": scheduled(lambda S, o: S.OneCycleLR(o, max_lr=[0.5, 0.2], total_steps=100)),
    "one_cycle_linear_three_phase": scheduled(lambda S, o: S.OneCycleLR(
        o, max_lr=0.4, epochs=10, steps_per_epoch=10, pct_start=0.25, anneal_strategy="linear",
        three_phase=True)),
    "one_cycle_betas": scheduled(lambda S, o: S.OneCycleLR(
        o, max_lr=0.3, total_steps=120, base_momentum=0.8, max_momentum=[0.9, 0.95]), adam),
    "one_cycle_without_momentum": scheduled(lambda S, o: S.OneCycleLR(
        o, max_lr=0.3, total_steps=100, cycle_momentum=False, div_factor=10.0,
        final_div_factor=100.0)),
    "plateau": scheduled(lambda S, o: S.ReduceLROnPlateau(o, patience=2, factor=0.5)),
    "plateau_max_abs_cooldown": scheduled(lambda S, o: S.ReduceLROnPlateau(
        o, mode="max", factor=0.7, threshold_mode="abs", threshold=1e-6, patience=1, cooldown=3,
        min_lr=[1e-3, 2e-3])),
    "plateau_min_lr_eps": scheduled(lambda S, o: S.ReduceLROnPlateau(
        o, patience=0, factor=0.5, threshold_mode="abs", min_lr=1e-3, eps=1e-3)),
    "sequential_warmup_cosine": scheduled(lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, 0.1, total_iters=10), S.CosineAnnealingLR(o, T_max=90)], [10])),
    "sequential_three": scheduled(lambda S, o: S.SequentialLR(
        o, [S.LinearLR(o, 0.2, total_iters=5), S.StepLR(o, 10, 0.5), S.ExponentialLR(o, 0.95)],
        [10, 40])),
    "sequential_nested": scheduled(lambda S, o: S.SequentialLR(
        o, [S.SequentialLR(o, [S.LinearLR(o, 0.5, total_iters=4), S.MultiStepLR(o, [3, 8])], [5]),
            S.CosineAnnealingLR(o, T_max=50, eta_min=0.01)], [30])),
}
TRAINED = ["one_cycle_betas", "sequential_warmup_cosine", "plateau"]


@pytest.mark.filterwarnings("ignore:Detected call")   # both warn, building sequential_nested
@pytest.mark.parametrize("name", CASES)
def test_learning_rates_follow_torch(name):
    # The parameters matter only where the scheduler drives training (TRAINED); elsewhere only
    # the rates and momenta are compared, which needs no gradients. The rates are computed by
    # the same float operations in the same order as torch's, so they must be equal, bit for bit.
    assert_follows_torch(CASES[name], train=name in TRAINED, lr_rtol=0.0)


@pytest.mark.parametrize("name", ["step", "multistep", "exponential", "cosine", "linear_warmup"])
def test_step_with_an_epoch_uses_the_closed_form_as_torch(name):
    rates = []
    for L in (torch, cr):
        optimizer, scheduler = CASES[name](L, parameters(L, START))
        optimizer.step()
        with pytest.warns(UserWarning, match="epoch"):
            scheduler.step(33)
        rates.append(scheduler.get_last_lr())
    assert rates[0] == pytest.approx(rates[1], rel=1e-12)


@pytest.mark.parametrize("name", ["step", "one_cycle", "plateau", "sequential_three"])
def test_state_dict_holds_torchs_entries(name):
    ours = CASES[name](cr, parameters(cr, START))[1].state_dict()
    theirs = CASES[name](torch, parameters(torch, START))[1].state_dict()
    assert ours.keys() <= theirs.keys()   # torch adds _get_lr_called_within_step
    for key in ours.keys() - {"_schedulers"}:
        assert ours[key] == theirs[key], key


@pytest.mark.filterwarnings("ignore:Detected call")
@pytest.mark.parametrize("name", ["one_cycle_betas", "plateau", "sequential_nested",
                                  "lambda_warmup"])
def test_states_survive_a_checkpoint_file(name, tmp_path):
    # Through chainrule's own checkpoint format: tuples (betas), inf (plateau's best) and the
    # milestone Counter (read back as a dict) must come back usable.
    checkpoint = pytest.importorskip("chainrule.train.checkpoint")
    expected, _ = run(torch, CASES[name], train=False)
    _, (values, states) = run(cr, CASES[name], save_at=RESUME_AT, train=False)
    path = str(tmp_path / "states.safetensors")
    checkpoint.save({"optimizer": states[0], "scheduler": states[1]}, path)
    loaded = checkpoint.load(path)
    resumed, _ = run(cr, CASES[name], values, RESUME_AT,
                     saved=(loaded["optimizer"], loaded["scheduler"]), train=False)
    assert_same_history(resumed, expected[RESUME_AT:], 1e-6, 0.0, start=RESUME_AT)


def test_plateau_reads_a_tensor_metric():
    optimizer = sgd(cr, parameters(cr, START))
    scheduler = cr.optim.lr_scheduler.ReduceLROnPlateau(optimizer, patience=0)
    for value in (1.0, 2.0):
        scheduler.step(cr.tensor(value))
    assert scheduler.get_last_lr() == pytest.approx([0.01, 0.005])


def test_stepping_the_scheduler_before_the_optimizer_warns_as_torch():
    optimizer, scheduler = CASES["step"](cr, parameters(cr, START))
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        scheduler.step()
    optimizer, scheduler = CASES["step"](cr, parameters(cr, START))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.step()
        scheduler.step()


def test_a_subclass_that_overrides_step_is_seen_stepping():
    class Plain(cr.optim.Optimizer):
        def step(self, closure=None):
            return None

    optimizer = Plain(parameters(cr, START), {"lr": 0.1})
    scheduler = cr.optim.lr_scheduler.ExponentialLR(optimizer, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        optimizer.step()
        scheduler.step()
    assert scheduler.get_last_lr() == [0.05]


def test_resuming_with_last_epoch_needs_initial_lr():
    optimizer = sgd(cr, parameters(cr, START))
    with pytest.raises(KeyError, match="initial_lr"):
        cr.optim.lr_scheduler.StepLR(optimizer, 5, last_epoch=10)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        cr.optim.lr_scheduler.StepLR([], 5)


S = cr.optim.lr_scheduler


@pytest.mark.parametrize("make, error, message", [
    (lambda o: S.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative factor"),
    (lambda o: S.LinearLR(o, end_factor=1.5), ValueError, "Ending multiplicative factor"),
    (lambda o: S.OneCycleLR(o, 0.1), ValueError, "total_steps OR \\(epochs AND"),
    (lambda o: S.OneCycleLR(o, 0.1, total_steps=0), ValueError, "positive integer total_steps"),
    (lambda o: S.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=0), ValueError, "steps_per_epoch"),
    (lambda o: S.OneCycleLR(o, 0.1, 10, pct_start=1.5), ValueError, "pct_start"),
    (lambda o: S.OneCycleLR(o, 0.1, 10, anneal_strategy="exp"), ValueError, "anneal_strategy"),
    (lambda o: S.OneCycleLR(o, [0.1], 10), ValueError, "max_lr must have the same length"),
    (lambda o: S.ReduceLROnPlateau(o, factor=1.0), ValueError, "Factor should be < 1.0"),
    (lambda o: S.ReduceLROnPlateau(o, mode="lowest"), ValueError, "mode lowest is unknown"),
    (lambda o: S.ReduceLROnPlateau(o, threshold_mode="x"), ValueError, "threshold mode x"),
    (lambda o: S.ReduceLROnPlateau(o, min_lr=[0.1]), ValueError, "expected 2 min_lrs, got 1"),
    (lambda o: S.SequentialLR(o, [S.StepLR(o, 2)], [3]), ValueError, "number of milestones"),
    (lambda o: S.SequentialLR(o, [], []), ValueError, "at least one scheduler"),
    (lambda o: S.SequentialLR(o, [S.StepLR(o, 2), S.ReduceLROnPlateau(o)], [3]), ValueError,
     "does not support `ReduceLROnPlateau`"),
    (lambda o: S.SequentialLR(o, [S.StepLR(sgd(cr, parameters(cr, START)), 2)], []), ValueError,
     "same optimizer"),
])
def test_bad_options_raise_as_torch(make, error, message):
    with pytest.raises(error, match=message):
        make(sgd(cr, parameters(cr, START)))


@pytest.mark.parametrize("make, message", [
    (lambda L, o: L.optim.lr_scheduler.StepLR(o, step_size=0), "StepLR: step_size must be a "
                                                                "positive number of steps, got 0"),
    (lambda L, o: L.optim.lr_scheduler.CosineAnnealingLR(o, T_max=0),
     "CosineAnnealingLR: T_max must be a positive number of steps, got 0"),
])
def test_a_zero_period_fails_at_the_first_step_as_in_torch_naming_the_option(make, message):
    for lib in (torch, cr):
        scheduler = make(lib, sgd(lib, parameters(lib, START)))   # built without complaint
        with pytest.raises(ZeroDivisionError, match=message if lib is cr else "by zero"):
            scheduler.step()


@pytest.mark.parametrize("make", [lambda o: S.StepLR(o, 2), lambda o: S.LambdaLR(o, lambda e: 1),
                                  lambda o: S.CyclicLR(o, 0.01, 0.1)])
def test_load_state_dict_refuses_what_is_not_a_scheduler_state(make):
    optimizer = sgd(cr, parameters(cr, START))
    scheduler = make(optimizer)
    name = type(scheduler).__name__
    with pytest.raises(TypeError, match=rf"{name}.load_state_dict: expected the dict of "
                                        rf"scheduler.state_dict\(\), got a list"):
        scheduler.load_state_dict([1])
    with pytest.raises(TypeError, match=r"got a dict with keys \['param_groups', 'state'\]"):
        scheduler.load_state_dict(optimizer.state_dict())


def test_one_cycle_needs_momentum_to_cycle_it_and_stops_at_total_steps():
    adagrad = cr.optim.Adagrad(parameters(cr, START))
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        S.OneCycleLR(adagrad, 0.1, total_steps=10)
    optimizer = sgd(cr, parameters(cr, START))
    scheduler = S.OneCycleLR(optimizer, 0.1, total_steps=2)
    optimizer.step()
    scheduler.step()
    scheduler.step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        scheduler.step()


def test_plateau_metric_that_is_not_one_number_is_named():
    scheduler = S.ReduceLROnPlateau(sgd(cr, parameters(cr, START)))
    with pytest.raises(ValueError, match=r"ReduceLROnPlateau.step: metrics must be a number or a "
                                         r"one-element tensor .*, got \(2,\)"):
        scheduler.step(cr.ones(2))
    scheduler.step(cr.tensor(0.5))   # a 0-d tensor is fine


# ----- ReduceLROnPlateau's four comparisons, each on metrics where it differs from the others -----
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
