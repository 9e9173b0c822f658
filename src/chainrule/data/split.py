"""Splitting a dataset into disjoint random parts (train / validation / test)."""
import itertools
import math
import warnings

from chainrule.data.dataset import Subset
from chainrule.random import rng as random_generator


def random_split(dataset, lengths, generator=None):
    """Split dataset into len(lengths) disjoint Subsets of random samples.

    Args: dataset, lengths (ints summing to len(dataset), or fractions summing to 1),
    generator=None (a Generator, an int seed, or None for the global generator).
    Fractions are rounded as torch does: floor(n * fraction) each, then the samples left over are
    dealt one at a time to the parts in order, so [0.5, 0.5] of 11 samples gives [6, 5].
    """
    lengths = _lengths(len(dataset), list(lengths))
    rng = random_generator(generator, "random_split")
    order = rng.permutation(len(dataset)).tolist()
    return [Subset(dataset, order[end - length:end])
            for end, length in zip(itertools.accumulate(lengths), lengths)]


def _lengths(n, lengths):
    # torch reads the lengths as fractions when they sum to 1: [1, 0] is then 100 % and 0 %.
    total = sum(lengths)
    if math.isclose(total, 1) and total <= 1:
        for i, fraction in enumerate(lengths):
            if not 0 <= fraction <= 1:
                raise ValueError(f"random_split: fraction {fraction} at index {i} is not between "
                                 "0 and 1")
        counts = [math.floor(n * fraction) for fraction in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        for i, count in enumerate(counts):
            if count == 0:
                warnings.warn(f"random_split: length of split at index {i} is 0; this split "
                              "will be empty", stacklevel=3)
        return counts
    if any(not isinstance(length, int) or length < 0 for length in lengths):
        raise ValueError(f"random_split: lengths must be non-negative integers summing to the "
                         f"dataset's length ({n}) or fractions summing to 1, got {lengths}")
    if total != n:
        raise ValueError(f"random_split: the lengths {lengths} sum to {total}, but the dataset "
                         f"has {n} samples")
    return lengths
