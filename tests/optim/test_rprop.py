"""Rprop follows torch's trajectory step by step, for each option, and through a save and load."""
import pytest
import torch

import chainrule as cr
from tests.optim.trajectory import START, STEPS, assert_follows_torch, parameters

CASES = {
    "defaults": lambda L, p: L.optim.Rprop(p),
    "etas": lambda L, p: L.optim.Rprop(p, lr=0.05, etas=(0.3, 1.5)),
    "step_sizes": lambda L, p: L.optim.Rprop(p, lr=0.01, step_sizes=(1e-3, 0.02)),
    "maximize": lambda L, p: L.optim.Rprop(p, lr=0.001, maximize=True),
    "groups": lambda L, p: L.optim.Rprop([{"params": p[:1], "lr": 0.03, "etas": (0.4, 1.1)},
                                          {"params": p[1:], "step_sizes": (1e-4, 0.1)}],
                                         lr=0.02),
}


# In float32 torch's vectorised tanh rounds some saturated values to 1.0 where NumPy's gives the
# nearer 0.99999994: the gradient there is exactly 0 for torch and ~1e-4 for chainrule, and Rprop
# moves by the sign. Only "maximize" drives the weights into that saturation, at its step 51.
FLOAT32_STEPS = {"maximize": 50}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", CASES)
def test_follows_torch(name, dtype):
    steps = FLOAT32_STEPS.get(name, STEPS) if dtype == "float32" else STEPS
    assert_follows_torch(CASES[name], dtype=dtype, steps=steps)


def test_defaults_as_torch():
    group = cr.optim.Rprop(parameters(cr, START)).param_groups[0]
    assert (group["lr"], group["etas"], group["step_sizes"]) == (1e-2, (0.5, 1.2), (1e-6, 50))


@pytest.mark.parametrize("options, message", [
    (dict(lr=-1.0), "Invalid learning rate: -1.0"),
    (dict(etas=(1.2, 0.5)), "Invalid eta values: 1.2, 0.5"),
    (dict(etas=(0.0, 1.2)), "Invalid eta values: 0.0, 1.2"),
    (dict(etas=(0.5, 1.0)), "Invalid eta values: 0.5, 1.0"),
])
def test_invalid_options_raise_as_torch(options, message):
    with pytest.raises(ValueError, match=message):
        torch.optim.Rprop(parameters(torch, START), **options)
    with pytest.raises(ValueError, match=message):
        cr.optim.Rprop(parameters(cr, START), **options)


def test_sparse_adam_refused_with_advice():
    with pytest.raises(NotImplementedError, match="no sparse gradients.*use optim.Adam"):
        cr.optim.SparseAdam(parameters(cr, START), lr=0.01)
