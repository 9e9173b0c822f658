"""Activation layers: modules without parameters that apply an activation function from
nn.functional, with torch's arguments and reprs.

Shape (every layer here): input (*) -> output (*), the same shape.
"""
from chainrule.nn import functional as F
from chainrule.nn.module import Module


def _inplace_repr(inplace, first=True):
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class ReLU(Module):
    """max(x, 0), elementwise.

    Args: inplace: overwrite the input with the result (default False).
    Shape: (*) -> (*).
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class LeakyReLU(Module):
    """x where x > 0, else negative_slope * x.

    Args: negative_slope (default 0.01); inplace (default False).
    Shape: (*) -> (*).
    """

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + _inplace_repr(self.inplace, first=False)


class GELU(Module):
    """x Φ(x), Φ the standard normal CDF (Hendrycks & Gimpel 2016).

    Args: approximate: 'none' (exact, with erf) or 'tanh' (the tanh approximation).
    Shape: (*) -> (*).
    """

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """x * sigmoid(x), also called swish.

    Args: inplace (default False).
    Shape: (*) -> (*).
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.silu(input, self.inplace)

    def extra_repr(self):
        return _inplace_repr(self.inplace)


class ELU(Module):
    """x where x > 0, else alpha * (exp(x) - 1) (Clevert et al. 2015).

    Args: alpha (default 1.0); inplace (default False).
    Shape: (*) -> (*).
    """

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + _inplace_repr(self.inplace, first=False)


class Tanh(Module):
    """tanh(x), elementwise. Shape: (*) -> (*)."""

    def forward(self, input):
        return F.tanh(input)


class Sigmoid(Module):
    """1 / (1 + exp(-x)), elementwise. Shape: (*) -> (*)."""

    def forward(self, input):
        return F.sigmoid(input)


class Softplus(Module):
    """log(1 + exp(βx)) / β, and x itself where βx > threshold (numerically the same there).

    Args: beta (default 1.0); threshold (default 20.0).
    Shape: (*) -> (*).
    """

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


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
