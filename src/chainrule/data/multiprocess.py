"""The DataLoader's worker processes, the main process's side: start them, hand out batches of
indices ahead of need (prefetch_factor per worker, round robin), give the answers back in the
sampler's order whatever order they arrive in, and stop the workers at the epoch's end, on
break, on a worker's death and at garbage collection (persistent ones when the loader goes)."""
import itertools
import multiprocessing
import multiprocessing.connection
import signal
import time

from chainrule.data.dataset import IterableDataset
from chainrule.data.fetch import tasks
from chainrule.data.worker import RESUME, ExceptionWrapper, StreamEnd, loads, worker_loop
from chainrule.random import numpy_generator

# Seconds between the main process's checks that its workers are alive while it waits.
POLL_INTERVAL = 1.0
# Seconds the workers get to stop when asked, before they are terminated.
SHUTDOWN_GRACE = 5.0


class MultiProcessIterator:
    """One epoch of a DataLoader's batches from num_workers processes (or every epoch, with
    persistent_workers: DataLoader calls reset for each new one). It keeps no reference to the
    loader, so a loader holding it is freed, and its workers stopped, by reference counting."""

    def __init__(self, loader):
        self._closed = True   # until there are workers to stop
        self._num_workers, self._timeout = loader.num_workers, loader.timeout
        self._prefetch = loader.prefetch_factor * loader.num_workers
        self._persistent = loader.persistent_workers
        self._workers, self._index_queues, self._readers = [], [], []
        context = loader.multiprocessing_context or multiprocessing.get_context()
        # A new base seed each epoch, from the loader's generator (the global one if it has
        # none); worker i seeds its generators with base_seed + i, as torch does.
        base_seed = int(numpy_generator(loader.generator, "DataLoader").integers(0, 2**63))
        self._closed = False
        try:
            for worker_id in range(self._num_workers):
                self._start_worker(context, loader, base_seed, worker_id)
        except BaseException:
            self._shutdown()
            raise
        self.reset(loader, first=True)

    def _start_worker(self, context, loader, base_seed, worker_id):
        index_queue = context.Queue()
        reader, writer = context.Pipe(duplex=False)
        process = context.Process(
            target=worker_loop, daemon=True,
            args=(loader.dataset, index_queue, writer, loader.batch_sampler is not None,
                  loader.collate_fn, loader.drop_last, base_seed, loader.worker_init_fn,
                  worker_id, self._num_workers))
        try:
            process.start()
        except Exception as error:
            if context.get_start_method() == "fork":
                raise
            raise RuntimeError(
                f"DataLoader: starting worker {worker_id} with the {context.get_start_method()!r} "
                "start method pickles the dataset, collate_fn and worker_init_fn, and that "
                f"failed: {error}. Define them at the top level of a module") from error
        finally:
            # The worker's end: once closed here (before the next worker is forked), the pipe
            # reads as ended when that worker dies.
            writer.close()
        self._workers.append(process)
        self._index_queues.append(index_queue)
        self._readers.append(reader)

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
            for index_queue in self._index_queues:
                index_queue.put(RESUME)
            waiting = self._num_workers
            while waiting:
                waiting -= self._receive() == RESUME
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
        self._index_queues[worker_id].put((self._sent, index))
        self._worker_of[self._sent] = worker_id
        self._sent += 1

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            self._skip_unanswerable()
            if self._received == self._sent:
                if not self._persistent:
                    self._shutdown()
                raise StopIteration
            task = self._received
            if task in self._answers:
                return self._deliver(task, self._answers.pop(task))
            answered, data = self._receive()
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

    def _receive(self):
        """The next message from any worker; a worker's death or the loader's timeout raises."""
        deadline = time.monotonic() + self._timeout if self._timeout > 0 else None
        while True:
            wait = POLL_INTERVAL if deadline is None else min(POLL_INTERVAL,
                                                              deadline - time.monotonic())
            ready = multiprocessing.connection.wait(self._readers, max(wait, 0))
            if ready:
                try:
                    return loads(ready[0].recv_bytes())
                except EOFError:
                    self._raise_worker_died()
            if any(not process.is_alive() for process in self._workers):
                self._raise_worker_died()
            if deadline is not None and time.monotonic() >= deadline:
                self._shutdown()
                raise RuntimeError(f"DataLoader timed out after {self._timeout} seconds")

    def _raise_worker_died(self):
        for process in self._workers:
            process.join(0.1)
        dead = [f"pid {process.pid} {_exit_reason(process.exitcode)}"
                for process in self._workers if process.exitcode is not None]
        self._shutdown()
        raise RuntimeError(f"DataLoader worker ({', '.join(dead) or 'pid unknown'}) exited "
                           "unexpectedly")

    def _shutdown(self):
        """Ask the workers to stop, read (and drop) what they are still sending so none stays
        blocked on a full pipe, terminate any that is not gone within SHUTDOWN_GRACE."""
        if self._closed:
            return
        self._closed = True
        for index_queue in self._index_queues:
            try:
                index_queue.put(None)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + SHUTDOWN_GRACE
        readers = list(self._readers)
        while (running := [p for p in self._workers if p.exitcode is None]) and readers \
                and time.monotonic() < deadline:
            sentinels = [process.sentinel for process in running]
            for ready in multiprocessing.connection.wait(readers + sentinels, 0.1):
                if ready in readers:
                    try:
                        ready.recv_bytes()
                    except (EOFError, OSError):
                        readers.remove(ready)
        for process in self._workers:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.exitcode is None:
                process.terminate()
                process.join(1.0)
            if process.exitcode is None:
                process.kill()
                process.join()
        for index_queue in self._index_queues:
            index_queue.cancel_join_thread()
            index_queue.close()
        for reader in self._readers:
            reader.close()

    def __del__(self):
        try:
            self._shutdown()
        except Exception:   # at interpreter exit, modules may already be gone
            pass


def _exit_reason(code):
    if code is not None and code < 0:
        try:
            return f"killed by signal {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"
