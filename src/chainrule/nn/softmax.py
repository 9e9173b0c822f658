"""The softmax family: layers that normalize along a dim (Softmax, LogSoftmax, Softmin, and
Softmax2d over the channels), with torch's arguments, reprs and implicit-dim warning.

Shape (every layer here): input (*) -> output (*), the same shape.
"""
from chainrule.nn import functional as F
from chainrule.nn.module import Module


class _AlongDim(Module):
    """What Softmax, LogSoftmax and Softmin share: a dim, and one functional applied along it."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return self._function(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """exp(x) / Σ exp(x) along dim: every slice along dim sums to 1.

    Args: dim: the dim to normalize (None: torch's deprecated implicit choice, with a warning).
    Shape: (*) -> (*).
    Gradient: nn.functional.softmax: ops.fused.SoftmaxLast along the last dim, else
    ops.activation.SoftmaxFunction.
    """

    _function = staticmethod(F.softmax)


class LogSoftmax(_AlongDim):
    """x - log Σ exp(x) along dim: log-probabilities, computed stably.

    Args: dim: the dim to normalize (None: torch's deprecated implicit choice, with a warning).
    Shape: (*) -> (*).
    Gradient: ops.activation.LogSoftmaxFunction.backward.
    """

    _function = staticmethod(F.log_softmax)


class Softmax2d(Softmax):
    """Softmax over the channels (dim -3) at every spatial position.

    Shape: (N, C, H, W) or (C, H, W) -> the same.
    Gradient: ops.activation.SoftmaxFunction.backward.
    """

    def __init__(self):
        super().__init__(dim=-3)

    def forward(self, input):
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D "
                             f"(shape {input.shape}) instead")
        return F.softmax(input, -3, _stacklevel=5)

    def extra_repr(self):
        return ""


class Softmin(_AlongDim):
    """exp(-x) / Σ exp(-x) along dim: softmax of -x.

    Args: dim: the dim to normalize (None: torch's deprecated implicit choice, with a warning).
    Shape: (*) -> (*).
    Gradient: nn.functional.softmin, composed of ops.fused.SoftmaxLast along the last dim, else
    ops.activation.SoftmaxFunction.
    """

    _function = staticmethod(F.softmin)
