"""CTCLoss against torch: losses and gradients (through log_softmax and wrt log_probs itself,
where torch's gradient is exp(lp) - occupancy) for each reduction, padded and concatenated
targets, uneven lengths, repeated labels, empty targets, impossible alignments with and without
zero_infinity, unbatched input; gradcheck; errors."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck

T, N, C = 8, 4, 5
LOGITS = np.random.default_rng(0).standard_normal((T, N, C))
# repeated labels, a short target, an impossible one (3 repeats need 5 frames, it has 4), empty
TARGETS = np.array([[1, 2, 2], [3, 1, 0], [4, 4, 4], [0, 0, 0]])
INPUT_LENGTHS, TARGET_LENGTHS = np.array([8, 6, 4, 5]), np.array([3, 2, 3, 0])


def _losses(targets, reduction, zero_infinity, blank=0, logits=LOGITS,
            input_lengths=INPUT_LENGTHS, target_lengths=TARGET_LENGTHS):
    results = []
    for lib in (cr, torch):
        x = lib.tensor(logits, requires_grad=True)
        log_probs = x.log_softmax(-1)
        log_probs.retain_grad()
        module = getattr(lib.nn, "CTCLoss")(blank, reduction, zero_infinity)
        loss = module(log_probs, lib.tensor(targets), lib.tensor(input_lengths),
                      lib.tensor(target_lengths))
        results.append((loss, x, log_probs))
    return results


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("zero_infinity", [False, True])
@pytest.mark.parametrize("concatenated", [False, True])
def test_ctc_loss_matches_torch(reduction, zero_infinity, concatenated):
    targets = np.concatenate([row[:n] for row, n in zip(TARGETS, TARGET_LENGTHS)]) \
        if concatenated else TARGETS
    (ours, x, lp), (theirs, tx, tlp) = _losses(targets, reduction, zero_infinity)
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-12)
    if not zero_infinity and reduction != "none":
        return     # an infinite loss: torch's gradient is NaN or inf
    weights = np.where(np.isinf(theirs.detach().numpy()), 0, 1.0)
    with np.errstate(invalid="ignore"):   # inf * 0 in mul warns, as NumPy (README)
        (ours * cr.tensor(weights)).sum().backward()
    (theirs * torch.tensor(weights)).sum().backward()
    # an impossible sample's gradient: torch's is NaN even when weighted by 0, ours is 0
    finite = weights == 1 if not zero_infinity else slice(None)
    np.testing.assert_allclose(x.grad.numpy()[:, finite], tx.grad.numpy()[:, finite],
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(lp.grad.numpy()[:, finite], tlp.grad.numpy()[:, finite],
                               rtol=1e-10, atol=1e-12)
    assert not np.isnan(x.grad.numpy()).any()


def test_ctc_loss_blank_elsewhere_unbatched_and_float32():
    logits = LOGITS[:, 0].astype("float32")
    (ours, x, _), (theirs, tx, _) = _losses(np.array([0, 1, 1]), "mean", False, blank=4,
                                            logits=logits, input_lengths=np.array(8),
                                            target_lengths=np.array(3))
    assert ours.shape == () and ours.dtype == cr.float32
    np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), rtol=1e-5)
    ours.backward()
    theirs.backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_ctc_loss_gradcheck_through_log_softmax():
    x = cr.tensor(LOGITS[:5, :2], requires_grad=True)
    assert gradcheck(lambda x: F.ctc_loss(x.log_softmax(-1), cr.tensor([[1, 2], [3, 3]]),
                                          cr.tensor([5, 4]), cr.tensor([2, 1])), (x,))


def test_ctc_loss_refuses_bad_lengths_and_labels():
    lp = cr.tensor(LOGITS).log_softmax(-1)
    with pytest.raises(RuntimeError, match=r"ctc_loss: expected input_lengths in \[0, 8\]"):
        F.ctc_loss(lp, cr.tensor(TARGETS), cr.tensor([9, 1, 1, 1]), cr.tensor(TARGET_LENGTHS))
    with pytest.raises(RuntimeError, match=r"ctc_loss: expected targets to have size at least 4"):
        F.ctc_loss(lp, cr.tensor(TARGETS), cr.tensor(INPUT_LENGTHS), cr.tensor([4, 1, 1, 1]))
    with pytest.raises(RuntimeError, match=r"ctc_loss: target labels must be in \[0, 5\)"):
        F.ctc_loss(lp, cr.tensor(TARGETS + 1), cr.tensor(INPUT_LENGTHS),
                   cr.tensor(TARGET_LENGTHS))
    with pytest.raises(RuntimeError, match=r"ctc_loss: expected target_lengths to hold 4"):
        F.ctc_loss(lp, cr.tensor(TARGETS), cr.tensor(INPUT_LENGTHS), cr.tensor([1, 2]))
