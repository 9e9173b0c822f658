"""DataLoader: batches of samples in sequential or shuffled order, collated into Tensors; with
the samplers that choose the order and the collate function."""
import collections.abc
import itertools
import math

from chainrule import backend
from chainrule.backend import int64, xp
from chainrule.data.dataset import batch_gatherer
from chainrule.random import Generator, as_generator, numpy_generator
from chainrule.tensor import Tensor

class SequentialSampler:
    """Indices 0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def order(self):
        return xp.arange(len(self.data_source), dtype=int64)

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler:
    """A new random permutation of the indices each epoch (or num_samples draws with replacement).

    Args: data_source, replacement=False, num_samples=None (len(data_source)), generator=None
    (a Generator, an int seed, or None for the global generator that manual_seed sets).
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        self.generator = as_generator(generator, "RandomSampler")
        if not isinstance(self.num_samples, int) or self.num_samples < 0:
            raise ValueError(f"RandomSampler: num_samples must be a non-negative integer, got "
                             f"{self.num_samples!r}")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def order(self):
        rng = numpy_generator(self.generator, "RandomSampler")
        n = len(self.data_source)
        if self.replacement:
            return rng.integers(0, n, size=self.num_samples, dtype=int64)
        # As torch: whole permutations, concatenated when num_samples exceeds n.
        rounds = [rng.permutation(n) for _ in range(-(-self.num_samples // max(n, 1)))]
        return xp.concatenate(rounds or [xp.arange(0)]).astype(int64, copy=False)[
            :self.num_samples]

    def __iter__(self):
        return iter(self.order().tolist())

    def __len__(self):
        return self.num_samples


def default_collate(batch):
    """Stack a list of samples into a batch, keeping their structure: tensors and arrays are
    stacked (dtype kept), numbers become 1-d tensors (bool -> bool, int -> int64, float -> float32),
    dicts, tuples and lists are collated field by field, strings are left as a list."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack([sample.array for sample in batch], batch)
    if isinstance(elem, backend.ndarray):
        return _stack(batch, batch)
    if isinstance(elem, xp.generic):   # NumPy scalars keep their dtype
        return Tensor._make(xp.asarray(batch))
    if isinstance(elem, (bool, int, float)):
        return Tensor._make(backend.as_array(batch))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):   # a namedtuple keeps its type
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("default_collate: each sample in the batch must have the same "
                               f"number of fields, got {sorted({len(s) for s in batch})}")
        # Tuples come back as lists, as in torch's default_collate.
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(f"default_collate: a batch must hold tensors, arrays, numbers, strings, dicts "
                    f"or sequences of them; found {type(elem).__name__}")


def _stack(arrays, samples):
    shapes = {tuple(a.shape) for a in arrays}
    if len(shapes) > 1:
        raise RuntimeError(f"default_collate: cannot stack samples of different shapes "
                           f"{sorted(shapes)}; pad them to one shape or pass a collate_fn")
    if isinstance(samples[0], Tensor) and any(s.requires_grad for s in samples):
        import chainrule   # the op keeps the graph, as torch.stack does
        return chainrule.stack(samples)
    return Tensor._make(xp.stack(arrays))


class DataLoader:
    """Iterates over a dataset in batches: each epoch (each `for` over it) visits every sample
    once, in order or in a new random order.

    Args: dataset, batch_size=1, shuffle=False, sampler=None (an iterable of indices; excludes
    shuffle), batch_sampler=None (an iterable of lists of indices; excludes batch_size, shuffle,
    sampler and drop_last), collate_fn=None (default_collate), drop_last=False (drop a last
    batch smaller than batch_size), generator=None (a Generator, an int seed, or None for the
    global generator that manual_seed sets).
    Samples come from the main process: num_workers must be 0.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False,
                 generator=None):
        _check_batch_size(batch_size)
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None
                                          or drop_last):
            raise ValueError("DataLoader: batch_sampler excludes batch_size, shuffle, sampler "
                             "and drop_last")
        if num_workers != 0:
            raise ValueError(f"DataLoader: num_workers={num_workers!r}; chainrule loads in the "
                             "main process, so num_workers must be 0")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler and shuffle=True cannot be used together; "
                             "shuffle in the sampler instead")
        self.generator = as_generator(generator, "DataLoader")
        if sampler is None:
            sampler = (RandomSampler(dataset, generator=self.generator) if shuffle
                       else SequentialSampler(dataset))
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.pin_memory = sampler, batch_sampler, pin_memory
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self.num_workers = num_workers

    def __iter__(self):
        gather = batch_gatherer(self.dataset) if self.collate_fn is default_collate else None
        for indices in self._index_batches():
            if gather is not None:
                yield gather(indices)
            else:
                yield self.collate_fn([self.dataset[i] for i in indices.tolist()])

    def _index_batches(self):
        """One index array per batch. Our samplers give the whole epoch's order as one array, so
        a batch is a slice of it; any other sampler (a subclass too: it may override __iter__) is
        read lazily, as it may be endless."""
        size = self.batch_size
        if self.batch_sampler is not None:
            yield from (xp.asarray(batch, dtype=int64) for batch in self.batch_sampler)
            return
        if type(self.sampler) in (SequentialSampler, RandomSampler):
            order = self.sampler.order()
            end = len(order) - len(order) % size if self.drop_last else len(order)
            for start in range(0, end, size):
                yield order[start:start + size]
            return
        indices = iter(self.sampler)
        while batch := list(itertools.islice(indices, size)):
            if self.drop_last and len(batch) < size:
                return
            yield xp.asarray(batch, dtype=int64)

    def __len__(self):
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        count = len(self.sampler)
        return count // self.batch_size if self.drop_last else math.ceil(count / self.batch_size)


def _check_batch_size(batch_size):
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size <= 0:
        raise ValueError(f"DataLoader: batch_size must be a positive integer, got "
                         f"{batch_size!r}")
