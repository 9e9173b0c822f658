"""SGD follows torch's trajectory step by step, for each option, and through a save and load."""
import pytest
import torch

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


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", CASES)
def test_follows_torch(name, dtype):
    assert_follows_torch(CASES[name], dtype=dtype)


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


def state_keys_after_steps(L, momenta):
    """The state's keys per parameter after one step at each momentum in turn (a scheduler may
    change it between steps)."""
    params = parameters(L, START)
    optimizer = L.optim.SGD(params, lr=0.1, momentum=momenta[0], dampening=0.3)
    for momentum in momenta:
        optimizer.param_groups[0]["momentum"] = momentum
        optimizer.zero_grad()
        loss = sum((p * p).sum() for p in params)
        loss.backward()
        optimizer.step()
    state = optimizer.state_dict()["state"]
    values = [value for entry in state.values() for value in entry.values()]
    assert all(isinstance(value, (cr.Tensor, torch.Tensor)) for value in values)
    return {index: sorted(entry) for index, entry in state.items()}


@pytest.mark.parametrize("momenta", [[0.0, 0.0], [0.9, 0.9], [0.0, 0.9], [0.9, 0.0]])
def test_state_holds_what_torch_holds(momenta):
    """No state without momentum; a momentum_buffer (a tensor) once a step has used momentum."""
    assert state_keys_after_steps(cr, momenta) == state_keys_after_steps(torch, momenta)
