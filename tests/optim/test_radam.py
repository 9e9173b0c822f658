"""RAdam follows torch's trajectory step by step, for each option (through the warm-up, where
ρₜ ≤ 5, and the rectified steps after it), and through a save and load."""
import pytest

import chainrule as cr
from chainrule.optim.radam import _rectification
from tests.optim.trajectory import START, assert_follows_torch, parameters

CASES = {
    "defaults": lambda L, p: L.optim.RAdam(p),
    "lr": lambda L, p: L.optim.RAdam(p, lr=0.01),
    # β₂ = 0.9: ρ∞ = 19 (0.999: 1999); either way ρₜ first passes 5 at the 6th step
    "betas_eps": lambda L, p: L.optim.RAdam(p, lr=0.02, betas=(0.8, 0.9), eps=1e-4),
    # β₂ = 0.6: ρ∞ = 4, never rectified: momentum SGD throughout
    "never_rectified": lambda L, p: L.optim.RAdam(p, lr=0.01, betas=(0.9, 0.6)),
    "l2": lambda L, p: L.optim.RAdam(p, lr=0.01, weight_decay=0.1),
    "decoupled": lambda L, p: L.optim.RAdam(p, lr=0.01, weight_decay=0.1,
                                            decoupled_weight_decay=True),
    "maximize": lambda L, p: L.optim.RAdam(p, lr=0.001, maximize=True),
    "groups": lambda L, p: L.optim.RAdam([{"params": p[:1], "betas": (0.5, 0.9)},
                                          {"params": p[1:], "lr": 0.005}], lr=0.01),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", CASES)
def test_follows_torch(name, dtype):
    assert_follows_torch(CASES[name], dtype=dtype)


def test_rectification_switches_on_when_rho_t_passes_5():
    first = [t for t in range(1, 20) if _rectification(0.999, t) is not None][0]
    assert first == 6
    assert all(_rectification(0.6, t) is None for t in range(1, 200))


@pytest.mark.parametrize("options, message", [
    (dict(lr=-1.0), "Invalid learning rate: -1.0"),
    (dict(eps=-1e-8), "Invalid epsilon value"),
    (dict(betas=(1.0, 0.999)), "Invalid beta parameter at index 0: 1.0"),
    (dict(betas=(0.9, 1.0)), "Invalid beta parameter at index 1: 1.0"),
    (dict(weight_decay=-0.1), "Invalid weight_decay value: -0.1"),
])
def test_invalid_options_raise_as_torch(options, message):
    with pytest.raises(ValueError, match=message):
        cr.optim.RAdam(parameters(cr, START), **options)
