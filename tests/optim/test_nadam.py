"""NAdam follows torch's trajectory step by step, for each option, and through a save and load;
its state keeps torch's mu_product."""
import pytest
import torch

import chainrule as cr
from tests.optim.trajectory import START, assert_follows_torch, parameters

CASES = {
    "defaults": lambda L, p: L.optim.NAdam(p),
    "lr_betas_eps": lambda L, p: L.optim.NAdam(p, lr=0.01, betas=(0.8, 0.99), eps=1e-4),
    "momentum_decay": lambda L, p: L.optim.NAdam(p, lr=0.01, momentum_decay=0.1),
    "l2": lambda L, p: L.optim.NAdam(p, lr=0.01, weight_decay=0.1),
    "decoupled": lambda L, p: L.optim.NAdam(p, lr=0.01, weight_decay=0.1,
                                            decoupled_weight_decay=True),
    "maximize": lambda L, p: L.optim.NAdam(p, lr=0.001, maximize=True),
    "groups": lambda L, p: L.optim.NAdam([{"params": p[:1], "momentum_decay": 0.02},
                                          {"params": p[1:], "lr": 0.005}], lr=0.01),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", CASES)
def test_follows_torch(name, dtype):
    assert_follows_torch(CASES[name], dtype=dtype)


def test_mu_product_is_kept_as_torch_keeps_it():
    ours, theirs = parameters(cr, START), parameters(torch, START)
    mine, reference = cr.optim.NAdam(ours), torch.optim.NAdam(theirs)
    for _ in range(3):
        for p, q in zip(ours, theirs):
            p.grad, q.grad = cr.ones_like(p), torch.ones_like(q)
        mine.step()
        reference.step()
    got, want = mine.state_dict()["state"][0], reference.state_dict()["state"][0]
    assert got["mu_product"].dtype == cr.float32 and want["mu_product"].dtype == torch.float32
    assert float(got["mu_product"]) == float(want["mu_product"])


@pytest.mark.parametrize("options, message", [
    (dict(lr=-1.0), "Invalid learning rate: -1.0"),
    (dict(eps=-1e-8), "Invalid epsilon value"),
    (dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (dict(betas=(0.9, -0.1)), "Invalid beta parameter at index 1: -0.1"),
    (dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
    (dict(momentum_decay=-1e-3), "Invalid momentum_decay value: -0.001"),
])
def test_invalid_options_raise_as_torch(options, message):
    with pytest.raises(ValueError, match=message):
        cr.optim.NAdam(parameters(cr, START), **options)
