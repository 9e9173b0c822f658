"""F.pdist against torch for several p (repeated rows included: zero distance, zero gradient),
gradcheck, and its errors."""
import math

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import gradgradcheck


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, 0, math.inf])
def test_pdist_matches_torch(p):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3))
    x[3] = x[1]
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = F.pdist(ours, p), torch.nn.functional.pdist(theirs, p)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    upstream = rng.standard_normal(expected.shape)
    expected.backward(torch.tensor(upstream))
    if out.requires_grad:
        out.backward(cr.tensor(upstream))
    grad = 0 if ours.grad is None else ours.grad.numpy()      # p = 0: torch's grad is zeros
    np.testing.assert_allclose(grad, theirs.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_pdist_differentiates_twice_and_refuses_bad_inputs():
    x = cr.tensor(np.random.default_rng(1).standard_normal((4, 3)), requires_grad=True)
    assert gradgradcheck(lambda x: F.pdist(x), (x,))
    assert gradgradcheck(lambda x: F.pdist(x, 3), (x,))
    with pytest.raises(RuntimeError, match=r"pdist: only supports 2D tensors, got 3D"):
        F.pdist(cr.ones(2, 3, 4))
    with pytest.raises(RuntimeError, match="pdist: only supports non-negative p"):
        F.pdist(cr.ones(2, 3), -1)
