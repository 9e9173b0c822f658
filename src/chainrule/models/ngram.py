"""Counting baselines for a character-level language model: the unigram (each character by its
frequency) and the bigram (each character given the one before it), fitted by counting and
scored on held-out text in nats per character. They read the same (x, y) pairs as CharLM: x[t]
is the character before y[t], and targets equal to IGNORE_INDEX (padding) count for nothing."""
import math

from chainrule.backend import float64, int64, xp
from chainrule.data.datasets.text import IGNORE_INDEX
from chainrule.tensor import Tensor


class _Counts:
    """What both share: add-alpha smoothing over counts, and the loss of (x, y) pairs.

    Smoothing: alpha is added to every count before normalising (Laplace's rule for alpha = 1;
    Jurafsky & Martin, Speech and Language Processing, 3rd ed., §3.5.1), so that a character
    never seen (in that context) gets a small probability instead of zero, and a held-out loss
    stays finite.
    """

    def __init__(self, vocab_size, alpha=1.0):
        if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 1:
            raise ValueError(f"{type(self).__name__}: vocab_size must be a positive int, got "
                             f"{vocab_size!r}")
        if not alpha > 0:   # also refuses NaN
            raise ValueError(f"{type(self).__name__}: alpha (the smoothing) must be > 0, got "
                             f"{alpha!r}")
        self.vocab_size, self.alpha = vocab_size, float(alpha)
        self.counts = xp.zeros(self._shape(), dtype=float64)

    def fit(self, x, y):
        """Add the counts of the pairs (x, y) (int arrays or tensors of one shape); returns self,
        so that Bigram(V).fit(x, y) reads as one step."""
        contexts, targets = self._pairs(x, y, "fit")
        xp.add.at(self.counts, self._cells(contexts, targets), 1.0)
        return self

    def log_probabilities(self):
        """log P(next | context) as an array: (V,) for the unigram, (V, V) [previous, next] for
        the bigram; each row sums (in probability) to 1."""
        smoothed = self.counts + self.alpha
        return xp.log(smoothed / smoothed.sum(-1, keepdims=True))

    def loss(self, x, y):
        """The mean negative log-likelihood of y (given x) in nats per character."""
        contexts, targets = self._pairs(x, y, "loss")
        if not len(targets):
            raise ValueError(f"{type(self).__name__}.loss: no target to score (all are "
                             f"IGNORE_INDEX, or the arrays are empty)")
        return float(-self.log_probabilities()[self._cells(contexts, targets)].mean())

    def _pairs(self, x, y, name):
        """The flattened (context, target) pairs whose target is not IGNORE_INDEX, checked."""
        x, y = (xp.asarray(a.array if isinstance(a, Tensor) else a) for a in (x, y))
        if x.shape != y.shape:
            raise ValueError(f"{type(self).__name__}.{name}: x and y must have one shape, got "
                             f"{x.shape} and {y.shape}")
        if x.dtype.kind not in "iu" or y.dtype.kind not in "iu":
            raise ValueError(f"{type(self).__name__}.{name}: x and y must be integer indices, "
                             f"got {x.dtype} and {y.dtype}")
        keep = y.reshape(-1) != IGNORE_INDEX
        contexts, targets = x.reshape(-1)[keep].astype(int64), y.reshape(-1)[keep].astype(int64)
        for which, values in (("x", contexts), ("y", targets)):
            if len(values) and not (0 <= values.min() and values.max() < self.vocab_size):
                raise ValueError(f"{type(self).__name__}.{name}: {which} holds indices outside "
                                 f"[0, {self.vocab_size}) (min {values.min()}, max "
                                 f"{values.max()})")
        return contexts, targets

    def __repr__(self):
        return (f"{type(self).__name__}(vocab_size={self.vocab_size}, alpha={self.alpha:g}, "
                f"{int(self.counts.sum())} pairs counted)")


class Unigram(_Counts):
    """P(next) = (count(next) + alpha) / (N + alpha·V): the context is ignored.

    Args: vocab_size V; alpha > 0, the add-alpha smoothing (1: Laplace).
    """

    def _shape(self):
        return (self.vocab_size,)

    def _cells(self, contexts, targets):
        return (targets,)


class Bigram(_Counts):
    """P(next | previous) = (count(previous, next) + alpha) / (count(previous) + alpha·V),
    makemore's first model (a table of counts, its rows normalised).

    Args: vocab_size V; alpha > 0, the add-alpha smoothing (1: Laplace).
    """

    def _shape(self):
        return (self.vocab_size, self.vocab_size)

    def _cells(self, contexts, targets):
        return (contexts, targets)


def bits(nats):
    """A loss in nats per character as bits per character (divided by ln 2)."""
    return nats / math.log(2)
