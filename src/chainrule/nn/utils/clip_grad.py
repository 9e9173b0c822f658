"""Gradient clipping, as torch.nn.utils: rescale the gradients when their total norm is too large
(clip_grad_norm_), or clamp each entry (clip_grad_value_). Call between backward() and step()."""
import types
import warnings

from chainrule.backend import xp
from chainrule.tensor import Tensor

__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_",
           "get_total_norm"]


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False):
    """The p-norm of all the tensors together, as if concatenated into one vector: the norm of
    the tensors' norms. norm_type may be inf (the largest magnitude). Returns a 0-d tensor."""
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    try:
        norm_type = float(norm_type)
    except (TypeError, ValueError):
        raise RuntimeError(f"get_total_norm: norm_type must be a number (p of the p-norm, or "
                           f"inf), got {norm_type!r}") from None
    if not tensors:
        return Tensor(0.0)
    with xp.errstate(over="ignore"):   # a norm beyond the dtype's range is inf, as in torch
        norms = [xp.linalg.vector_norm(t.array, ord=norm_type) for t in tensors]
        total = xp.linalg.vector_norm(xp.stack(norms), ord=norm_type)
    if error_if_nonfinite and not xp.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from `parameters` "
                           "is non-finite, so it cannot be clipped. To disable this error and "
                           "scale the gradients by the non-finite norm anyway, set "
                           "`error_if_nonfinite=False`")
    return Tensor._make(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm):
    """Scale the parameters' gradients in place by min(1, max_norm / (total_norm + 1e-6)).

    The 1e-6 is torch's: it keeps the division finite when every gradient is zero.
    """
    parameters = [parameters] if isinstance(parameters, Tensor) else parameters
    grads = [p.grad for p in parameters if p.grad is not None]
    if not grads:
        return
    total = total_norm.array if isinstance(total_norm, Tensor) else xp.asarray(total_norm)
    coefficient = xp.minimum(float(max_norm) / (total + 1e-6), 1.0)
    with xp.errstate(invalid="ignore"):   # an infinite norm: inf * 0 = nan, as in torch
        for grad in grads:
            grad.array *= coefficient
            grad._version[0] += 1


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Rescale the gradients of parameters so that their total norm is at most max_norm.

    Args:
        parameters: a tensor or an iterable of tensors whose .grad is clipped in place.
        max_norm: the largest total norm allowed.
        norm_type: p of the p-norm; inf for the largest magnitude (default 2).
        error_if_nonfinite: raise if the total norm is nan or inf (default False: the
            gradients are then scaled by the non-finite coefficient, as in torch).

    Returns the total norm of the gradients before clipping, a 0-d tensor.
    """
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    else:
        is_generator = isinstance(parameters, types.GeneratorType)
        parameters = list(parameters)   # a generator is read twice below
        if is_generator and not parameters:
            warnings.warn("`parameters` is an empty generator, no gradient clipping will occur.",
                          stacklevel=2)
    grads = [p.grad for p in parameters if p.grad is not None]
    total_norm = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total_norm)
    return total_norm


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Deprecated (as in torch): use clip_grad_norm_."""
    warnings.warn("`chainrule.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`chainrule.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient entry of parameters into [-clip_value, clip_value], in place.

    Args:
        parameters: a tensor or an iterable of tensors whose .grad is clipped.
        clip_value: the largest magnitude allowed.
    """
    parameters = [parameters] if isinstance(parameters, Tensor) else parameters
    clip_value = float(clip_value)
    if not clip_value >= 0:   # [-c, c] with c < 0 would set every entry to -|c|
        raise RuntimeError(f"clip_grad_value_: clip_value must be non-negative, got {clip_value}")
    for p in parameters:
        if p.grad is not None:
            xp.clip(p.grad.array, -clip_value, clip_value, out=p.grad.array)
            p.grad._version[0] += 1
