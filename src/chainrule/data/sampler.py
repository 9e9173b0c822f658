"""Samplers: the order in which a DataLoader visits a dataset's indices (SequentialSampler,
RandomSampler, SubsetRandomSampler, WeightedRandomSampler) and BatchSampler, which groups them.
Random samplers draw lazily, a block at a time, so an epoch of 10**10 draws costs nothing until
it is read."""
import itertools

from chainrule.backend import float64, int64, xp
from chainrule.random import as_generator, numpy_generator

# torch's RandomSampler draws 32 indices at a time with replacement.
DRAW_BLOCK = 32
# The indices of a sequential epoch are made in blocks of this size (never all at once).
SEQUENTIAL_BLOCK = 1 << 16


class Sampler:
    """Subclass it and define __iter__() -> indices (and __len__ where the count is known)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """Indices 0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def _blocks(self):
        n = len(self.data_source)
        for start in range(0, n, SEQUENTIAL_BLOCK):
            yield xp.arange(start, min(n, start + SEQUENTIAL_BLOCK), dtype=int64)

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A new random permutation of the indices each epoch; or num_samples draws with replacement.

    Args: data_source, replacement=False, num_samples=None (len(data_source); more than that
    without replacement concatenates whole permutations, as torch does), generator=None (a
    Generator, an int seed, or None: then each epoch draws a seed from the global generator that
    manual_seed sets, as torch does, so that the global draws between batches, dropout's say, do
    not change the order).
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        if num_samples is not None and (isinstance(num_samples, bool)
                                        or not isinstance(num_samples, int) or num_samples <= 0):
            raise ValueError(f"RandomSampler: num_samples should be a positive integer value, "
                             f"but got num_samples={num_samples!r}")
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = as_generator(generator, "RandomSampler")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _epoch_rng(self):
        if self.generator is not None:
            return numpy_generator(self.generator, "RandomSampler")
        return xp.random.default_rng(int(numpy_generator(None, "RandomSampler").integers(0, 2**63)))

    def _blocks(self):
        """The epoch's indices, one int64 array at a time, drawn only when asked for."""
        n, count = len(self.data_source), self.num_samples
        if count and n == 0:
            raise ValueError(f"RandomSampler: cannot draw {count} samples from an empty "
                             "data_source")
        if count == 0:
            return
        rng = self._epoch_rng()
        if self.replacement:
            for start in range(0, count, DRAW_BLOCK):
                yield rng.integers(0, n, size=min(DRAW_BLOCK, count - start), dtype=int64)
            return
        whole, rest = divmod(count, n)
        for _ in range(whole):
            yield rng.permutation(n)
        if rest:
            yield rng.permutation(n)[:rest]

    def __iter__(self):
        for block in self._blocks():
            yield from block.tolist()

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a new random order each epoch.

    Args: indices (a sequence), generator=None (a Generator, an int seed, or None: global).
    """

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = as_generator(generator, "SubsetRandomSampler")

    def __iter__(self):
        rng = numpy_generator(self.generator, "SubsetRandomSampler")
        for i in rng.permutation(len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """num_samples indices of [0, len(weights)), index i drawn with probability weights[i] / sum.

    Args: weights (a 1-d sequence of non-negative numbers, not necessarily summing to 1),
    num_samples, replacement=True (False: an index at most once), generator=None.
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples should be a positive integer "
                             f"value, but got num_samples={num_samples!r}")
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean value, but "
                             f"got replacement={replacement!r}")
        weights = xp.asarray(getattr(weights, "array", weights), dtype=float64)
        if weights.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence but given "
                             f"weights have shape {tuple(weights.shape)}")
        if not (xp.isfinite(weights).all() and (weights >= 0).all() and weights.sum() > 0):
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative and "
                             "not all zero")
        if not replacement and num_samples > int((weights > 0).sum()):
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} samples without "
                             f"replacement from {int((weights > 0).sum())} non-zero weights")
        self.weights, self.num_samples = weights, num_samples
        self.replacement = replacement
        self.generator = as_generator(generator, "WeightedRandomSampler")

    def __iter__(self):
        rng = numpy_generator(self.generator, "WeightedRandomSampler")
        draws = rng.choice(len(self.weights), size=self.num_samples, replace=self.replacement,
                           p=self.weights / self.weights.sum())
        return iter(draws.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of sampler into lists of batch_size (the last one shorter unless
    drop_last).

    Args: sampler (a Sampler or any iterable of indices), batch_size, drop_last.
    """

    def __init__(self, sampler, batch_size, drop_last):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
            raise ValueError(f"batch_size should be a positive integer value, but got "
                             f"batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")
        self.sampler, self.batch_size, self.drop_last = sampler, batch_size, drop_last

    def __iter__(self):
        indices = iter(self.sampler)
        while batch := list(itertools.islice(indices, self.batch_size)):
            if self.drop_last and len(batch) < self.batch_size:
                return
            yield batch

    def __len__(self):
        if self.drop_last:
            return len(self.sampler) // self.batch_size
        return (len(self.sampler) + self.batch_size - 1) // self.batch_size


def index_batches(batch_sampler):
    """The batches of batch_sampler. A BatchSampler over our sequential or random sampler cuts
    the sampler's blocks into int64 arrays without a Python loop over indices; anything else (a
    subclass too: it may override __iter__) is read as it iterates, as lists of whatever keys it
    gives (a dataset may be indexed by strings)."""
    sampler = getattr(batch_sampler, "sampler", None)
    if type(batch_sampler) is BatchSampler and type(sampler) in (SequentialSampler,
                                                                 RandomSampler):
        return _rebatch(sampler._blocks(), batch_sampler.batch_size, batch_sampler.drop_last)
    return (list(batch) for batch in batch_sampler)


def _rebatch(blocks, size, drop_last):
    pending, count = [], 0
    for block in blocks:
        pending.append(block)
        count += len(block)
        if count < size:
            continue
        merged = xp.concatenate(pending) if len(pending) > 1 else pending[0]
        end = count - count % size
        for start in range(0, end, size):
            yield merged[start:start + size]
        pending, count = ([merged[end:]], count - end) if end < count else ([], 0)
    if count and not drop_last:
        yield xp.concatenate(pending) if len(pending) > 1 else pending[0]
