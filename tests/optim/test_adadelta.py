"""Adadelta follows torch's trajectory step by step, for each option, and through a save and
load."""
import pytest

import chainrule as cr
from tests.optim.trajectory import START, assert_follows_torch, parameters

CASES = {
    "defaults": lambda L, p: L.optim.Adadelta(p),
    "lr_rho_eps": lambda L, p: L.optim.Adadelta(p, lr=0.5, rho=0.95, eps=1e-4),
    "rho_one": lambda L, p: L.optim.Adadelta(p, rho=1.0),
    "weight_decay": lambda L, p: L.optim.Adadelta(p, lr=2.0, weight_decay=0.1),
    "maximize": lambda L, p: L.optim.Adadelta(p, lr=0.1, maximize=True),
    "groups": lambda L, p: L.optim.Adadelta([{"params": p[:1], "rho": 0.5},
                                             {"params": p[1:], "lr": 3.0}], lr=1.5),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", CASES)
def test_follows_torch(name, dtype):
    assert_follows_torch(CASES[name], dtype=dtype)


@pytest.mark.parametrize("options, message", [
    (dict(lr=-1.0), "Invalid learning rate: -1.0"),
    (dict(rho=1.5), "Invalid rho value: 1.5"),
    (dict(rho=-0.1), "Invalid rho value: -0.1"),
    (dict(eps=-1e-6), "Invalid epsilon value"),
    (dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
])
def test_invalid_options_raise_as_torch(options, message):
    with pytest.raises(ValueError, match=message):
        cr.optim.Adadelta(parameters(cr, START), **options)
