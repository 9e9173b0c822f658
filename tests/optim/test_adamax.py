"""Adamax follows torch's trajectory step by step, for each option, and through a save and load."""
import pytest

import chainrule as cr
from tests.optim.trajectory import START, assert_follows_torch, parameters

CASES = {
    "defaults": lambda L, p: L.optim.Adamax(p),
    "lr_betas_eps": lambda L, p: L.optim.Adamax(p, lr=0.02, betas=(0.8, 0.99), eps=1e-3),
    "weight_decay": lambda L, p: L.optim.Adamax(p, lr=0.01, weight_decay=0.1),
    "maximize": lambda L, p: L.optim.Adamax(p, lr=0.001, maximize=True),
    "foreach": lambda L, p: L.optim.Adamax(p, 0.01, (0.9, 0.999), 1e-8, 0, False),
    "groups": lambda L, p: L.optim.Adamax([{"params": p[:1], "lr": 0.03, "weight_decay": 0.2},
                                           {"params": p[1:], "betas": (0.5, 0.9)}], lr=0.005),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", CASES)
def test_follows_torch(name, dtype):
    assert_follows_torch(CASES[name], dtype=dtype)


def test_defaults_and_state_as_torch():
    optimizer = cr.optim.Adamax(parameters(cr, START))
    group = optimizer.param_groups[0]
    assert (group["lr"], group["betas"], group["eps"], group["weight_decay"]) == (
        2e-3, (0.9, 0.999), 1e-8, 0)


@pytest.mark.parametrize("options, message", [
    (dict(lr=-1.0), "Invalid learning rate: -1.0"),
    (dict(eps=-1e-8), "Invalid epsilon value"),
    (dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
])
def test_invalid_options_raise_as_torch(options, message):
    with pytest.raises(ValueError, match=message):
        cr.optim.Adamax(parameters(cr, START), **options)


@pytest.mark.parametrize("option", ["differentiable", "capturable"])
def test_graph_options_refused(option):
    with pytest.raises(NotImplementedError, match=f"Adamax\\({option}=True\\)"):
        cr.optim.Adamax(parameters(cr, START), **{option: True})
