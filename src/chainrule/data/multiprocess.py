"""The DataLoader's iterator over worker processes: it hands out batches of indices ahead of
need (prefetch_factor per worker, round robin) and gives the answers back in the sampler's order
whatever order they arrive in. Its workers stop at the epoch's end, on a worker's death, and
when the iterator is garbage (on break, on an error; persistent ones when the loader goes)."""
import itertools
import multiprocessing
import weakref

from chainrule.data.dataset import IterableDataset
from chainrule.data.fetch import tasks
from chainrule.data.pool import WorkerPool
from chainrule.data.worker import RESUME, ExceptionWrapper, StreamEnd
from chainrule.random import numpy_generator


class MultiProcessIterator:
    """One epoch of a DataLoader's batches from num_workers processes (or every epoch, with
    persistent_workers: DataLoader calls reset for each new one). It keeps no reference to the
    loader, so a loader holding it is freed, and its workers stopped, by reference counting."""

    def __init__(self, loader):
        self._num_workers, self._timeout = loader.num_workers, loader.timeout
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._persistent = loader.persistent_workers
        context = loader.multiprocessing_context or multiprocessing.get_context()
        # A new base seed each epoch, from the loader's generator (the global one if it has
        # none); worker i seeds its generators with base_seed + i, as torch does.
        base_seed = int(numpy_generator(loader.generator, "DataLoader").integers(0, 2**63))
        worker_args = (loader.dataset, loader.batch_sampler is not None, loader.collate_fn,
                       loader.drop_last, loader.worker_init_fn)
        self._pool = WorkerPool(context, self._num_workers, worker_args, base_seed)
        self._stop_workers = weakref.finalize(self, self._pool.shutdown)
        self.reset(loader, first=True)

    @property
    def closed(self):
        return self._pool.closed

    def reset(self, loader, first=False):
        """Start an epoch: a fresh order from the sampler, the prefetch queue filled. Persistent
        workers are told a new epoch begins; what they still send of the last one is dropped."""
        self._tasks = tasks(loader.dataset, loader.sampler, loader.batch_sampler)
        self._iterable = isinstance(loader.dataset, IterableDataset)
        self._sent = self._received = 0
        self._worker_of = {}     # task number -> the worker it was sent to
        self._answers = {}       # answers that arrived before their turn
        self._active = [True] * self._num_workers   # False once a worker's stream is spent
        self._next_worker = itertools.cycle(range(self._num_workers))
        if not first:
            for worker_id in range(self._num_workers):
                self._pool.put(worker_id, RESUME)
            waiting = self._num_workers
            while waiting:
                waiting -= self._pool.receive(self._timeout) == RESUME
        for _ in range(self._prefetch):
            self._send_task()

    def _send_task(self):
        for _ in range(self._num_workers):
            worker_id = next(self._next_worker)
            if self._active[worker_id]:
                break
        else:
            return
        index = next(self._tasks, None)
        if index is None and not self._iterable:
            return
        self._pool.put(worker_id, (self._sent, index))
        self._worker_of[self._sent] = worker_id
        self._sent += 1

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            self._skip_unanswerable()
            if self._received == self._sent:
                if not self._persistent:
                    self._stop_workers()
                raise StopIteration
            task = self._received
            if task in self._answers:
                return self._deliver(task, self._answers.pop(task))
            answered, data = self._pool.receive(self._timeout)
            if isinstance(data, StreamEnd):
                self._active[data.worker_id] = False
                self._send_task()
            elif answered == task:
                return self._deliver(task, data)
            else:
                self._answers[answered] = data

    def _skip_unanswerable(self):
        """Tasks sent to a worker whose stream has since ended will never be answered."""
        while (self._received < self._sent and self._received not in self._answers
               and not self._active[self._worker_of[self._received]]):
            del self._worker_of[self._received]
            self._received += 1

    def _deliver(self, task, data):
        del self._worker_of[task]
        self._received += 1
        self._send_task()
        if isinstance(data, ExceptionWrapper):
            data.reraise()
        return data
