"""SGD follows torch's trajectory step by step, for each option, and through a save and load."""
import pytest

import chainrule as cr
from tests.optim.trajectory import START, assert_follows_torch, parameters

CASES = {
    "plain": lambda L, p: L.optim.SGD(p, lr=0.1),
    "default_lr": lambda L, p: L.optim.SGD(p),
    "momentum": lambda L, p: L.optim.SGD(p, lr=0.05, momentum=0.9),
    "dampening_weight_decay": lambda L, p: L.optim.SGD(p, lr=0.05, momentum=0.8, dampening=0.3,
                                                       weight_decay=0.01),
    "nesterov": lambda L, p: L.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True,
                                         weight_decay=0.001),
    "maximize": lambda L, p: L.optim.SGD(p, lr=0.01, momentum=0.5, maximize=True),
    "groups": lambda L, p: L.optim.SGD([{"params": p[:2]},
                                        {"params": p[2:], "lr": 0.01, "momentum": 0.5}],
                                       lr=0.1, momentum=0.9),
}


@pytest.mark.parametrize("name", CASES)
def test_follows_torch(name):
    assert_follows_torch(CASES[name])


@pytest.mark.parametrize("options, message", [
    (dict(lr=-0.1), "Invalid learning rate: -0.1"),
    (dict(momentum=-0.5), "Invalid momentum value: -0.5"),
    (dict(weight_decay=-1e-4), "Invalid weight_decay value: -0.0001"),
    (dict(nesterov=True), "Nesterov momentum requires a momentum and zero dampening"),
    (dict(nesterov=True, momentum=0.9, dampening=0.1), "Nesterov momentum requires"),
])
def test_invalid_options_raise_as_torch(options, message):
    with pytest.raises(ValueError, match=message):
        cr.optim.SGD(parameters(cr, START), **options)
