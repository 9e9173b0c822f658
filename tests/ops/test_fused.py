"""The fused nn primitives of ops/fused.py, each checked by the shared harness (NumPy, gradcheck,
gradgradcheck, torch's forward, gradients and second derivatives) through the nn.functional call
that uses it, then its plain backward (arrays) against its graph-building one (Tensors)."""
import numpy as np
import pytest

import chainrule
from tests.ops.harness import Case, OpChecks


def ints(*values):
    return np.array(values, dtype=np.int64)


def log_softmax(a):
    shifted = a - a.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


# ----- cross-entropy on class indices ---------------------------------------------------------------
TARGET = ints(2, 0, 3, 3, 1)
IGNORING = ints(2, -100, 3, -100, 1)


def cross_entropy(target, reduction="mean"):
    def fn(L, x):
        return L.nn.functional.cross_entropy(x, L.tensor(target), reduction=reduction)
    return fn


def numpy_cross_entropy(target, reduction="mean"):
    def fn(x):
        keep = target != -100
        losses = -log_softmax(x)[np.arange(len(target)), np.where(keep, target, 0)] * keep
        if reduction == "none":
            return losses
        return losses.sum() / (keep.sum() if reduction == "mean" else 1)
    return fn


CASES = [
    Case("cross_entropy", cross_entropy(TARGET), numpy_cross_entropy(TARGET), [((5, 4),)]),
    Case("cross_entropy_sum", cross_entropy(TARGET, "sum"), numpy_cross_entropy(TARGET, "sum"),
         [((5, 4),)]),
    Case("cross_entropy_none", cross_entropy(TARGET, "none"),
         numpy_cross_entropy(TARGET, "none"), [((5, 4),)]),
    Case("cross_entropy_ignore_index", cross_entropy(IGNORING), numpy_cross_entropy(IGNORING),
         [((5, 4),)]),
    Case("cross_entropy_ignore_index_none", cross_entropy(IGNORING, "none"),
         numpy_cross_entropy(IGNORING, "none"), [((5, 4),)]),
]


class TestFused(OpChecks):
    cases = CASES


# ----- the plain backward (arrays) and the graph-building one (Tensors) agree -----------------------
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_plain_and_graph_building_backward_agree(case):
    for shapes in case.shapes:
        inputs = [chainrule.tensor(a, requires_grad=True) for a in case.inputs(shapes)]
        out = case.fn(chainrule, *inputs)
        upstream = chainrule.tensor(np.random.default_rng(1).standard_normal(out.shape))
        plain = chainrule.autograd.grad(out, inputs, upstream, retain_graph=True)
        built = chainrule.autograd.grad(out, inputs, upstream, create_graph=True)
        for a, b in zip(plain, built):
            np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_the_fused_node_is_used():
    x = chainrule.randn(4, 3, requires_grad=True)
    loss = chainrule.nn.functional.cross_entropy(x, chainrule.tensor(ints(0, 1, 2, 0)))
    assert type(loss.grad_fn).__name__ == "CrossEntropy"
