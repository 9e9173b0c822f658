"""What every scheduler gets from base.py's LRScheduler, checked across schedulers: state dicts
with torch's entries that come back through a checkpoint file, the warnings (a step before the
optimizer's, get_lr called by a program), resuming with last_epoch, load_state_dict's checks; and
a user's own subclass of _LRScheduler, written as before torch 2.0, following torch."""
import warnings

import pytest
import torch

import chainrule as cr
from tests.optim.lr_scheduler.schedules import BASE, CASES, TRAINED, old_style, sgd
from tests.optim.trajectory import (RESUME_AT, START, assert_follows_torch,
                                    assert_same_history, parameters, run)

S = cr.optim.lr_scheduler


@pytest.mark.filterwarnings("ignore:Detected call")
@pytest.mark.parametrize("name", BASE)
def test_learning_rates_follow_torch(name):
    # the same float operations in the same order as torch's: equal bit for bit
    assert_follows_torch(CASES[name], train=name in TRAINED, lr_rtol=0.0)


def test_old_scheduler_base_is_there_as_in_torch():
    S = cr.optim.lr_scheduler
    assert issubclass(S._LRScheduler, S.LRScheduler)
    assert issubclass(torch.optim.lr_scheduler._LRScheduler, torch.optim.lr_scheduler.LRScheduler)


def test_old_style_subclass_reads_last_epoch_base_lrs_and_last_lr():
    rates = {}
    for L in (torch, cr):
        optimizer = sgd(L, parameters(L, START))
        scheduler = old_style(L)(optimizer, 4, 20)
        seen = []
        for _ in range(8):
            optimizer.step()
            scheduler.step()
            seen.append((scheduler.last_epoch, list(scheduler.base_lrs),
                         scheduler.get_last_lr()))
        rates[L.__name__] = seen
        assert isinstance(scheduler, L.optim.lr_scheduler.LRScheduler)
    assert rates["chainrule"] == rates["torch"]


@pytest.mark.parametrize("name", ["step", "one_cycle", "plateau", "sequential_three",
                                  "cyclic_triangular2", "chained", "warm_restarts_mult",
                                  "constant", "polynomial"])
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


@pytest.mark.parametrize("name", ["constant", "cyclic", "warm_restarts", "old_style_subclass"])
def test_get_lr_called_by_a_program_warns_as_torch(name):
    """Old programs read the rate with get_lr(): torch's schedulers warn (it is the next step's
    rate in the chainable form); a user's own subclass does not."""
    for L in (torch, cr):
        optimizer, scheduler = CASES[name](L, parameters(L, START))
        optimizer.step()
        scheduler.step()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scheduler.get_lr()
        said = [str(w.message) for w in caught if "get_last_lr()" in str(w.message)]
        assert len(said) == (name != "old_style_subclass"), (L.__name__, said)


def test_resuming_with_last_epoch_needs_initial_lr():
    optimizer = sgd(cr, parameters(cr, START))
    with pytest.raises(KeyError, match="initial_lr"):
        cr.optim.lr_scheduler.StepLR(optimizer, 5, last_epoch=10)
    with pytest.raises(TypeError, match="list is not an Optimizer"):
        cr.optim.lr_scheduler.StepLR([], 5)


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
