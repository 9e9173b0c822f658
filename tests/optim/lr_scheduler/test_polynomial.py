"""ConstantLR and PolynomialLR (polynomial.py) set the same rates as torch's at each of 100 steps,
also when saved at step 50 and loaded into fresh objects, and in their closed form at any epoch;
errors as torch's."""
import pytest
import torch

import chainrule as cr
from tests.optim.lr_scheduler.schedules import CASES, POLYNOMIAL, TRAINED, sgd
from tests.optim.trajectory import START, assert_follows_torch, parameters


@pytest.mark.filterwarnings("ignore:Detected call")
@pytest.mark.parametrize("name", POLYNOMIAL)
def test_learning_rates_follow_torch(name):
    # the same float operations in the same order as torch's: equal bit for bit
    assert_follows_torch(CASES[name], train=name in TRAINED, lr_rtol=0.0)


@pytest.mark.parametrize("name", ["polynomial", "constant_factor"])
@pytest.mark.parametrize("epoch", [0, 3, 39, 40, 79, 80, 120])
def test_step_with_an_epoch_uses_the_closed_form_as_torch(name, epoch):
    rates = []
    for L in (torch, cr):
        optimizer, scheduler = CASES[name](L, parameters(L, START))
        optimizer.step()
        with pytest.warns(UserWarning, match="epoch"):
            scheduler.step(epoch)
        rates.append(scheduler.get_last_lr())
    assert rates[0] == rates[1]


@pytest.mark.parametrize("make, error, message", [
    (lambda S, o: S.ConstantLR(o, factor=1.5), ValueError,
     "Constant multiplicative factor expected to be between 0 and 1"),
])
def test_bad_options_raise_as_torch(make, error, message):
    for L in (torch, cr):
        with pytest.raises(error, match=message):
            make(L.optim.lr_scheduler, sgd(L, parameters(L, START)))
