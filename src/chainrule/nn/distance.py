"""Layers that compare two batches of vectors: CosineSimilarity and PairwiseDistance."""
from chainrule.nn.functional.distance import cosine_similarity, pairwise_distance
from chainrule.nn.module import Module


class CosineSimilarity(Module):
    """x1 · x2 / (max(‖x1‖, eps) max(‖x2‖, eps)) along dim.

    Args: dim: the dim of the vectors (default 1); eps: the smallest norm (default 1e-8).
    Shape: x1 (*1, D, *2), x2 broadcastable to it -> (*1, *2).
    Gradient: nn.functional.cosine_similarity, composed of ops.reduce.Norm, ops.elementwise.Mul.
    """

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """‖x1 - x2 + eps‖_p over the last dim.

    Args: p: the norm's degree (default 2.0); eps: added to every difference (default 1e-6);
    keepdim: keep the last dim, as size 1 (default False).
    Shape: x1 (N, D) or (D,), x2 broadcastable to it -> (N,) or (); (N, 1) with keepdim.
    Gradient: nn.functional.pairwise_distance, composed of ops.elementwise.Sub, ops.reduce.Norm.
    """

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim  # torch's attribute names

    def forward(self, x1, x2):
        return pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
