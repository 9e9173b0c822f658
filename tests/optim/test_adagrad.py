"""Adagrad follows torch's trajectory step by step, for each option, and through a save and load."""
import pytest

import chainrule as cr
from tests.optim.trajectory import START, assert_follows_torch, parameters

CASES = {
    "plain": lambda L, p: L.optim.Adagrad(p, lr=0.1),
    "lr_decay": lambda L, p: L.optim.Adagrad(p, lr=0.1, lr_decay=0.05),
    "accumulator_weight_decay": lambda L, p: L.optim.Adagrad(
        p, lr=0.05, initial_accumulator_value=0.1, weight_decay=0.01, eps=1e-6),
    "maximize": lambda L, p: L.optim.Adagrad(p, lr=0.01, maximize=True),
    "groups": lambda L, p: L.optim.Adagrad([{"params": p[:1], "lr_decay": 0.1},
                                            {"params": p[1:], "lr": 0.02}], lr=0.1),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", CASES)
def test_follows_torch(name, dtype):
    assert_follows_torch(CASES[name], dtype=dtype)


def test_state_exists_before_the_first_step_as_in_torch():
    optimizer = cr.optim.Adagrad(parameters(cr, START), initial_accumulator_value=0.5)
    state = optimizer.state_dict()["state"]
    assert sorted(state) == [0, 1, 2]
    assert float(state[0]["step"]) == 0.0 and (state[1]["sum"].numpy() == 0.5).all()


@pytest.mark.parametrize("options, message", [
    (dict(lr=-0.01), "Invalid learning rate"),
    (dict(lr_decay=-0.1), "Invalid lr_decay value: -0.1"),
    (dict(weight_decay=-0.1), "Invalid weight_decay value"),
    (dict(initial_accumulator_value=-1.0), "Invalid initial_accumulator_value value: -1.0"),
    (dict(eps=-1e-10), "Invalid epsilon value"),
])
def test_invalid_options_raise_as_torch(options, message):
    with pytest.raises(ValueError, match=message):
        cr.optim.Adagrad(parameters(cr, START), **options)
