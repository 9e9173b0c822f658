"""default_collate (data/collate.py) keeps the autograd graph as torch's does: tensors that
require grad are stacked by the stack op (torch.stack's StackBackward0), so a loss on the batch
reaches each sample's inputs; tensors that do not are stacked as plain arrays."""
import numpy as np
import pytest
import torch
from torch.utils.data import default_collate as torch_collate

import chainrule as cr
from chainrule.data.collate import default_collate

WEIGHTS = np.array([1.5, -2.0, 0.5])
COLLATE = {torch: torch_collate, cr: default_collate}


def graph_samples(L, which=(0, 1, 2, 3)):
    """Four samples made from one leaf w (non-leaves, so the graph runs on past the batch);
    samples not in `which` are detached."""
    w = L.tensor(WEIGHTS, requires_grad=True)
    samples = [w * (index + 1) + index for index in range(4)]
    return w, [s if index in which else s.detach() for index, s in enumerate(samples)]


def weighted_loss(L, batch):
    return (batch * L.tensor(np.arange(12.0).reshape(4, 3))).sum()


@pytest.mark.parametrize("which", [(0, 1, 2, 3), (1, 3), (2,)])
def test_a_batch_of_tensors_that_require_grad_keeps_the_graph_as_torch(which):
    results = {}
    for L in (torch, cr):
        w, samples = graph_samples(L, which)
        batch = COLLATE[L](samples)
        assert batch.requires_grad and batch.grad_fn is not None, L.__name__
        weighted_loss(L, batch).backward()
        results[L] = batch.detach().numpy(), w.grad.numpy()
    for ours, theirs in zip(results[cr], results[torch]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-15)


def test_leaves_that_require_grad_receive_their_rows_of_the_gradient():
    leaves = [cr.tensor(WEIGHTS * k, requires_grad=True) for k in range(3)]
    batch = default_collate(leaves)
    (batch * cr.tensor([[1.0], [2.0], [3.0]], dtype=cr.float64)).sum().backward()
    for k, leaf in enumerate(leaves):
        np.testing.assert_array_equal(leaf.grad.numpy(), np.full(3, k + 1.0))


def test_nested_samples_keep_the_graph_in_every_field():
    grads = {}
    for L in (torch, cr):
        w, samples = graph_samples(L)
        batch = COLLATE[L]([{"x": (s, 2 * s), "label": k} for k, s in enumerate(samples)])
        x, doubled = batch["x"]
        assert x.grad_fn is not None and doubled.grad_fn is not None, L.__name__
        (weighted_loss(L, x) + weighted_loss(L, doubled)).backward()
        grads[L] = w.grad.numpy()
    np.testing.assert_allclose(grads[cr], grads[torch], rtol=1e-15)


def test_tensors_without_grad_and_no_grad_mode_give_a_batch_outside_the_graph():
    for L in (torch, cr):
        _, samples = graph_samples(L, which=())
        batch = COLLATE[L](samples)
        assert not batch.requires_grad and batch.grad_fn is None, L.__name__
        _, samples = graph_samples(L)
        with L.no_grad():
            batch = COLLATE[L](samples)
        assert not batch.requires_grad and batch.grad_fn is None, L.__name__


def test_a_data_loader_over_tensors_that_require_grad_keeps_the_graph_as_torch():
    grads = {}
    for L in (torch, cr):
        w, samples = graph_samples(L)
        loader = L.utils.data.DataLoader(samples, batch_size=4)
        (batch,) = list(loader)
        assert batch.grad_fn is not None, L.__name__
        weighted_loss(L, batch).backward()
        grads[L] = w.grad.numpy()
    np.testing.assert_allclose(grads[cr], grads[torch], rtol=1e-15)
