"""Dropout layers: random zeroing in training mode, the identity in eval mode.

Each takes a keyword-only generator=None, an extension (torch's layers have none): a
chainrule.Generator, or an int seed that makes one, to draw every mask from, so that a run is
reproducible without the global seed; None draws from the global generator, as torch does."""
from chainrule.nn.functional.dropout import (alpha_dropout, check_probability, dropout, dropout1d,
                                             dropout2d, dropout3d, feature_alpha_dropout)
from chainrule.nn.module import Module
from chainrule.random import as_generator


class _DropoutNd(Module):
    def __init__(self, p=0.5, inplace=False, *, generator=None):
        super().__init__()
        check_probability(type(self).__name__, p)
        self.p, self.inplace = p, inplace
        # an int seed becomes a Generator once, so that each call draws a new mask from it
        self.generator = as_generator(generator, type(self).__name__)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_DropoutNd):
    """Zeroes each element with probability p in training and scales the rest by 1 / (1 - p)
    (inverted dropout, Srivastava et al. 2014), so that eval mode is the identity.

    Args: p: the probability of zeroing an element (default 0.5); inplace (default False);
    generator: where the masks are drawn from (keyword only, an extension; default None, the
    global generator).
    Shape: (*) -> (*).
    Gradient: ops.elementwise.Mul.backward.
    """

    def forward(self, input):
        return dropout(input, self.p, self.training, self.inplace, generator=self.generator)


class Dropout1d(_DropoutNd):
    """Zeroes whole channels (one draw per channel) with probability p, scaling by 1 / (1 - p).

    Args: p (default 0.5); inplace (default False); generator (keyword only, default None).
    Shape: (N, C, L) or (C, L) -> the same.
    Gradient: ops.elementwise.Mul.backward.
    """

    def forward(self, input):
        return dropout1d(input, self.p, self.training, self.inplace, generator=self.generator)


class Dropout2d(_DropoutNd):
    """Zeroes whole channels (one draw per (N, C)) with probability p, scaling by 1 / (1 - p):
    neighbouring pixels are correlated, so per-pixel dropout would barely regularise
    (Tompson et al. 2015).

    Args: p (default 0.5); inplace (default False); generator (keyword only, default None).
    Shape: (N, C, H, W) -> the same.
    Gradient: ops.elementwise.Mul.backward.
    """

    def forward(self, input):
        return dropout2d(input, self.p, self.training, self.inplace, generator=self.generator)


class Dropout3d(_DropoutNd):
    """Zeroes whole channels (one draw per (N, C)) of volumes with probability p, scaling by
    1 / (1 - p).

    Args: p (default 0.5); inplace (default False); generator (keyword only, default None).
    Shape: (N, C, D, H, W) or (C, D, H, W) -> the same.
    Gradient: ops.elementwise.Mul.backward.
    """

    def forward(self, input):
        return dropout3d(input, self.p, self.training, self.inplace, generator=self.generator)


class AlphaDropout(_DropoutNd):
    """Dropout for self-normalizing networks (Klambauer et al. 2017): dropped elements take
    SELU's saturation value, then an affine map restores zero mean and unit variance.

    Args: p (default 0.5); inplace (default False); generator (keyword only, default None).
    Shape: (*) -> (*).
    Gradient: nn.functional.alpha_dropout, composed of ops.elementwise.Mul, ops.elementwise.Add.
    """

    def forward(self, input):
        return alpha_dropout(input, self.p, self.training, generator=self.generator)


class FeatureAlphaDropout(_DropoutNd):
    """Alpha dropout of whole channels (one draw per (N, C)).

    Args: p (default 0.5); inplace (default False); generator (keyword only, default None).
    Shape: (N, C, *) -> the same.
    Gradient: nn.functional.feature_alpha_dropout, composed of ops.elementwise.Mul.
    """

    def forward(self, input):
        return feature_alpha_dropout(input, self.p, self.training, generator=self.generator)
