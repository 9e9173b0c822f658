"""RMSprop follows torch's trajectory step by step, for each option, and through a save and load."""
import pytest

import chainrule as cr
from tests.optim.trajectory import START, assert_follows_torch, parameters

CASES = {
    "plain": lambda L, p: L.optim.RMSprop(p, lr=0.01),
    "alpha_eps": lambda L, p: L.optim.RMSprop(p, lr=0.005, alpha=0.9, eps=1e-4),
    "centered": lambda L, p: L.optim.RMSprop(p, lr=0.005, centered=True),
    "momentum": lambda L, p: L.optim.RMSprop(p, lr=0.002, momentum=0.9),
    "all": lambda L, p: L.optim.RMSprop(p, lr=0.002, momentum=0.5, centered=True,
                                        weight_decay=0.05),
    "maximize": lambda L, p: L.optim.RMSprop(p, lr=0.001, maximize=True),
    "groups": lambda L, p: L.optim.RMSprop([{"params": p[:2], "centered": True},
                                            {"params": p[2:], "lr": 0.001, "momentum": 0.3}],
                                           lr=0.004),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", CASES)
def test_follows_torch(name, dtype):
    assert_follows_torch(CASES[name], dtype=dtype)


@pytest.mark.parametrize("options, message", [
    (dict(lr=-0.01), "Invalid learning rate"),
    (dict(eps=-1.0), "Invalid epsilon value"),
    (dict(momentum=-0.9), "Invalid momentum value"),
    (dict(weight_decay=-0.1), "Invalid weight_decay value"),
    (dict(alpha=-0.5), "Invalid alpha value: -0.5"),
])
def test_invalid_options_raise_as_torch(options, message):
    with pytest.raises(ValueError, match=message):
        cr.optim.RMSprop(parameters(cr, START), **options)
