"""What a DataLoader fetches for one batch, the same in the main process and in a worker: the
samples of a batch of indices, or the next samples of an iterable dataset's stream, collated."""
import itertools

from chainrule.backend import int64, xp
from chainrule.data.collate import default_collate
from chainrule.data.dataset import IterableDataset, batch_gatherer
from chainrule.data.sampler import Sampler, index_batches


class InfiniteConstantSampler(Sampler):
    """The sampler of an iterable dataset, as torch's: None forever (the stream decides)."""

    def __iter__(self):
        return itertools.repeat(None)


def tasks(dataset, sampler, batch_sampler):
    """What each fetch is given: the indices of a batch (an int64 array or a list), one index per
    sample without batching (batch_size=None), or for an iterable dataset the number of samples
    to take from its stream (None for one sample)."""
    if isinstance(dataset, IterableDataset):
        return itertools.repeat(None if batch_sampler is None else batch_sampler.batch_size)
    if batch_sampler is None:
        return iter(sampler)
    return index_batches(batch_sampler)


def make_fetcher(dataset, batched, collate_fn, drop_last):
    if isinstance(dataset, IterableDataset):
        return IterableFetcher(dataset, batched, collate_fn, drop_last)
    return MapFetcher(dataset, batched, collate_fn)


class MapFetcher:
    def __init__(self, dataset, batched, collate_fn):
        self.dataset, self.batched, self.collate_fn = dataset, batched, collate_fn
        self.gather = batch_gatherer(dataset) if batched and collate_fn is default_collate else None

    def fetch(self, index):
        if not self.batched:
            return self.collate_fn(self.dataset[index])
        if self.gather is not None:   # a whole batch by one fancy index per tensor
            if isinstance(index, list):   # a custom batch sampler's; ours give int64 arrays
                index = xp.asarray(index, dtype=int64)
            return self.gather(index)
        indices = index.tolist() if hasattr(index, "tolist") else index
        get_items = getattr(self.dataset, "__getitems__", None)
        samples = get_items(indices) if get_items else [self.dataset[i] for i in indices]
        return self.collate_fn(samples)


class IterableFetcher:
    """Raises StopIteration once the stream is spent (or leaves only a short batch to drop)."""

    def __init__(self, dataset, batched, collate_fn, drop_last):
        self.stream, self.ended = iter(dataset), False
        self.batched, self.collate_fn, self.drop_last = batched, collate_fn, drop_last

    def fetch(self, count):
        if self.ended:
            raise StopIteration
        if not self.batched:
            return self.collate_fn(next(self.stream))
        samples = list(itertools.islice(self.stream, count))
        self.ended = len(samples) < count
        if not samples or (self.drop_last and len(samples) < count):
            raise StopIteration
        return self.collate_fn(samples)
