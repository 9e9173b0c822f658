"""Margin and embedding losses with torch.nn.functional's signatures: margin_ranking_loss,
triplet_margin_loss, cosine_embedding_loss, hinge_embedding_loss, soft_margin_loss,
multilabel_soft_margin_loss; and the multi-class hinge losses multi_margin_loss and
multilabel_margin_loss. Targets are ±1 labels (or 0/1 for multilabel_soft_margin_loss, class
indices for the multi-class ones).

Inputs broadcast as in torch, except that a broadcast into a shape none of them has (an (N, 1)
against an (N,) making an N x N table, which torch allows silently) is refused."""
import math

from chainrule.backend import xp
from chainrule.nn.functional.activation import logsigmoid
from chainrule.nn.functional.distance import pairwise_distance
from chainrule.nn.functional.loss import check_same_shape, reduce_loss, resolve_reduction
from chainrule.ops.activation import softplus
from chainrule.ops.compare import minimum, where
from chainrule.tensor import Tensor

__all__ = ["cosine_embedding_loss", "hinge_embedding_loss", "margin_ranking_loss",
           "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss",
           "soft_margin_loss", "triplet_margin_loss"]

# torch's EPSILON in cosine_embedding_loss, added to each squared norm: 1e-12 as a float32
# constant (9.99999996e-13), in float64 too
_COSINE_EPS = float(xp.float32(1e-12))


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y (x1 - x2) + margin): x1 should rank above x2 where y = 1, below where y = -1."""
    reduction = resolve_reduction("margin_ranking_loss", size_average, reduce, reduction)
    _check_same_ndim("margin_ranking_loss", input1=input1, input2=input2, target=target)
    _check_no_outer_broadcast("margin_ranking_loss", input1=input1, input2=input2, target=target)
    return reduce_loss((-target * (input1 - input2) + margin).clamp(min=0), reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, d(a, p) - d(a, n) + margin), d the pairwise_distance (with its eps); swap uses
    min(d(a, n), d(p, n)) for the negative distance (Balntas et al. 2016)."""
    reduction = resolve_reduction("triplet_margin_loss", size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"triplet_margin_loss: margin must be greater than 0, got {margin}")
    shapes = {"anchor": anchor, "positive": positive, "negative": negative}
    _check_same_ndim("triplet_margin_loss", **shapes)
    _check_no_outer_broadcast("triplet_margin_loss", **shapes)
    positive_distance = pairwise_distance(anchor, positive, p, eps)
    negative_distance = pairwise_distance(anchor, negative, p, eps)
    if swap:
        negative_distance = minimum(negative_distance, pairwise_distance(positive, negative, p,
                                                                         eps))
    loss = (positive_distance - negative_distance + margin).clamp(min=0)
    return reduce_loss(loss, reduction)


