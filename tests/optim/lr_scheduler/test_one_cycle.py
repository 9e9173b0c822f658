"""OneCycleLR (one_cycle.py) sets the same rates and momenta (or beta1) as torch's at each of 100
steps, also when saved at step 50 and loaded into fresh objects; errors as torch's."""
import pytest

import chainrule as cr
from tests.optim.lr_scheduler.schedules import CASES, ONE_CYCLE, TRAINED, sgd
from tests.optim.trajectory import START, assert_follows_torch, parameters

S = cr.optim.lr_scheduler


@pytest.mark.filterwarnings("ignore:Detected call")
@pytest.mark.parametrize("name", ONE_CYCLE)
def test_learning_rates_follow_torch(name):
    # the same float operations in the same order as torch's: equal bit for bit
    assert_follows_torch(CASES[name], train=name in TRAINED, lr_rtol=0.0)


@pytest.mark.parametrize("make, error, message", [
    (lambda o: S.OneCycleLR(o, 0.1), ValueError, "total_steps OR \\(epochs AND"),
    (lambda o: S.OneCycleLR(o, 0.1, total_steps=0), ValueError, "positive integer total_steps"),
    (lambda o: S.OneCycleLR(o, 0.1, epochs=2, steps_per_epoch=0), ValueError, "steps_per_epoch"),
    (lambda o: S.OneCycleLR(o, 0.1, 10, pct_start=1.5), ValueError, "pct_start"),
    (lambda o: S.OneCycleLR(o, 0.1, 10, anneal_strategy="exp"), ValueError, "anneal_strategy"),
    (lambda o: S.OneCycleLR(o, [0.1], 10), ValueError, "max_lr must have the same length"),
])
def test_bad_options_raise_as_torch(make, error, message):
    with pytest.raises(error, match=message):
        make(sgd(cr, parameters(cr, START)))


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
