"""The affine map y = x Wᵀ + b."""
from chainrule.ops.linalg import matmul

__all__ = ["linear"]


def linear(input, weight, bias=None):
    """y = input @ weightᵀ + bias. Shape: (*, in) x (out, in) -> (*, out)."""
    out = matmul(input, weight.mT)
    return out if bias is None else out + bias
