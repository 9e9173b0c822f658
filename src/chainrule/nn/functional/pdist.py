"""pdist: the p-norm distances between every pair of rows of one matrix (the upper triangle of
cdist(x, x), as a vector)."""
import math

from chainrule.backend import xp
from chainrule.ops.compare import where
from chainrule.tensor import Tensor

__all__ = ["pdist"]


def pdist(input, p=2):
    """d_k = ‖x_i - x_j‖_p for the pairs i < j in row-major order: (N, M) -> (N(N-1)/2,).
    Where x_i = x_j the gradient is zero, as torch's."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist: only supports 2D tensors, got {input.ndim}D (shape "
                           f"{input.shape})")
    if not input.is_floating_point():
        raise RuntimeError(f"pdist: only supports floating-point dtypes, got {input.dtype}")
    if p < 0:
        raise RuntimeError(f"pdist: only supports non-negative p values, got p={p}")
    first, second = xp.triu_indices(input.shape[0], k=1)
    diff = input[Tensor._make(first)] - input[Tensor._make(second)]
    if p == 0:
        return Tensor._make((diff.array != 0).sum(-1).astype(input.array.dtype))
    if math.isinf(p):
        return diff.abs().amax(-1)
    if p == 2:
        powered = diff.square()
    else:   # |d|^p has an infinite slope at d = 0 for p < 1: keep the zeros out of pow
        nonzero = Tensor._make(diff.array != 0)
        powered = where(nonzero, where(nonzero, diff, 1.0).abs().pow(p), 0.0)
    total = powered.sum(-1)
    # a zero distance would give 0/0 in the root's derivative: take the root of 1 there instead
    positive = Tensor._make(total.array > 0)
    root = where(positive, total, 1.0).pow(1.0 / p)
    return where(positive, root, 0.0)
