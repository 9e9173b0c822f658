"""torch.multiprocessing: Python's multiprocessing (chainrule's tensors are NumPy arrays and pickle
as such; there are no shared-memory tensors), and spawn, the way torch's DDP tutorials start one
process per rank: `mp.spawn(train, args=(world_size,), nprocs=world_size)`.

chainrule starts a distributed program's processes with MPI, not from inside it: run the
program as `chainrule run -n N script.py`. Each of the N processes then runs the whole script,
and spawn(fn, nprocs=N) calls fn(rank, *args) in each, for its own rank (code outside fn, before
and after spawn, runs in every process). Without a launch, spawn with nprocs=1 calls fn(0, *args)
here; more processes are refused with how to start them."""
import multiprocessing
from multiprocessing import (   # re-exported: torch.multiprocessing's names
    Array, Barrier, BoundedSemaphore, Condition, Event, JoinableQueue, Lock, Manager, Pipe, Pool,
    Process, Queue, RLock, Semaphore, SimpleQueue, Value, active_children, cpu_count,
    current_process, get_all_start_methods, get_context, get_start_method, set_start_method)

from chainrule.distributed.group import launched_rank, launched_world_size

__all__ = ["Array", "Barrier", "BoundedSemaphore", "Condition", "Event", "JoinableQueue", "Lock",
           "Manager", "Pipe", "Pool", "Process", "ProcessExitedException", "ProcessRaisedException",
           "Queue", "RLock", "Semaphore", "SimpleQueue", "Value", "active_children", "cpu_count",
           "current_process", "get_all_start_methods", "get_context", "get_sharing_strategy",
           "get_start_method", "set_sharing_strategy", "set_start_method", "spawn",
           "start_processes"]


class ProcessRaisedException(multiprocessing.ProcessError):
    """torch's name for a spawned process's exception (here fn raises in its own process)."""


class ProcessExitedException(multiprocessing.ProcessError):
    """torch's name for a spawned process that exited with an error status."""


def spawn(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    """Call fn(rank, *args) as process `rank` of nprocs: in this process, for this process's rank
    in the MPI launch (see the module's docstring). Returns None."""
    if not callable(fn):
        raise TypeError(f"spawn: fn must be callable, got {type(fn).__name__}")
    if isinstance(nprocs, bool) or not isinstance(nprocs, int) or nprocs < 1:
        raise ValueError(f"spawn: nprocs must be a positive integer, got {nprocs!r}")
    launched = launched_world_size()
    if launched == 1 and nprocs > 1:
        raise RuntimeError(
            f"spawn: chainrule starts the {nprocs} processes of a distributed program with MPI, "
            f"not from inside it: run the program as `chainrule run -n {nprocs} SCRIPT [ARGS]`; "
            f"each process then calls fn(rank, ...) for its own rank")
    if launched != nprocs:
        raise RuntimeError(f"spawn: nprocs={nprocs}, but this job was started with {launched} "
                           f"processes: start it with `chainrule run -n {nprocs}`")
    fn(launched_rank(), *args)


def start_processes(fn, args=(), nprocs=1, join=True, daemon=False, start_method="spawn"):
    return spawn(fn, args, nprocs, join, daemon, start_method)


_sharing_strategy = ["file_system"]


def get_sharing_strategy():
    return _sharing_strategy[0]


def set_sharing_strategy(strategy):
    """Recorded only: chainrule shares no tensor memory between processes."""
    _sharing_strategy[0] = strategy
