"""CosineAnnealingWarmRestarts (warm_restarts.py) sets the same rates as torch's at each of 100
steps, also when saved at step 50 and loaded into fresh objects, and at fractional epochs and
jumps; errors as torch's."""
import pytest
import torch

import chainrule as cr
from tests.optim.lr_scheduler.schedules import CASES, TRAINED, WARM_RESTARTS, sgd
from tests.optim.trajectory import START, assert_follows_torch, parameters


@pytest.mark.filterwarnings("ignore:Detected call")
@pytest.mark.parametrize("name", WARM_RESTARTS)
def test_learning_rates_follow_torch(name):
    # the same float operations in the same order as torch's: equal bit for bit
    assert_follows_torch(CASES[name], train=name in TRAINED, lr_rtol=0.0)


@pytest.mark.parametrize("T_mult", [1, 2, 3])
def test_warm_restarts_with_fractional_epochs(T_mult):
    """step(epoch + i / iters) after each batch, as torch's documentation shows, and jumps."""
    rates = {}
    for L in (torch, cr):
        optimizer = sgd(L, parameters(L, START))
        scheduler = L.optim.lr_scheduler.CosineAnnealingWarmRestarts(optimizer, T_0=2,
                                                                     T_mult=T_mult, eta_min=0.01)
        seen = []
        for epoch in range(12):
            for i in range(5):
                optimizer.step()
                scheduler.step(epoch + i / 5)
                seen.append((scheduler.get_last_lr(), scheduler.last_epoch, scheduler.T_i,
                             scheduler.T_cur))
        for epoch in (30, 7.5, 0, 1.25, 64):
            scheduler.step(epoch)
            seen.append((scheduler.get_last_lr(), scheduler.last_epoch, scheduler.T_i,
                         scheduler.T_cur))
        rates[L.__name__] = seen
    assert rates["chainrule"] == rates["torch"]


@pytest.mark.parametrize("make, error, message", [
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=0), ValueError,
     "Expected positive integer T_0, but got 0"),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=2.5), ValueError,
     "Expected positive integer T_0"),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=0), ValueError,
     "Expected integer T_mult >= 1, but got 0"),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5, eta_min="0"), ValueError,
     "Expected float or int eta_min"),
    (lambda S, o: S.CosineAnnealingWarmRestarts(o, T_0=5).step(-1), ValueError,
     "Expected non-negative epoch, but got -1"),
])
def test_bad_options_raise_as_torch(make, error, message):
    for L in (torch, cr):
        with pytest.raises(error, match=message):
            make(L.optim.lr_scheduler, sgd(L, parameters(L, START)))
