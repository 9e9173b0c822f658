"""SequentialLR and ChainedScheduler (sequential.py), nested too, set the same rates as torch's at
each of 100 steps, also when saved at step 50 and loaded into fresh objects; errors as torch's."""
import pytest
import torch

import chainrule as cr
from tests.optim.lr_scheduler.schedules import CASES, SEQUENTIAL, TRAINED, sgd
from tests.optim.trajectory import START, assert_follows_torch, parameters

S = cr.optim.lr_scheduler


@pytest.mark.filterwarnings("ignore:Detected call")   # both warn, building sequential_nested
@pytest.mark.parametrize("name", SEQUENTIAL)
def test_learning_rates_follow_torch(name):
    # the same float operations in the same order as torch's: equal bit for bit
    assert_follows_torch(CASES[name], train=name in TRAINED, lr_rtol=0.0)


@pytest.mark.parametrize("make, error, message", [
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


@pytest.mark.parametrize("make, error, message", [
    (lambda S, o: S.ChainedScheduler([]), ValueError, "at least one scheduler"),
    (lambda S, o: S.ChainedScheduler([S.StepLR(o, 2), S.ReduceLROnPlateau(o)]), ValueError,
     "does not support `ReduceLROnPlateau`"),
])
def test_bad_options_of_chained_raise_as_torch(make, error, message):
    for L in (torch, cr):
        with pytest.raises(error, match=message):
            make(L.optim.lr_scheduler, sgd(L, parameters(L, START)))


def test_chained_needs_one_optimizer():
    for L in (torch, cr):
        first, second = sgd(L, parameters(L, START)), sgd(L, parameters(L, START))
        S = L.optim.lr_scheduler
        with pytest.raises(ValueError, match="same optimizer"):
            S.ChainedScheduler([S.StepLR(first, 2), S.StepLR(second, 2)])
