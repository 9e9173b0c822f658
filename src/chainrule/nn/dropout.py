"""Dropout layers: random zeroing in training mode, the identity in eval mode."""
from chainrule.nn.functional.dropout import (alpha_dropout, check_probability, dropout, dropout1d,
                                             dropout2d, dropout3d, feature_alpha_dropout)
from chainrule.nn.module import Module


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        check_probability(type(self).__name__, p)
        self.p, self.inplace = p, inplace

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zeroes each element with probability p in training and scales the rest by 1 / (1 - p)
    (inverted dropout, Srivastava et al. 2014), so that eval mode is the identity.

    Args: p: the probability of zeroing an element (default 0.5); inplace (default False).
    Shape: (*) -> (*).
    """

    def forward(self, input):
        return dropout(input, self.p, self.training, self.inplace)


class Dropout1d(_DropoutNd):
    """Zeroes whole channels (one draw per channel) with probability p, scaling by 1 / (1 - p).

    Args: p (default 0.5); inplace (default False).
    Shape: (N, C, L) or (C, L) -> the same.
    """

    def forward(self, input):
        return dropout1d(input, self.p, self.training, self.inplace)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels (one draw per (N, C)) with probability p, scaling by 1 / (1 - p):
    neighbouring pixels are correlated, so per-pixel dropout would barely regularise
    (Tompson et al. 2015).

    Args: p (default 0.5); inplace (default False).
    Shape: (N, C, H, W) -> the same.
    """

    def forward(self, input):
        return dropout2d(input, self.p, self.training, self.inplace)


class Dropout3d(_DropoutNd):
    """Zeroes whole channels (one draw per (N, C)) of volumes with probability p, scaling by
    1 / (1 - p).

    Args: p (default 0.5); inplace (default False).
    Shape: (N, C, D, H, W) or (C, D, H, W) -> the same.
    """

    def forward(self, input):
        return dropout3d(input, self.p, self.training, self.inplace)


class AlphaDropout(_DropoutNd):
    """Dropout for self-normalising networks (Klambauer et al. 2017): dropped elements take
    SELU's saturation value, then an affine map restores zero mean and unit variance.

    Args: p (default 0.5); inplace (default False).
    Shape: (*) -> (*).
    """

    def forward(self, input):
        return alpha_dropout(input, self.p, self.training)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (one draw per (N, C)).

    Args: p (default 0.5); inplace (default False).
    Shape: (N, C, *) -> the same.
    """

    def forward(self, input):
        return feature_alpha_dropout(input, self.p, self.training)
