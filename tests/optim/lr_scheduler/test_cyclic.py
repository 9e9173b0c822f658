"""CyclicLR (cyclic.py) sets the same rates and momenta (or beta1) as torch's at each of 100
steps, also when saved at step 50 and loaded into fresh objects; a custom scale_fn's state, and
errors, as torch's."""
import pytest
import torch

import chainrule as cr
from tests.optim.lr_scheduler.schedules import CASES, CYCLIC, TRAINED, sgd
from tests.optim.trajectory import START, assert_follows_torch, parameters

S = cr.optim.lr_scheduler


def sgd_one_group(L, params):
    return L.optim.SGD(params, lr=0.1, momentum=0.9)


@pytest.mark.filterwarnings("ignore:Detected call")
@pytest.mark.parametrize("name", CYCLIC)
def test_learning_rates_follow_torch(name):
    # the same float operations in the same order as torch's: equal bit for bit
    assert_follows_torch(CASES[name], train=name in TRAINED, lr_rtol=0.0)


@pytest.mark.parametrize("make, error, message", [
    (lambda S, o: S.CyclicLR(o, 0.01, 0.1, mode="sawtooth"), ValueError,
     "mode is invalid and scale_fn is None"),
    (lambda S, o: S.CyclicLR(o, [0.01], 0.1), ValueError, "base_lr must have the same length"),
    (lambda S, o: S.CyclicLR(o, 0.01, 0.1, base_momentum=[0.1, 0.2, 0.3]), ValueError,
     "base_momentum must have the same length"),
    (lambda S, o: S.CyclicLR([], 0.01, 0.1), TypeError, "list is not an Optimizer"),
])
def test_bad_options_raise_as_torch(make, error, message):
    for L in (torch, cr):
        with pytest.raises(error, match=message):
            make(L.optim.lr_scheduler, sgd(L, parameters(L, START)))


def test_cyclic_momentum_needs_an_optimizer_with_momentum():
    for L in (torch, cr):
        adagrad = L.optim.Adagrad(parameters(L, START))
        with pytest.raises(ValueError, match="must support momentum or beta1"):
            L.optim.lr_scheduler.CyclicLR(adagrad, 0.01, 0.1)
        L.optim.lr_scheduler.CyclicLR(adagrad, 0.01, 0.1, cycle_momentum=False)


def test_cyclic_saves_a_callable_objects_attributes_as_torch():
    class Scale:
        def __init__(self):
            self.rate = 0.5

        def __call__(self, x):
            return self.rate ** x

    optimizer = sgd_one_group(cr, parameters(cr, START))
    fn = Scale()
    scheduler = S.CyclicLR(optimizer, 0.01, 0.1, scale_fn=fn)
    state = scheduler.state_dict()
    assert state["_scale_fn_custom"] == {"rate": 0.5}
    fn.rate = 0.9
    scheduler.load_state_dict(state)
    assert fn.rate == 0.5
    lambda_state = S.CyclicLR(optimizer, 0.01, 0.1, scale_fn=lambda x: 1.0).state_dict()
    assert lambda_state["_scale_fn_custom"] is None
