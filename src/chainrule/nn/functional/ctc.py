"""Connectionist temporal classification loss (Graves et al. 2006): -log of the total probability
of every alignment of a target to the input frames, by the forward (alpha) recursion in log space,
written with Tensor ops so that autograd runs the backward (beta) recursion."""
from chainrule.backend import xp
from chainrule.nn.functional.loss import resolve_reduction
from chainrule.ops.compare import where
from chainrule.ops.join import cat, stack
from chainrule.tensor import Tensor

__all__ = ["ctc_loss"]

NEG_INF = float("-inf")


def _as_lengths(name, what, lengths, batch):
    array = lengths.array if isinstance(lengths, Tensor) else xp.asarray(lengths)
    if array.dtype.kind not in "iu" or array.shape not in ((batch,), ()) or \
            (array.ndim == 0 and batch != 1):
        raise RuntimeError(f"ctc_loss: expected {what} to hold {batch} integer length(s), got "
                           f"{array.dtype} of shape {array.shape}")
    return array.reshape(batch).astype(xp.int64)


def _padded_targets(targets, target_lengths, batch):
    """(N, S_max) labels from padded (N, S) or concatenated 1-D targets."""
    labels = targets.array if isinstance(targets, Tensor) else xp.asarray(targets)
    widest = int(target_lengths.max()) if batch else 0
    if labels.ndim == 1:   # concatenated (for one sample, the same as padded)
        if labels.size < target_lengths.sum():
            raise RuntimeError(f"ctc_loss: concatenated targets hold {labels.size} labels, fewer "
                               f"than the target lengths' sum {int(target_lengths.sum())}")
        padded = xp.zeros((batch, widest), xp.int64)
        starts = xp.concatenate([[0], xp.cumsum(target_lengths)[:-1]])
        for n, (start, length) in enumerate(zip(starts, target_lengths)):
            padded[n, :length] = labels[start:start + length]
        return padded
    labels = labels.reshape(batch, -1)
    if labels.shape[1] < widest:
        raise RuntimeError(f"ctc_loss: expected targets to have size at least {widest} at "
                           f"dimension 1, got shape {labels.shape}")
    return labels[:, :widest].astype(xp.int64)


def _logsumexp3(a, b, c):
    """log(e^a + e^b + e^c) elementwise, -inf (with zero gradient, not NaN) where all are -inf."""
    stacked = stack([a, b, c])
    top = stacked.array.max(0)
    shift = Tensor._make(xp.where(xp.isfinite(top), top, 0.0))
    total = (stacked - shift).exp().sum(0)
    alive = Tensor._make(total.array > 0)
    return where(alive, where(alive, total, 1.0).log() + shift, NEG_INF)


def _alignment_log_likelihood(log_probs, labels, input_lengths, target_lengths, blank):
    """log p(target | input) per sample by the alpha recursion over the labels with blanks
    between and around them, l' = (blank, l1, blank, l2, ..., blank)."""
    frames, batch, _ = log_probs.shape
    width = 2 * labels.shape[1] + 1
    extended = xp.full((batch, width), blank, xp.int64)
    extended[:, 1::2] = labels
    # a label may be reached from two back unless it is blank or repeats that label
    skip = xp.zeros((batch, width), bool)
    skip[:, 2:] = (extended[:, 2:] != blank) & (extended[:, 2:] != extended[:, :-2])
    skip = Tensor._make(skip)
    index = Tensor._make(extended)
    minus_inf = Tensor._make(xp.full((batch, 2), NEG_INF, log_probs.array.dtype))
    start = xp.full((batch, width), NEG_INF, log_probs.array.dtype)
    start[:, :2] = 0.0
    alpha = Tensor._make(start) + log_probs[0].gather(1, index)
    for t in range(1, frames):
        one_back = cat([minus_inf[:, :1], alpha[:, :-1]], 1)
        two_back = where(skip, cat([minus_inf, alpha[:, :-2]], 1), NEG_INF)
        step = _logsumexp3(alpha, one_back, two_back) + log_probs[t].gather(1, index)
        running = Tensor._make((t < input_lengths)[:, None])
        alpha = where(running, step, alpha)   # a sample's recursion stops at its length
    last = 2 * target_lengths
    rows = xp.arange(batch)
    final = alpha[Tensor._make(rows), Tensor._make(last)]
    before = alpha[Tensor._make(rows), Tensor._make(xp.maximum(last - 1, 0))]
    before = where(Tensor._make(last > 0), before, NEG_INF)
    return _logsumexp3(final, before, Tensor._make(xp.full(batch, NEG_INF, final.array.dtype)))


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """-log Σ over alignments π of the target of Π_t p_t(π_t); 'mean' divides each sample's loss
    by its target length, then averages. Shape: log_probs (T, N, C) or (T, C) (log_softmax
    outputs), targets (N, S) or concatenated (sum of target_lengths,), input_lengths and
    target_lengths (N,) -> () or, unreduced, (N,)."""
    reduction = resolve_reduction("ctc_loss", None, None, reduction)
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
    if log_probs.ndim != 3 or not log_probs.is_floating_point():
        raise RuntimeError(f"ctc_loss: expected floating log_probs of shape (T, N, C) or (T, C), "
                           f"got {log_probs.dtype} of shape {log_probs.shape}")
    frames, batch, classes = log_probs.shape
    if not 0 <= blank < classes:
        raise RuntimeError(f"ctc_loss: blank must be in label range [0, {classes}), got {blank}")
    input_lengths = _as_lengths("ctc_loss", "input_lengths", input_lengths, batch)
    target_lengths = _as_lengths("ctc_loss", "target_lengths", target_lengths, batch)
    if input_lengths.size and (input_lengths.max() > frames or input_lengths.min() < 0):
        raise RuntimeError(f"ctc_loss: expected input_lengths in [0, {frames}] (log_probs has "
                           f"{frames} frames), got {input_lengths.tolist()}")
    labels = _padded_targets(targets, target_lengths, batch)
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise RuntimeError(f"ctc_loss: target labels must be in [0, {classes}), got "
                           f"{labels.min()} .. {labels.max()}")
    loss = -_alignment_log_likelihood(log_probs, labels, input_lengths, target_lengths, blank)
    loss = loss + _torch_gradient_offset(log_probs, input_lengths)
    if zero_infinity:
        loss = where(Tensor._make(xp.isinf(loss.array)), 0.0, loss)
    if reduction == "mean":
        divisor = Tensor._make(xp.maximum(target_lengths, 1).astype(loss.array.dtype))
        return (loss / divisor).mean()
    if reduction == "sum":
        return loss.sum()
    return loss.reshape(()) if unbatched else loss


def _torch_gradient_offset(log_probs, input_lengths):
    """Zero in value; its gradient adds exp(log_probs) on each sample's frames. torch's ctc_loss
    returns exp(lp) - occupancy as the gradient wrt log_probs (the gradient wrt the logits,
    which a log_softmax in front leaves unchanged); this term reproduces it exactly."""
    frames, batch, _ = log_probs.shape
    inside = Tensor._make((xp.arange(frames)[:, None] < input_lengths[None, :])[:, :, None]
                          .astype(log_probs.array.dtype))
    probs = log_probs.exp() * inside
    return (probs - probs.detach()).sum((0, 2))
