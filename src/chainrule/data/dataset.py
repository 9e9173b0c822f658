"""Datasets. Map-style: a sample by index and a length (Dataset, the base class; TensorDataset
of tensors that share their first dimension; Subset, part of another dataset; ConcatDataset,
several end to end). Iterable-style: a stream of samples (IterableDataset, ChainDataset)."""
import bisect
import itertools

from chainrule.backend import int64, xp
from chainrule.tensor import Tensor


class Dataset:
    """Subclass it and define __getitem__(index) -> sample and __len__() -> number of samples."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Subclass it and define __iter__() -> samples: a stream rather than an indexed collection.
    With DataLoader(num_workers=N) each worker iterates its own copy, so every sample comes N
    times unless __iter__ splits the work by get_worker_info() (as in torch)."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other):
        return ChainDataset([self, other])


class TensorDataset(Dataset):
    """Sample i is (tensors[0][i], tensors[1][i], ...).

    Args: *tensors, all with the same size in their first dimension (the number of samples).
    Shape: tensors (N, *) each; a sample is a tuple of tensors of shape (*).
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one tensor")
        for t in tensors:
            if not isinstance(t, Tensor):
                raise TypeError(f"TensorDataset: expected Tensors, got {type(t).__name__}")
        shapes = [tuple(t.shape) for t in tensors]
        if any(len(shape) == 0 for shape in shapes) or len({s[0] for s in shapes}) != 1:
            listed = ", ".join(str(s) for s in shapes)
            raise ValueError(f"TensorDataset: all tensors must have the same size in their first "
                             f"dimension (the number of samples), got shapes {listed}")
        self.tensors = tensors

    def __getitem__(self, index):
        if isinstance(index, int) and not -len(self) <= index < len(self):
            raise IndexError(f"TensorDataset: index {index} is out of range for a dataset of "
                             f"{len(self)} samples")
        return tuple(t[index] for t in self.tensors)

    def __len__(self):
        return self.tensors[0].shape[0]

    def _gather(self, indices):
        """A whole batch by one fancy index per tensor: what default_collate would build from
        the samples, without a Python loop over them."""
        try:
            return [_take(t, indices) for t in self.tensors]
        except IndexError:   # checked only on failure: two reductions a batch cost the hot path
            size = len(self)
            bad = indices.min() if indices.min() < -size else indices.max()
            raise IndexError(f"TensorDataset: index {bad} (from the sampler) is out of range for "
                             f"a dataset of {size} samples") from None


class Subset(Dataset):
    """The samples of dataset at the given indices, in that order.

    Args: dataset, indices (a sequence of ints).
    """

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices
        self._index_array = None   # made on the first batched gather, from _indexed
        self._indexed = None

    def __getitem__(self, index):
        if isinstance(index, list):
            return self.dataset[[self.indices[i] for i in index]]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)

    def _gather(self, indices):
        if self._indexed is not self.indices:   # first use, or indices were reassigned
            self._index_array = xp.asarray(self.indices, dtype=int64)
            self._indexed = self.indices
        return self.dataset._gather(self._index_array[indices])


class ConcatDataset(Dataset):
    """The samples of several map-style datasets, one after the other.

    Args: datasets (a non-empty iterable of datasets).
    """

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for dataset in self.datasets:
            if isinstance(dataset, IterableDataset):
                raise TypeError(f"ConcatDataset does not support IterableDataset "
                                f"({type(dataset).__name__}); use ChainDataset")
        self.cumulative_sizes = list(itertools.accumulate(len(d) for d in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < 0:
            if -index > len(self):
                raise ValueError(f"ConcatDataset: index {index} is out of range for "
                                 f"{len(self)} samples")
            index += len(self)
        which = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[which - 1] if which > 0 else 0
        if which == len(self.datasets):
            raise IndexError(f"ConcatDataset: index {index} is out of range for {len(self)} "
                             "samples")
        return self.datasets[which][index - start]


class ChainDataset(IterableDataset):
    """The samples of several iterable datasets, one stream after the other."""

    def __init__(self, datasets):
        self.datasets = datasets

    def __iter__(self):
        for dataset in self.datasets:
            if not isinstance(dataset, IterableDataset):
                raise TypeError(f"ChainDataset only supports IterableDataset, got "
                                f"{type(dataset).__name__}")
            yield from dataset

    def __len__(self):
        return sum(len(dataset) for dataset in self.datasets)


def batch_gatherer(dataset):
    """The function that builds a whole batch from an index array, or None where samples must
    be fetched one by one. A subclass that overrides __getitem__ (to transform samples) is
    fetched one by one, since the gather would skip that; one that only adds attributes (a
    data set's arrays, say) is gathered."""
    inner = dataset
    while type(inner) is Subset:
        inner = inner.dataset
    gathers = (isinstance(inner, TensorDataset)
               and type(inner).__getitem__ is TensorDataset.__getitem__
               and type(inner)._gather is TensorDataset._gather)
    return dataset._gather if gathers else None


def _take(t, indices):
    if t.requires_grad:   # keep the graph, as torch.stack of the samples would
        return t[Tensor._make(indices)]
    return Tensor._make(t.array[indices])
