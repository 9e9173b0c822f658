"""Handwritten digits as 8×8 images: scikit-learn's bundled copy of the UCI optical recognition
data set (1797 images of 8×8 pixels, 16 grey levels; Alpaydin & Kaynak, 1998), read from the
package itself, never downloaded; scaled to [-1, 1] as a tanh generator produces."""
from chainrule.backend import float32, int64, xp
from chainrule.data.dataset import TensorDataset
from chainrule.random import rng as random_generator
from chainrule.tensor import Tensor

SIDE, CLASSES, LEVELS = 8, 10, 16   # the UCI set counts ink in 4×4 blocks: values 0..16
SPLITS = ("train", "test")


class Digits(TensorDataset):
    """One split of the digits as a Dataset: sample i is (x_i, y_i), a float32 image of shape
    (1, 8, 8) in [-1, 1] (-1 blank, 1 full ink) and its int64 label 0..9, so a DataLoader batches
    them into (B, 1, 8, 8) and (B,). The arrays are `.x` and `.y`."""

    def __init__(self, x, y, split):
        self.x, self.y, self.split = x, y, split
        super().__init__(Tensor._make(x), Tensor._make(y))

    def __repr__(self):
        return f"Digits(split={self.split!r}, n={len(self)})"


def to_unit_range(images):
    """[-1, 1] → [0, 1] (for drawing), clipped; an array in, an array out."""
    return xp.clip((xp.asarray(images) + 1) / 2, 0, 1)


def digits_splits(test_fraction=0.2, seed=0):
    """(train, test): the 1797 digits split at random, stratified by class so both splits hold
    every digit in the same proportions.

    Args: test_fraction, the share held out for testing (strictly between 0 and 1; 0.2 leaves
        about 1437 to train on and 360 to test); seed, an int, a chainrule.Generator or None
        (the global generator) for the split.
    """
    if not 0 < test_fraction < 1:
        raise ValueError(f"digits_splits: test_fraction must be between 0 and 1 (exclusive), "
                         f"got {test_fraction!r}")
    images, labels = _load()
    draw = random_generator(seed, "digits_splits")
    test = []
    for digit in range(CLASSES):
        members = xp.flatnonzero(labels == digit)
        count = round(test_fraction * len(members))
        test.extend(draw.permutation(members)[:count].tolist())
    if not 0 < len(test) < len(labels):   # each class's share rounds to all or none of it
        raise ValueError(f"digits_splits: test_fraction {test_fraction!r} leaves "
                         f"{len(labels) - len(test)} images to train on and {len(test)} to test")
    is_test = xp.zeros(len(labels), dtype=bool)
    is_test[test] = True
    order = draw.permutation(len(labels))   # not grouped by class within a split
    train_index, test_index = order[~is_test[order]], order[is_test[order]]
    return (Digits(images[train_index], labels[train_index], "train"),
            Digits(images[test_index], labels[test_index], "test"))


def _load():
    """(images (1797, 1, 8, 8) float32 in [-1, 1], labels (1797,) int64) from scikit-learn."""
    from sklearn.datasets import load_digits   # imported here: a second's import, needed rarely
    bunch = load_digits()
    images = bunch.images.reshape(-1, 1, SIDE, SIDE) / (LEVELS / 2) - 1
    return images.astype(float32), bunch.target.astype(int64)
