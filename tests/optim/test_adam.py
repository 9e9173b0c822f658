"""Adam and AdamW follow torch's trajectory step by step, for each option, and through a save and
load."""
import pytest

import chainrule as cr
from tests.optim.trajectory import START, assert_follows_torch, parameters

CASES = {
    "adam": lambda L, p: L.optim.Adam(p, lr=0.01),
    "adam_defaults": lambda L, p: L.optim.Adam(p),
    "adam_betas_eps": lambda L, p: L.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-3),
    "adam_amsgrad": lambda L, p: L.optim.Adam(p, lr=0.01, amsgrad=True),
    "adam_l2": lambda L, p: L.optim.Adam(p, lr=0.01, weight_decay=0.1),
    "adam_decoupled": lambda L, p: L.optim.Adam(p, lr=0.01, weight_decay=0.1,
                                                decoupled_weight_decay=True),
    "adam_maximize": lambda L, p: L.optim.Adam(p, lr=0.001, maximize=True),
    "adam_groups": lambda L, p: L.optim.Adam([{"params": p[:1], "lr": 0.03, "amsgrad": True},
                                              {"params": p[1:]}], lr=0.005),
    "adamw": lambda L, p: L.optim.AdamW(p, lr=0.01),
    "adamw_amsgrad": lambda L, p: L.optim.AdamW(p, lr=0.01, weight_decay=0.5, amsgrad=True),
    "adamw_groups": lambda L, p: L.optim.AdamW([{"params": p[:2], "weight_decay": 0},
                                                {"params": p[2:], "lr": 0.003}], lr=0.01),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", CASES)
def test_follows_torch(name, dtype):
    assert_follows_torch(CASES[name], dtype=dtype)


def test_adamw_is_adam_with_decoupled_decay():
    optimizer = cr.optim.AdamW(parameters(cr, START))
    group = optimizer.param_groups[0]
    assert group["weight_decay"] == 1e-2 and group["decoupled_weight_decay"] is True


@pytest.mark.parametrize("options, message", [
    (dict(lr=-1.0), "Invalid learning rate: -1.0"),
    (dict(eps=-1e-8), "Invalid epsilon value"),
    (dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
])
@pytest.mark.parametrize("name", ["Adam", "AdamW"])
def test_invalid_options_raise_as_torch(name, options, message):
    with pytest.raises(ValueError, match=message):
        getattr(cr.optim, name)(parameters(cr, START), **options)
