"""Idioms PyTorch programs write with these ops, run unchanged on chainrule and on torch from the
same numbers: one-hot labels by scatter_, label smoothing, sliding-window features by unfold, a
masked median, dropout masks from bernoulli_, and in-place activations on hidden layers."""
import numpy as np

import chainrule
import torch

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 10))
W = RNG.standard_normal((3 * 4, 5)) * 0.3
LABELS = np.array([0, 3, 1, 4, 2, 3])


def program(L):
    x = L.tensor(X, requires_grad=True)
    w = L.tensor(W, requires_grad=True)
    windows = x.unfold(1, 4, 3)                       # (6, 3, 4): sliding windows
    hidden = windows.reshape(6, -1).mm(w)             # (6, 5)
    hidden.mul_(2.0)                                  # in place on non-leaves
    hidden.tanh_()
    hidden = hidden.clamp_min(-0.5)
    target = L.zeros(6, 5, dtype=hidden.dtype).scatter_(1, L.tensor(LABELS).unsqueeze(1), 1)
    target = target * 0.9 + 0.1 / 5                   # label smoothing
    log_probs = hidden - hidden.logsumexp(1, keepdim=True)
    loss = -(target * log_probs).sum(1).mean()
    centre = L.median(hidden.detach(), dim=1).values
    loss = loss + L.addcmul(L.zeros(()), centre.mean(), loss, value=0.1)
    loss.backward()
    return loss.item(), x.grad.numpy(), w.grad.numpy()


def test_the_program_gives_torchs_loss_and_gradients():
    ours, theirs = program(chainrule), program(torch)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-12)
    for a, b in zip(ours[1:], theirs[1:]):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_dropout_mask_by_bernoulli_keeps_the_expected_fraction():
    chainrule.manual_seed(0)
    h = chainrule.ones(1000, 50)
    mask = h.new_empty(h.shape).bernoulli_(0.8) / 0.8
    assert abs((h * mask).mean().item() - 1.0) < 0.01
