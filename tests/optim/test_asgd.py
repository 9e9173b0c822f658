"""ASGD follows torch's trajectory (parameters, and the eta/mu/ax state) step by step, and
through a save and load."""
import numpy as np
import pytest
import torch

import chainrule as cr
from tests.optim.trajectory import START, assert_follows_torch, parameters, run

CASES = {
    "defaults": lambda L, p: L.optim.ASGD(p),
    "averaging": lambda L, p: L.optim.ASGD(p, lr=0.05, lambd=1e-3, alpha=0.6, t0=10),
    "weight_decay": lambda L, p: L.optim.ASGD(p, lr=0.05, weight_decay=0.1, t0=30),
    "maximize": lambda L, p: L.optim.ASGD(p, lr=0.001, maximize=True),
    "positional": lambda L, p: L.optim.ASGD(p, 0.02, 1e-2, 0.5, 5.0, 0.01, None, False),
    "groups": lambda L, p: L.optim.ASGD([{"params": p[:1], "lr": 0.03, "t0": 3},
                                         {"params": p[1:], "lambd": 0.01}], lr=0.02),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", CASES)
def test_follows_torch(name, dtype):
    assert_follows_torch(CASES[name], dtype=dtype)


def test_state_matches_torch():
    """eta, mu (float32 0-d, as torch) and the average ax after 40 steps with averaging on."""
    states = {}

    def build(L, params):
        optimizer = L.optim.ASGD(params, lr=0.05, lambd=1e-3, alpha=0.6, t0=10)
        states[L.__name__] = optimizer
        return optimizer

    for L in (torch, cr):
        run(L, build, steps=40)
    got, want = states["chainrule"].state_dict()["state"], states["torch"].state_dict()["state"]
    assert set(got) == set(want)
    for index in want:
        assert set(got[index]) == set(want[index])
        for key in ("eta", "mu", "step"):
            assert got[index][key].dtype == cr.float32
            assert float(got[index][key]) == float(want[index][key])
        np.testing.assert_allclose(got[index]["ax"].numpy(), want[index]["ax"].numpy(),
                                   rtol=1e-10)


def test_defaults_as_torch():
    group = cr.optim.ASGD(parameters(cr, START)).param_groups[0]
    assert (group["lr"], group["lambd"], group["alpha"], group["t0"], group["weight_decay"]) == (
        1e-2, 1e-4, 0.75, 1e6, 0)


@pytest.mark.parametrize("options, message", [
    (dict(lr=-1.0), "Invalid learning rate: -1.0"),
    (dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
])
def test_invalid_options_raise_as_torch(options, message):
    with pytest.raises(ValueError, match=message):
        torch.optim.ASGD(parameters(torch, START), **options)
    with pytest.raises(ValueError, match=message):
        cr.optim.ASGD(parameters(cr, START), **options)


@pytest.mark.parametrize("name", ["Adam", "ASGD", "Adamax", "Rprop"])
def test_scalar_float64_parameter(name):
    """A 0-d float64 parameter beside float32 0-d step/eta/mu state is not a dtype mismatch."""
    values = {}
    for L in (torch, cr):
        param = parameters(L, [np.array(1.5)])[0]
        optimizer = getattr(L.optim, name)([param], lr=0.1)
        for _ in range(3):
            optimizer.zero_grad()
            (param * param).backward()
            optimizer.step()
        values[L.__name__] = float(param.detach())
    assert values["chainrule"] == pytest.approx(values["torch"], rel=1e-12)
