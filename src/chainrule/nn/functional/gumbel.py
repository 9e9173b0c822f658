"""Gumbel-softmax (Jang, Gu & Poole 2017; Maddison, Mnih & Teh 2017): a differentiable sample
from a categorical distribution given by logits, optionally one-hot with straight-through
gradients."""
import warnings

from chainrule import backend
from chainrule.ops.activation import softmax
from chainrule.random import rng
from chainrule.tensor import Tensor

__all__ = ["gumbel_softmax"]


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """y = softmax((logits + g) / tau) along dim, g = -log(e), e ~ Exponential(1) (Gumbel noise).
    hard=True: the one-hot of y's argmax in the forward pass, with y's gradient (y_hard - y.detach()
    + y, the straight-through estimator)."""
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    if not logits.is_floating_point():
        raise RuntimeError(f"gumbel_softmax: expected floating point logits, got {logits.dtype}")
    draws = rng(None, "gumbel_softmax").exponential(size=logits.shape).astype(logits.array.dtype)
    gumbels = Tensor._make(-backend.xp.log(draws))
    y_soft = softmax((logits + gumbels) / tau, dim)
    if not hard:
        return y_soft
    index = y_soft.array.argmax(dim)
    one_hot = backend.xp.zeros(logits.shape, logits.array.dtype)
    backend.xp.put_along_axis(one_hot, backend.xp.expand_dims(index, dim), 1, axis=dim)
    return Tensor._make(one_hot) - y_soft.detach() + y_soft
