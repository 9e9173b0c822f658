"""DataLoader: a dataset's samples in batches, in the order a sampler gives, collated into
Tensors; loaded in the main process, or by worker processes (num_workers > 0)."""
import math
import multiprocessing
import os
import warnings

from chainrule.data.collate import default_collate, default_convert
from chainrule.data.dataset import IterableDataset
from chainrule.data.fetch import InfiniteConstantSampler, make_fetcher, tasks
from chainrule.data.multiprocess import MultiProcessIterator
from chainrule.data.sampler import BatchSampler, RandomSampler, SequentialSampler
from chainrule.random import Generator, as_generator

__all__ = ["DataLoader", "Generator"]

# Set once; changing them would leave the sampler and batching out of step, as torch says too.
_FIXED_AFTER_INIT = ("batch_size", "batch_sampler", "sampler", "drop_last", "dataset",
                     "persistent_workers")


class DataLoader:
    """Iterates over a dataset in batches: each epoch (each `for` over it) visits every sample
    once, in order or in a new random order.

    Args: dataset (map-style, or an IterableDataset), batch_size=1 (None: no batching, each
    sample converted alone), shuffle=False, sampler=None (an iterable of indices; excludes
    shuffle), batch_sampler=None (an iterable of lists of indices; excludes batch_size, shuffle,
    sampler and drop_last), num_workers=0 (worker processes that load batches ahead; 0 loads in
    the main process), collate_fn=None (default_collate), pin_memory=False (accepted; CPU only),
    drop_last=False (drop a last batch smaller than batch_size), timeout=0 (seconds to wait for
    a worker's batch; 0 waits as long as it takes), worker_init_fn=None (called with the worker
    id in each worker), multiprocessing_context=None (a start method's name or a context; fork on
    Linux by default), generator=None (a Generator, an int seed, or None for the global generator
    that manual_seed sets: shuffles, and seeds the workers), prefetch_factor=None (2 batches per
    worker), persistent_workers=False (keep the workers from one epoch to the next).
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True):
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        _check_batch_size(batch_size)
        generator = as_generator(generator, "DataLoader")
        sampler, batch_sampler, batch_size, drop_last = _samplers(
            dataset, batch_size, shuffle, sampler, batch_sampler, drop_last, generator)
        self.dataset, self.batch_size, self.drop_last = dataset, batch_size, drop_last
        self.sampler, self.batch_sampler, self.generator = sampler, batch_sampler, generator
        self.num_workers, self.timeout, self.worker_init_fn = num_workers, timeout, worker_init_fn
        self.prefetch_factor = 2 if num_workers > 0 and prefetch_factor is None else prefetch_factor
        self.multiprocessing_context = _context(multiprocessing_context, num_workers)
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.in_order = in_order   # batches always come in order, which in_order=False allows
        if collate_fn is None:
            collate_fn = default_collate if batch_sampler is not None else default_convert
        self.collate_fn = collate_fn
        self.persistent_workers = persistent_workers
        self._iterator = None   # the persistent workers' iterator
        self._initialized = True
        _warn_if_too_many_workers(num_workers)

    def __setattr__(self, name, value):
        if name in _FIXED_AFTER_INIT and getattr(self, "_initialized", False):
            raise ValueError(f"DataLoader: the {name} attribute should not be set after the "
                             "DataLoader is initialized; make a new DataLoader")
        super().__setattr__(name, value)

    def __iter__(self):
        if self.num_workers == 0:
            return self._batches()
        if not self.persistent_workers:
            return MultiProcessIterator(self)
        if self._iterator is None or self._iterator.closed:
            self._iterator = MultiProcessIterator(self)
        else:
            self._iterator.reset(self)
        return self._iterator

    def _batches(self):
        """One epoch loaded in the main process."""
        fetcher = make_fetcher(self.dataset, self.batch_sampler is not None, self.collate_fn,
                               self.drop_last)
        for index in tasks(self.dataset, self.sampler, self.batch_sampler):
            try:
                batch = fetcher.fetch(index)
            except StopIteration:   # an iterable dataset's stream is spent
                return
            yield batch

    def __len__(self):
        if isinstance(self.dataset, IterableDataset):
            length = len(self.dataset)   # a TypeError if the stream's length is unknown
            if self.batch_size is None:
                return length
            return length // self.batch_size if self.drop_last else math.ceil(
                length / self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)


def _samplers(dataset, batch_size, shuffle, sampler, batch_sampler, drop_last, generator):
    """(sampler, batch_sampler, batch_size, drop_last) as torch's DataLoader sets them, with its
    refusals of options that exclude one another."""
    if isinstance(dataset, IterableDataset):
        for name, value in (("shuffle", shuffle), ("sampler", sampler),
                            ("batch_sampler", batch_sampler)):
            if value not in (None, False):
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified {name} "
                                 f"option, but got {name}={value!r}")
        sampler = InfiniteConstantSampler()
    shuffle = bool(shuffle)
    if sampler is not None and shuffle:
        raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle; "
                         "shuffle in the sampler instead")
    if batch_sampler is not None:
        if batch_size != 1 or shuffle or sampler is not None or drop_last:
            raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                             "batch_size, shuffle, sampler, and drop_last")
        batch_size, drop_last = None, False
    elif batch_size is None and drop_last:
        raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                         "mutually exclusive with drop_last")
    if sampler is None:
        sampler = (RandomSampler(dataset, generator=generator) if shuffle
                   else SequentialSampler(dataset))
    if batch_size is not None and batch_sampler is None:
        batch_sampler = BatchSampler(sampler, batch_size, bool(drop_last))
    return sampler, batch_sampler, batch_size, drop_last


def _check_batch_size(batch_size):
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int)
                                   or batch_size <= 0):
        raise ValueError(f"DataLoader: batch_size must be a positive integer (or None to turn "
                         f"batching off), got batch_size={batch_size!r}")


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers):
    if isinstance(num_workers, bool) or not isinstance(num_workers, int) or num_workers < 0:
        raise ValueError(f"DataLoader: num_workers option should be a non-negative integer, got "
                         f"num_workers={num_workers!r}; use num_workers=0 to disable "
                         "multiprocessing")
    if not isinstance(timeout, (int, float)) or timeout < 0:
        raise ValueError(f"DataLoader: timeout option should be non-negative, got "
                         f"timeout={timeout!r}")
    if num_workers == 0 and timeout > 0:
        raise ValueError(f"DataLoader: timeout={timeout!r} applies to worker processes only; "
                         "it needs num_workers > 0")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError("DataLoader: prefetch_factor option could only be specified in "
                         "multiprocessing; let num_workers > 0 to enable multiprocessing, "
                         "otherwise set prefetch_factor to None")
    if prefetch_factor is not None and (isinstance(prefetch_factor, bool)
                                        or not isinstance(prefetch_factor, int)
                                        or prefetch_factor <= 0):
        raise ValueError(f"DataLoader: prefetch_factor option should be a positive integer, "
                         f"got prefetch_factor={prefetch_factor!r}")
    if persistent_workers and num_workers == 0:
        raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")


def _warn_if_too_many_workers(num_workers):
    """As torch: more workers than the CPUs this process may use slows loading down."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    if cpus and num_workers > cpus:
        warnings.warn(f"This DataLoader will create {num_workers} worker processes in total. Our "
                      f"suggested max number of worker in current system is {cpus}, which is "
                      "smaller than what this DataLoader is going to create. Please be aware "
                      "that excessive worker creation might get DataLoader running slow or even "
                      "freeze, lower the worker number to avoid potential slowness/freeze if "
                      "necessary.", UserWarning, stacklevel=3)


def _context(multiprocessing_context, num_workers):
    if multiprocessing_context is None:
        return None
    if num_workers == 0:
        raise ValueError("DataLoader: multiprocessing_context can only be used with "
                         f"multi-process loading (num_workers > 0), but got "
                         f"num_workers={num_workers}")
    if isinstance(multiprocessing_context, str):
        methods = multiprocessing.get_all_start_methods()
        if multiprocessing_context not in methods:
            raise ValueError(f"DataLoader: multiprocessing_context option should specify a "
                             f"valid start method in {methods!r}, but got "
                             f"multiprocessing_context={multiprocessing_context!r}")
        return multiprocessing.get_context(multiprocessing_context)
    if not isinstance(multiprocessing_context, multiprocessing.context.BaseContext):
        raise TypeError("DataLoader: multiprocessing_context option should be a valid context "
                        "object or a string specifying the start method, but got "
                        f"multiprocessing_context={multiprocessing_context!r}")
    return multiprocessing_context
