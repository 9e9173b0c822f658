"""Losses that are a divergence or a negative log-likelihood of a distribution other than the
categorical one: kl_div, poisson_nll_loss, gaussian_nll_loss (torch.nn.functional's signatures).

Unlike torch, a target whose shape differs from the input's is refused, not broadcast."""
import math
import warnings

from chainrule.autograd import no_grad
from chainrule.creation import full_like
from chainrule.nn.functional.loss import check_same_shape, reduce_loss, resolve_reduction
from chainrule.ops.compare import where
from chainrule.tensor import Tensor

__all__ = ["gaussian_nll_loss", "kl_div", "poisson_nll_loss"]

_KL_REDUCTIONS = ("none", "batchmean", "sum", "mean")


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Σ q (log q - x) for log-probabilities x and probabilities q (log q if log_target).

    reduction='batchmean' divides the sum by the batch size (dim 0), the KL divergence per sample;
    'mean' divides by the number of elements and warns, as torch does."""
    if size_average is None and reduce is None and reduction == "mean":
        warnings.warn("reduction: 'mean' divides the total loss by both the batch size and the "
                      "support size.'batchmean' divides only by the batch size, and aligns with "
                      "the KL div math definition.'mean' will be changed to behave the same as "
                      "'batchmean' in the next major release.", stacklevel=2)
    reduction = resolve_reduction("kl_div", size_average, reduce, reduction, _KL_REDUCTIONS)
    check_same_shape("kl_div", input, target)
    if not (input.is_floating_point() and target.is_floating_point()):
        raise RuntimeError(f"kl_div: Integral inputs not supported; got input {input.dtype} and "
                           f"target {target.dtype}")
    if log_target:
        loss = target.exp() * (target - input)
    else:
        # q log q with 0 log 0 = 0 (torch's xlogy); log of 1 there keeps its gradient finite
        loss = target * where(target != 0, target, 1.0).log() - target * input
    if reduction != "batchmean":
        return reduce_loss(loss, reduction)
    return loss.sum() / input.shape[0] if input.ndim else loss.sum()


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """exp(x) - y x for a log-rate x (log_input), else x - y log(x + eps) for a rate x; full adds
    Stirling's approximation of log y!, y log y - y + ½ log(2πy), where y > 1."""
    reduction = resolve_reduction("poisson_nll_loss", size_average, reduce, reduction)
    check_same_shape("poisson_nll_loss", input, target)
    if log_input:
        loss = input.exp() - target * input
    else:
        loss = input - target * (input + eps).log()
    if full:
        above_one = target > 1
        safe = where(above_one, target, 2.0)  # y <= 1 adds 0: keep its logs (and grads) finite
        stirling = safe * safe.log() - safe + 0.5 * (2 * math.pi * safe).log()
        loss = loss + where(above_one, stirling, 0.0)
    return reduce_loss(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """½ (log max(var, eps) + (x - y)² / max(var, eps)), plus ½ log 2π if full.

    var: a number, or a tensor of the input's shape, of it without the last dim, or with one dim
    of size 1 (the homoscedastic cases torch accepts). As torch, var is clamped to eps without
    changing its gradient."""
    reduction = resolve_reduction("gaussian_nll_loss", None, None, reduction)
    check_same_shape("gaussian_nll_loss", input, target)
    if not isinstance(var, Tensor):
        if var < 0:
            raise ValueError(f"gaussian_nll_loss: var has negative entry/entries (var={var})")
        var = full_like(input, var)
    else:
        var = _checked_var(input, var)
    with no_grad():
        shift = var.clamp(min=eps) - var
    var = var + shift
    loss = 0.5 * (var.log() + (input - target).square() / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return reduce_loss(loss, reduction)


def _checked_var(input, var):
    if bool((var.array < 0).any()):
        raise ValueError("gaussian_nll_loss: var has negative entry/entries")
    if var.shape == input.shape:
        return var
    if var.shape == input.shape[:-1]:
        return var.unsqueeze(-1)
    mismatched = [(i, v) for i, v in zip(input.shape, var.shape) if i != v]
    if var.ndim == input.ndim and len(mismatched) == 1 and mismatched[0][1] == 1:
        return var
    raise ValueError(f"gaussian_nll_loss: var is of incorrect size: expected the input's shape "
                     f"{input.shape}, it without the last dim, or it with one dim of size 1; got "
                     f"{var.shape}")
