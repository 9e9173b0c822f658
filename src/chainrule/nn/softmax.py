"""The softmax family: layers that normalise along a dim (Softmax, LogSoftmax, Softmin, and
Softmax2d over the channels), with torch's arguments, reprs and implicit-dim warning.

Shape (every layer here): input (*) -> output (*), the same shape.
"""
from chainrule.nn import functional as F
from chainrule.nn.module import Module


class Softmax(Module):
    """exp(x) / Σ exp(x) along dim: every slice along dim sums to 1.

    Args: dim: the dim to normalise (None: torch's deprecated implicit choice, with a warning).
    Shape: (*) -> (*).
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """x - log Σ exp(x) along dim: log-probabilities, computed stably.

    Args: dim: the dim to normalise (None: torch's deprecated implicit choice, with a warning).
    Shape: (*) -> (*).
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax2d(Softmax):
    """Softmax over the channels (dim -3) at every spatial position.

    Shape: (N, C, H, W) or (C, H, W) -> the same.
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


class Softmin(Module):
    """exp(-x) / Σ exp(-x) along dim: softmax of -x.

    Args: dim: the dim to normalise (None: torch's deprecated implicit choice, with a warning).
    Shape: (*) -> (*).
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmin(input, self.dim, _stacklevel=5)

    def extra_repr(self):
        return f"dim={self.dim}"
