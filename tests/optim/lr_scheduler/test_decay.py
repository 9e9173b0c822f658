"""The decaying schedulers of decay.py (LambdaLR, MultiplicativeLR, StepLR, MultiStepLR,
ExponentialLR, CosineAnnealingLR, LinearLR) set the same rates as torch's at each of 100 steps,
also when saved at step 50 and loaded into fresh objects, and in their closed form; a lambda's
state, and errors, as torch's."""
import pytest
import torch

import chainrule as cr
from tests.optim.lr_scheduler.schedules import CASES, DECAY, TRAINED, Countdown, sgd, warmup
from tests.optim.trajectory import START, assert_follows_torch, parameters

S = cr.optim.lr_scheduler


@pytest.mark.filterwarnings("ignore:Detected call")
@pytest.mark.parametrize("name", DECAY)
def test_learning_rates_follow_torch(name):
    # The rates are computed by the same float operations in the same order as torch's, so they
    # must be equal, bit for bit.
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


def test_lambda_state_saves_a_callable_objects_attributes_as_torch():
    states = []
    for L in (torch, cr):
        optimizer = sgd(L, parameters(L, START))
        scheduler = L.optim.lr_scheduler.LambdaLR(optimizer, [Countdown(0.5), warmup])
        states.append(scheduler.state_dict()["lr_lambdas"])
    assert states[0] == states[1] == [{"rate": 0.5, "calls": 1}, None]


@pytest.mark.parametrize("make, error, message", [
    (lambda o: S.LinearLR(o, start_factor=0), ValueError, "Starting multiplicative factor"),
    (lambda o: S.LinearLR(o, end_factor=1.5), ValueError, "Ending multiplicative factor"),
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
