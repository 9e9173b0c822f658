"""torch.norm and Tensor.norm, deprecated in torch but everywhere in programs: every p, dim and
keepdim against torch, values and gradients."""
import math

import numpy as np
import pytest
import torch

import chainrule as cr

CALLS = [
    ((), {}), ((1,), {}), ((3,), {}), ((0.5,), {}), ((math.inf,), {}), ((-math.inf,), {}),
    ((0,), {}), ((1,), {"dim": 1}), ((2,), {"dim": 0, "keepdim": True}), (("fro",), {"dim": (0, 1)}),
    (("nuc",), {}), ((), {"p": 1, "dim": -1}), ((3,), {"dim": (0, 1)}),
]


@pytest.mark.parametrize("args, kwargs", CALLS, ids=[f"{a}-{k}" for a, k in CALLS])
def test_norm_matches_torch(args, kwargs):
    values = np.random.default_rng(0).normal(size=(3, 4))
    results = []
    for L in (torch, cr):
        x = L.tensor(values, requires_grad=True)
        out = L.norm(x, *args, **kwargs)
        if out.requires_grad:   # p = 0 counts: no gradient in torch either
            out.sum().backward()
        method = x.norm(*args, **kwargs)
        grad = np.zeros(0) if x.grad is None else x.grad.numpy()
        results.append((out.detach().numpy(), grad, method.detach().numpy()))
    for ours, theirs in zip(results[1], results[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_a_bad_p_names_it():
    with pytest.raises(RuntimeError, match="norm: p must be a number, 'fro' or 'nuc', got 'max'"):
        cr.norm(cr.ones(2), "max")