def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1, and 0 for any
    other label (as torch); cos adds 1e-12 to each squared norm.
    Shape: x1, x2 (N, D) with target (N,), or (D,) with target ()."""
    reduction = resolve_reduction("cosine_embedding_loss", size_average, reduce, reduction)
    if target.ndim > 1:
        raise RuntimeError(f"cosine_embedding_loss: 0D or 1D target tensor expected, multi-target "
                           f"not supported; got target of shape {target.shape}")
    if input1.ndim != target.ndim + 1 or input2.ndim != target.ndim + 1:
        raise RuntimeError(f"cosine_embedding_loss: {target.ndim}D target tensor expects "
                           f"{target.ndim + 1}D input tensors, but found inputs with sizes "
                           f"{input1.shape} and {input2.shape}")
    _check_no_outer_broadcast("cosine_embedding_loss", input1=input1, input2=input2)
    dim = target.ndim
    products = (input1 * input2).sum(dim)
    squares = ((input1 * input1).sum(dim) + _COSINE_EPS) * ((input2 * input2).sum(dim)
                                                            + _COSINE_EPS)
    cosine = products / squares.sqrt()
    _check_no_outer_broadcast("cosine_embedding_loss", cosine=cosine, target=target)
    loss = (where(target == 1, 1 - cosine, 0.0)
            + where(target == -1, (cosine - margin).clamp(min=0), 0.0))
    return reduce_loss(loss, reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where y = 1, max(0, margin - x) where y = -1 (x typically a distance)."""
    reduction = resolve_reduction("hinge_embedding_loss", size_average, reduce, reduction)
    check_same_shape("hinge_embedding_loss", input, target)
    loss = (where(target != 1, (margin - input).clamp(min=0), 0.0)
            + where(target != -1, input, 0.0))
    return reduce_loss(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x)), the logistic loss of ±1 labels."""
    reduction = resolve_reduction("soft_margin_loss", size_average, reduce, reduction)
    check_same_shape("soft_margin_loss", input, target)
    return reduce_loss(softplus(-input * target, threshold=math.inf), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """-(1/C) Σ_c w_c (y_c log σ(x_c) + (1 - y_c) log σ(-x_c)) over the classes (last dim), for
    0/1 labels y. Shape: input (N, C) or (C,), target as input -> (N,) or () unreduced."""
    reduction = resolve_reduction("multilabel_soft_margin_loss", size_average, reduce, reduction)
    check_same_shape("multilabel_soft_margin_loss", input, target)
    loss = -(target * logsigmoid(input) + (1 - target) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    classes = input.shape[-1] if input.ndim else 1
    return reduce_loss(loss.sum(-1) / classes, reduction)


# ----- shape checks ---------------------------------------------------------------------------
def _describe(tensors):
    return ", ".join(f"{name} {t.shape}" for name, t in tensors.items())


def _check_same_ndim(name, **tensors):
    if len({t.ndim for t in tensors.values()}) > 1:
        raise RuntimeError(f"{name}: expected inputs with the same number of dims, got "
                           f"{_describe(tensors)}")


def _check_no_outer_broadcast(name, **tensors):
    """The shapes broadcast, and to one of themselves: an (N, 1) against an (N,) would silently
    compare every pair, making an N x N table."""
    shapes = [t.shape for t in tensors.values()]
    try:
        common = xp.broadcast_shapes(*shapes)
    except ValueError:
        raise RuntimeError(f"{name}: shapes do not broadcast: {_describe(tensors)}") from None
    if common not in shapes:
        raise RuntimeError(f"{name}: shapes would broadcast to {common}, which none of them has "
                           f"(comparing every pair): {_describe(tensors)}")


def _class_targets(name, input, target):
    """input as (N, C) and target's class indices as an (N,) array, checked."""
    if input.ndim not in (1, 2) or input.shape[-1] == 0:
        raise RuntimeError(f"{name}: expected a non-empty 1-D (C,) or 2-D (N, C) input, got "
                           f"shape {input.shape}")
    labels = target.array if hasattr(target, "array") else xp.asarray(target)
    rows = input.shape[0] if input.ndim == 2 else 1
    if labels.dtype.kind not in "iu" or labels.size != rows or labels.ndim > 1:
        raise RuntimeError(f"{name}: expected an integer target of shape ({rows},) for input of "
                           f"shape {input.shape}, got {labels.dtype} of shape {labels.shape}")
    classes = input.shape[-1]
    if labels.size and (labels.min() < 0 or labels.max() >= classes):
        bad = labels.max() if labels.max() >= classes else labels.min()
        raise IndexError(f"{name}: target {int(bad)} is out of bounds for {classes} classes")
    return input.reshape(rows, classes), labels.reshape(rows)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """(1/C) Σ_{i≠y} w_y max(0, margin - x_y + x_i)^p per sample: the multi-class hinge loss
    (Weston & Watkins 1999; p is 1 or 2)."""
    reduction = resolve_reduction("multi_margin_loss", size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p == 1 and p == 2 supported, got p={p}")
    if weight is not None and (weight.ndim != 1 or weight.shape[0] != input.shape[-1]):
        raise RuntimeError(f"multi_margin_loss: expected weight of shape ({input.shape[-1]},) "
                           f"for input of shape {input.shape}, got {weight.shape}")
    x, labels = _class_targets("multi_margin_loss", input, target)
    rows, classes = x.shape
    chosen = x[xp.arange(rows), labels].reshape(rows, 1)
    hinge = (x - chosen + margin).clamp(min=0)
    if p == 2:
        hinge = hinge * hinge
    if weight is not None:
        hinge = hinge * weight[labels].reshape(rows, 1)
    others = Tensor._make(xp.arange(classes)[None, :] != labels[:, None])
    loss = where(others, hinge, 0.0).sum(1) / classes
    loss = loss.reshape(()) if input.ndim == 1 else loss
    return reduce_loss(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """(1/C) Σ_{j target} Σ_{i not target} max(0, 1 - (x_j - x_i)) per sample; the targets of a
    row are its class indices up to the first -1."""
    reduction = resolve_reduction("multilabel_margin_loss", size_average, reduce, reduction)
    labels = target.array if hasattr(target, "array") else xp.asarray(target)
    if input.ndim not in (1, 2) or labels.shape != input.shape or labels.dtype.kind not in "iu":
        raise RuntimeError(f"multilabel_margin_loss: expected an input (C,) or (N, C) and an "
                           f"integer target of its shape, got input {input.shape} and target "
                           f"{labels.dtype} of shape {labels.shape}")
    classes = input.shape[-1]
    rows = labels.reshape(-1, classes)
    if rows.size and (rows.min() < -1 or rows.max() >= classes):
        raise IndexError(f"multilabel_margin_loss: target values must be in [-1, {classes - 1}], "
                         f"got {rows.min()} .. {rows.max()}")
    # a row's targets are the entries before its first -1
    listed = xp.cumprod(rows != -1, axis=1).astype(bool)
    # how often each class is listed: torch counts a repeated target once per listing
    listings = xp.zeros(rows.shape, input.array.dtype)
    row_index, column = xp.nonzero(listed)
    xp.add.at(listings, (row_index, rows[row_index, column]), 1)
    x = input.reshape(rows.shape)
    # pairs[n, j, i]: j a target (times its listings), i not one
    pairs = Tensor._make(listings[:, :, None] * (listings == 0)[:, None, :])
    hinge = (1 - (x.unsqueeze(2) - x.unsqueeze(1))).clamp(min=0)
    loss = (pairs * hinge).sum((1, 2)) / classes
    loss = loss.reshape(()) if input.ndim == 1 else loss
    return reduce_loss(loss, reduction)
