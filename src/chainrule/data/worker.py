"""The DataLoader's worker processes, their side: get_worker_info, the loop that fetches the
batches it is sent, and how an exception and a Tensor cross from a worker to the main process.

Messages: the main process puts (task number, indices) on a worker's index queue, RESUME (a new
epoch, persistent workers) or None (stop); the worker answers on its own pipe with the pickled
(task number, batch), (task number, ExceptionWrapper), (task number, StreamEnd) or RESUME. It
pickles a batch itself, so a batch that cannot be pickled is reported, not lost."""
import dataclasses
import multiprocessing.reduction
import os
import queue
import random
import sys
import traceback

from chainrule.backend import xp
from chainrule.data.fetch import make_fetcher
from chainrule.random import manual_seed
from chainrule.tensor import Tensor

# Seconds between a waiting worker's checks that its parent is still alive.
STATUS_CHECK_INTERVAL = 5.0
RESUME = "resume"

_worker_info = None


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    """Who this worker is: id (0 .. num_workers - 1), num_workers, the seed its random number
    generators were given, and dataset (this process's own copy)."""
    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """A WorkerInfo inside a DataLoader worker process; None in the main process."""
    return _worker_info


@dataclasses.dataclass(frozen=True)
class StreamEnd:
    """A worker's iterable dataset is spent."""
    worker_id: int


class ExceptionWrapper:
    """An exception raised in a worker, with its traceback as text, to raise again in the main
    process: the same type where it can be rebuilt from a message, RuntimeError otherwise."""

    def __init__(self, exc_info, where):
        exc_type = exc_info[0]
        self.type_name = exc_type.__name__
        self.exc_type = exc_type if _picklable(exc_type) else None
        self.traceback = "".join(traceback.format_exception(*exc_info))
        self.where = where

    def reraise(self):
        message = f"Caught {self.type_name} {self.where}.\nOriginal {self.traceback}"
        if self.exc_type is KeyError:   # KeyError would repr() the message into one long line
            message = _KeyErrorMessage(message)
        try:
            exception = self.exc_type(message)
        except Exception:   # None, or a constructor that wants other arguments
            raise RuntimeError(message) from None
        raise exception


class _KeyErrorMessage(str):
    def __repr__(self):
        return self


def _picklable(value):
    try:
        loads(dumps(value))
        return True
    except Exception:
        return False


def _reduce_tensor(tensor):
    """A Tensor crosses processes as its array (and whether it is a leaf that requires grad)."""
    if tensor.grad_fn is not None:
        raise RuntimeError(f"cannot send a Tensor made by {type(tensor.grad_fn).__name__} (one "
                           "that records a graph) to another process; detach() it first")
    return _rebuild_tensor, (tensor.array, tensor.requires_grad)


def _rebuild_tensor(array, requires_grad):
    return Tensor(array, requires_grad=True) if requires_grad else Tensor._make(array)


# Registered with the pickler that multiprocessing uses between processes only.
multiprocessing.reduction.ForkingPickler.register(Tensor, _reduce_tensor)


def dumps(value):
    """Bytes for another process of this run (never for a file: nothing is unpickled from disk)."""
    return bytes(multiprocessing.reduction.ForkingPickler.dumps(value))


def loads(payload):
    """What dumps made, in the process that received it from a worker."""
    return multiprocessing.reduction.ForkingPickler.loads(payload)


def seed_worker(base_seed, worker_id):
    """Seed this worker's generators as torch does: chainrule's global one and Python's with
    base_seed + worker_id, NumPy's legacy global one from both (so random augmentations differ
    between workers)."""
    seed = base_seed + worker_id
    random.seed(seed)
    manual_seed(seed)
    xp.random.seed(xp.random.SeedSequence([worker_id, base_seed]).generate_state(4))
    return seed


def worker_loop(dataset, index_queue, result_pipe, batched, collate_fn, drop_last, base_seed,
                init_fn, worker_id, num_workers):
    """Runs in a worker process until it is sent None or its parent dies."""
    global _worker_info
    where = f"in DataLoader worker process {worker_id}"
    try:
        seed = seed_worker(base_seed, worker_id)
        _worker_info = WorkerInfo(worker_id, num_workers, seed, dataset)
        fetcher, init_error = None, None
        try:
            if init_fn is not None:
                init_fn(worker_id)
            fetcher = make_fetcher(dataset, batched, collate_fn, drop_last)
        except Exception:
            init_error = ExceptionWrapper(sys.exc_info(), where)
        parent, stream_ended = os.getppid(), False
        while True:
            try:
                message = index_queue.get(timeout=STATUS_CHECK_INTERVAL)
            except queue.Empty:
                if os.getppid() != parent:   # the main process is gone: nobody to answer
                    return
                continue
            if message is None:
                return
            if message == RESUME:
                if init_error is None:
                    fetcher = make_fetcher(dataset, batched, collate_fn, drop_last)
                stream_ended = False
                _send(result_pipe, RESUME, where)
                continue
            task, index = message
            if init_error is not None:   # every batch of this worker reports it
                answer = init_error
            elif stream_ended:
                answer = StreamEnd(worker_id)
            else:
                answer, stream_ended = _fetch(fetcher, index, worker_id, where)
            _send(result_pipe, (task, answer), where)
    except (KeyboardInterrupt, BrokenPipeError):
        pass   # the main process is stopping us or has gone
    finally:
        result_pipe.close()


def _fetch(fetcher, index, worker_id, where):
    try:
        return fetcher.fetch(index), False
    except StopIteration:
        if hasattr(fetcher, "stream"):
            return StreamEnd(worker_id), True
        return ExceptionWrapper(sys.exc_info(), where), False
    except Exception:
        return ExceptionWrapper(sys.exc_info(), where), False


def _send(pipe, message, where):
    try:
        payload = dumps(message)
    except Exception:   # a batch that cannot be pickled: say so instead of losing it
        payload = dumps((message[0], ExceptionWrapper(sys.exc_info(), where)))
    pipe.send_bytes(payload)
