"""Datasets for the worker-process tests, at the top level of a module that does not import
torch, so that workers started by 'spawn' can import them quickly."""
import os
import time

import numpy as np

import chainrule as cr
from chainrule.utils.data import Dataset, IterableDataset, get_worker_info

INIT_CALLS = []   # what worker_init_fn saw, in the worker that called it


class Probe(Dataset):
    """Sample i: (i, the worker's id, its pid, a draw from chainrule's global generator, one from
    NumPy's legacy global generator, the worker's seed, the worker_init_fn calls it saw); worker
    0 is slow, so batches from worker 1 arrive first. Load it with collate_fn=list."""

    def __init__(self, n=12, slow_worker=0, delay=0.02):
        self.n, self.slow_worker, self.delay = n, slow_worker, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        info = get_worker_info()
        if info.id == self.slow_worker:
            time.sleep(self.delay)
        return (i, info.id, os.getpid(), float(cr.rand(1).item()), float(np.random.random()),
                info.seed, tuple(INIT_CALLS))


def record_init(worker_id):
    INIT_CALLS.append((worker_id, get_worker_info().id, get_worker_info().num_workers))


class Failing(Dataset):
    """Sample 3 raises the given exception."""

    def __init__(self, error):
        self.error = error

    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 3:
            raise self.error
        return i


class Sleepy(Dataset):
    def __init__(self, seconds):
        self.seconds = seconds

    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(self.seconds)
        return i


class Pids(Dataset):
    def __len__(self):
        return 64

    def __getitem__(self, i):
        return os.getpid()


class Stream(IterableDataset):
    """range(start, stop), split between the workers when split=True (torch's documented
    recipe with get_worker_info), duplicated in each worker otherwise."""

    def __init__(self, start, stop, split):
        self.start, self.stop, self.split = start, stop, split

    def __iter__(self):
        info = get_worker_info()
        if not self.split or info is None:
            return iter(range(self.start, self.stop))
        per_worker = -(-(self.stop - self.start) // info.num_workers)
        first = self.start + info.id * per_worker
        return iter(range(first, min(first + per_worker, self.stop)))

    def __len__(self):
        return self.stop - self.start


class TensorSamples(Dataset):
    """Samples that are chainrule Tensors in a dict: they cross processes as arrays."""

    def __len__(self):
        return 6

    def __getitem__(self, i):
        return {"x": cr.full((2,), float(i)), "y": cr.tensor(i)}


class GraphSample(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        return cr.ones(2, requires_grad=True) * 2
