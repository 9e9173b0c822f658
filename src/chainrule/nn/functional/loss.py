"""Loss functions, as compositions of primitive ops, with torch's names, arguments and reductions.

Each computes a per-element loss and reduces it: reduction='mean' (the default), 'sum' or 'none'.
size_average and reduce are torch's deprecated spellings of reduction, accepted for its signatures.

One loss is a primitive of its own: binary_cross_entropy, whose gradient in torch is not the
derivative of its clamped value (at x = 0 or 1 it is (x - y) / 1e-12, not 0), so no composition
gives it. cross_entropy of (N, C) logits against class indices, unweighted and unsmoothed (a
classifier's loss), is one fused node, ops.fused.CrossEntropy: softmax minus one-hot backward.
"""
import math

from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.activation import log_softmax, softplus
from chainrule.ops.compare import where
from chainrule.ops.fused import cross_entropy_indices
from chainrule.tensor import Tensor

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
           "huber_loss", "l1_loss", "mse_loss", "nll_loss", "smooth_l1_loss"]


# ----- regression ---------------------------------------------------------------------------------
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """(input - target)², reduced; with weight: weighted, and 'mean' divides by Σ weight."""
    reduction = resolve_reduction("mse_loss", size_average, reduce, reduction)
    check_same_shape("mse_loss", input, target)
    return _weighted_reduce("mse_loss", (input - target).square(), weight, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|, reduced; with weight: weighted, and 'mean' divides by Σ weight."""
    reduction = resolve_reduction("l1_loss", size_average, reduce, reduction)
    check_same_shape("l1_loss", input, target)
    return _weighted_reduce("l1_loss", (input - target).abs(), weight, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """½d² where |d| < delta, else delta (|d| - ½delta), for d = input - target (Huber 1964).

    With weight, 'mean' is the plain mean of the weighted losses (as torch, unlike mse_loss)."""
    reduction = resolve_reduction("huber_loss", None, None, reduction)
    if not delta > 0:   # torch refuses it; a non-positive delta gives no Huber loss
        raise RuntimeError(f"huber_loss: delta must be positive, got {delta}")
    check_same_shape("huber_loss", input, target)
    diff = input - target
    size = diff.abs()
    loss = where(size < delta, 0.5 * diff.square(), delta * (size - 0.5 * delta))
    if weight is not None:
        _check_weight("huber_loss", input, weight)
        loss = loss * weight
    return reduce_loss(loss, reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """½d²/beta where |d| < beta, else |d| - ½beta, for d = input - target (Girshick 2015);
    beta = 0 is l1_loss."""
    reduction = resolve_reduction("smooth_l1_loss", size_average, reduce, reduction)
    if not beta >= 0:
        raise RuntimeError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    check_same_shape("smooth_l1_loss", input, target)
    diff = input - target
    size = diff.abs()
    if beta == 0:
        return reduce_loss(size, reduction)
    return reduce_loss(where(size < beta, 0.5 * diff.square() / beta, size - 0.5 * beta),
                       reduction)


# ----- binary classification ----------------------------------------------------------------------
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-w (y log x + (1 - y) log(1 - x)) for probabilities x; each log is clamped at -100 (as
    torch), so x = 0 or 1 gives a finite loss."""
    reduction = resolve_reduction("binary_cross_entropy", size_average, reduce, reduction)
    _check_binary_target("binary_cross_entropy", input, target)
    for name, value in (("input", input), ("target", target)):
        if not ((value.array >= 0) & (value.array <= 1)).all():
            raise RuntimeError(f"binary_cross_entropy: all elements of {name} should be between "
                               f"0 and 1 (probabilities; for logits use "
                               f"binary_cross_entropy_with_logits)")
    loss = BinaryCrossEntropy.apply(input, target)
    if weight is not None:
        _check_broadcasts_into("binary_cross_entropy", "weight", weight, input)
    return reduce_loss(loss if weight is None else loss * weight, reduction)


class BinaryCrossEntropy(Function):
    """y = -(t max(log x, -100) + (1 - t) max(log(1 - x), -100)), elementwise, as torch's;
    dx = dy (x - t) / max(x (1 - x), 1e-12), dt = -dy log(x / (1 - x)) (torch's formulas: at
    x = 0 or 1 they are ±1e12 or 0 and ±inf, not the clamped value's derivative)"""

    @xp.errstate(divide="ignore")   # log(0) = -inf, clamped to -100
    def forward(self, x, t):
        return ((t - 1) * xp.maximum(xp.log1p(-x), _LOG_CLAMP)
                - t * xp.maximum(xp.log(x), _LOG_CLAMP))

    def backward(self, grad):
        x, t = self.inputs
        dx = dy = None
        if self.needs_input_grad[0]:
            dx = grad * (x - t) / (x * (1 - x)).clamp(min=_BCE_EPSILON)
        if self.needs_input_grad[1]:
            dy = grad * -(x / (1 - x)).log()
        return dx, dy


_LOG_CLAMP = -100.0   # torch's: log(0) counts as -100, so x = 0 or 1 gives a finite loss
# torch's floor on x (1 - x) in the gradient: 1e-12 as a float32 constant (9.99999996e-13), in
# float64 too
_BCE_EPSILON = float(xp.float32(1e-12))


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """-w (p y log σ(x) + (1 - y) log(1 - σ(x))) for logits x, computed stably as
    p y softplus(-x) + (1 - y) softplus(x), where softplus(x) = max(x, 0) + log(1 + e^-|x|).
    pos_weight p (one per class, broadcast along the last dim) weighs the positive term."""
    reduction = resolve_reduction("binary_cross_entropy_with_logits", size_average, reduce,
                                  reduction)
    _check_binary_target("binary_cross_entropy_with_logits", input, target)
    # Two softplus terms, not (1 - y) x + softplus(-x): the gradient is then σ(x) - y formed from
    # σ(x) and σ(-x) themselves, not 1 - σ(-x), which cancels in float32 for a confidently wrong
    # logit (x = -15, y = 0: 17 % off torch), exactly where a GAN's saturation is measured.
    # No threshold: softplus stays exact for large arguments, and its gradient σ is right at 0.
    positive = softplus(-input, threshold=math.inf)
    if pos_weight is not None:
        _check_broadcasts_into("binary_cross_entropy_with_logits", "pos_weight", pos_weight, input)
        positive = positive * pos_weight
    loss = target * positive + (1 - target) * softplus(input, threshold=math.inf)
    if weight is not None:
        _check_broadcasts_into("binary_cross_entropy_with_logits", "weight", weight, input)
    return reduce_loss(loss if weight is None else loss * weight, reduction)


def _check_broadcasts_into(name, what, tensor, input):
    # a weight that broadcast the loss to a bigger shape would silently give another loss
    small, big = tuple(tensor.shape), tuple(input.shape)
    if len(small) > len(big) or any(s not in (1, b) for s, b in zip(small[::-1], big[::-1])):
        raise RuntimeError(f"{name}: {what} of shape {small} does not broadcast to the input's "
                           f"shape {big}")


def _check_binary_target(name, input, target):
    if target.shape != input.shape or not backend.is_floating(target.dtype):
        raise ValueError(f"{name}: expected a floating-point target of the input's shape "
                         f"{input.shape}, got {target.shape} {target.dtype}")


# ----- classification -----------------------------------------------------------------------------
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """-Σ_c q_c w_c log softmax(x)_c over the classes (dim 1, or 0 for an unbatched input).

    target holds class indices (q is one-hot; ignore_index entries count for nothing, also not in
    the mean's denominator, which with weight is the sum of the targets' weights) or class
    probabilities q of the input's shape (the mean is over the N * d1 * ... positions).
    label_smoothing ε replaces q by (1 - ε) q + ε / C.
    Shape: input (C,), (N, C) or (N, C, d1, ...); target (), (N,) or (N, d1, ...), or as input.
    """
    reduction = resolve_reduction("cross_entropy", size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got "
                         f"{label_smoothing}")
    class_dim = 0 if input.ndim == 1 else 1
    _check_class_weight("cross_entropy", input, weight)
    if backend.is_floating(target.dtype) and target.shape == input.shape:
        if ignore_index >= 0:
            raise ValueError("cross_entropy: ignore_index is not supported for a target of class "
                             "probabilities")
        return _cross_entropy_probabilities(log_softmax(input, class_dim), target, weight,
                                            reduction, label_smoothing, class_dim)
    _check_class_target("cross_entropy", input, target)
    if input.ndim == 2 and weight is None and not label_smoothing:   # the common case: one node
        ignored = target.array == ignore_index
        any_ignored = bool(ignored.any())
        _check_class_range("cross_entropy", xp.where(ignored, 0, target.array) if any_ignored
                           else target.array, input.shape[1])
        return cross_entropy_indices(input, target, ignore_index if any_ignored else None,
                                     reduction)
    return _class_index_loss("cross_entropy", log_softmax(input, class_dim), target, weight,
                             ignore_index, reduction, label_smoothing)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """-w[t] input[t]: the negative log-likelihood of class t, input being log-probabilities.

    'mean' divides by Σ w[t] over the targets that are not ignore_index (their count without w).
    Shape: input (C,), (N, C) or (N, C, d1, ...); target (), (N,) or (N, d1, ...).
    """
    reduction = resolve_reduction("nll_loss", size_average, reduce, reduction)
    _check_class_weight("nll_loss", input, weight)
    _check_class_target("nll_loss", input, target)
    return _class_index_loss("nll_loss", input, target, weight, ignore_index, reduction, 0.0)


def _class_index_loss(name, log_probs, target, weight, ignore_index, reduction, smoothing):
    """nll_loss, and cross_entropy's label smoothing ε: (1 - ε) nll + ε/C Σ_c -w_c log p_c."""
    classes = log_probs.shape[1] if log_probs.ndim > 1 else log_probs.shape[0]
    indices = target.array
    ignored = indices == ignore_index
    any_ignored = bool(ignored.any())
    if any_ignored:
        indices = xp.where(ignored, 0, indices)  # any valid class; their losses are zeroed below
        ignored_mask = Tensor._make(ignored)
    _check_class_range(name, indices, classes)
    loss = -log_probs[_class_index(log_probs.shape, indices)]
    # the weight of each position's target class: it scales the loss and sums to the denominator
    target_weight = None if weight is None else weight[indices]
    if target_weight is not None:
        loss = loss * target_weight
    if smoothing:
        class_dim = 1 if log_probs.ndim > 1 else 0
        class_shape = (classes,) + (1,) * (log_probs.ndim - 2)
        weighted = log_probs if weight is None else log_probs * weight.reshape(class_shape)
        loss = loss * (1 - smoothing) - weighted.sum(class_dim) * (smoothing / classes)
    if any_ignored:
        loss = loss.masked_fill(ignored_mask, 0)
    if reduction != "mean":
        return reduce_loss(loss, reduction)
    if target_weight is None:  # the mean over the positions that are not ignored
        return loss.sum() / int(ignored.size - ignored.sum())
    if any_ignored:
        target_weight = target_weight.masked_fill(ignored_mask, 0)
    return loss.sum() / target_weight.sum()


def _class_index(shape, indices):
    """The index that picks x[n, indices[n, d1, ...], d1, ...] from x of this shape."""
    if len(shape) == 1:
        return (indices,)
    ndim = len(shape)
    positions = [xp.arange(n).reshape((n,) + (1,) * (ndim - 2 - d))
                 for d, n in enumerate(shape[:1] + shape[2:])]
    return (positions[0], indices, *positions[1:])


def _cross_entropy_probabilities(log_probs, target, weight, reduction, smoothing, class_dim):
    classes = log_probs.shape[class_dim]
    if smoothing:
        target = target * (1 - smoothing) + smoothing / classes
    if weight is not None:
        log_probs = log_probs * weight.reshape((classes,) + (1,) * (log_probs.ndim - 2))
    products = log_probs * target
    if reduction == "none":
        return -products.sum(class_dim)
    total = -products.sum()
    return total if reduction == "sum" else total / (log_probs.numel() // max(classes, 1))


def _check_class_target(name, input, target):
    expected = input.shape[:1] + input.shape[2:] if input.ndim > 1 else ()
    if input.ndim == 0 or target.shape != expected or target.dtype.kind not in "iu":
        extra = (f" (class probabilities need the input's shape {input.shape})"
                 if name == "cross_entropy" else "")
        raise ValueError(f"{name}: expected target of shape {expected} with class indices, got "
                         f"{target.shape} {target.dtype}{extra}")


def _check_class_weight(name, input, weight):
    # checked even when every target is in range: a longer weight would index silently
    if weight is None or input.ndim == 0:
        return
    classes = input.shape[1] if input.ndim > 1 else input.shape[0]
    if weight.shape != (classes,):
        raise RuntimeError(f"{name}: weight should hold one value per class: expected shape "
                           f"({classes},) for the {classes} classes of input {input.shape}, got "
                           f"weight of shape {weight.shape}")


def _check_class_range(name, indices, classes):
    if indices.size and (indices.min() < 0 or indices.max() >= classes):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise IndexError(f"{name}: target {bad} is out of bounds for {classes} classes "
                         f"(expected 0 <= target < {classes}, or ignore_index)")


# ----- reductions and checks ----------------------------------------------------------------------
def resolve_reduction(name, size_average, reduce, reduction, allowed=("mean", "sum", "none")):
    """The reduction, from torch's deprecated size_average/reduce where either is given."""
    if size_average is not None or reduce is not None:
        if reduce is False:
            return "none"
        return "sum" if size_average is False else "mean"
    if reduction not in allowed:
        names = ", ".join(repr(a) for a in allowed[:-1]) + f" or {allowed[-1]!r}"
        raise ValueError(f"{name}: reduction must be {names}, got {reduction!r}")
    return reduction


def reduce_loss(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _weighted_reduce(name, loss, weight, reduction):
    if weight is None:
        return reduce_loss(loss, reduction)
    _check_weight(name, loss, weight)
    loss = loss * weight
    return loss.sum() / weight.sum() if reduction == "mean" else reduce_loss(loss, reduction)


def check_same_shape(name, input, target):
    # torch only warns and broadcasts; a silent (N, 1) against (N,) broadcast is a classic bug
    if target.shape != input.shape:
        raise ValueError(f"{name}: expected target of the input's shape {input.shape}, got "
                         f"{target.shape}")


def _check_weight(name, input, weight):
    if weight.shape != input.shape:
        raise ValueError(f"{name}: expected weight of the input's shape {input.shape}, got "
                         f"{weight.shape}")
