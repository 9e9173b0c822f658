"""Distances and similarities between batches of vectors, with torch.nn.functional's signatures
and its placement of eps: cosine_similarity and pairwise_distance."""
import math

from chainrule.autograd import no_grad
from chainrule.backend import xp
from chainrule.ops.broadcast import broadcast_to
from chainrule.ops.dims import normalize_dim

__all__ = ["cosine_similarity", "pairwise_distance"]


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """Σ (x1 / max(‖x1‖, eps)) (x2 / max(‖x2‖, eps)) along dim, after broadcasting x1 and x2.

    Each norm is clamped to eps on its own, as torch 2.x does; the clamp changes the value only
    (torch clamps under no_grad), so the gradient is that of the unclamped norm."""
    x1, x2 = _broadcast("cosine_similarity", x1, x2)
    dim = normalize_dim("cosine_similarity", dim, x1.shape)
    return ((x1 / _norm_at_least(x1, dim, eps)) * (x2 / _norm_at_least(x2, dim, eps))).sum(dim)


def _norm_at_least(x, dim, eps):
    norm = x.norm(dim=dim, keepdim=True)
    with no_grad():
        shift = norm.clamp(min=eps) - norm
    return norm + shift


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """‖x1 - x2 + eps‖_p over the last dim (eps added to every difference, as torch), after
    broadcasting x1 and x2. Shape: (N, D) or (D,) each -> (N,) or ()."""
    _broadcast("pairwise_distance", x1, x2)
    innermost = max(x1.ndim, x2.ndim) - 1
    return vector_norm(x1 - x2 + eps, p, innermost, keepdim)


def vector_norm(x, p, dim, keepdim=False):
    """(Σ |x|^p)^(1/p) along dim; p = inf is the largest |x|, -inf the smallest, 0 the number of
    nonzero entries (gradient 0)."""
    if p == 2:
        return x.norm(dim=dim, keepdim=keepdim)
    size = x.abs()
    if p == math.inf:
        return size.amax(dim, keepdim)
    if p == -math.inf:
        return size.amin(dim, keepdim)
    if p == 0:  # sign(|x|) counts the nonzeros and, as in torch, is differentiable with 0
        return size.sign().sum(dim, keepdim)
    if p == 1:
        return size.sum(dim, keepdim)
    return size.pow(p).sum(dim, keepdim).pow(1 / p)


def _broadcast(name, x1, x2):
    """x1 and x2 expanded to their common shape, or an error that names both shapes."""
    try:
        shape = xp.broadcast_shapes(x1.shape, x2.shape)
    except ValueError:
        raise RuntimeError(f"{name}: the shapes of x1 {x1.shape} and x2 {x2.shape} do not "
                           "broadcast") from None
    return broadcast_to(x1, shape), broadcast_to(x2, shape)
