"""The gradient averaging behind DistributedDataParallel, in buckets, as torch's Reducer.

The parameters are packed, in reverse order (the order backward reaches them), into buckets of
about bucket_bytes. As each parameter's .grad is written (its post-accumulate hook), it is copied
into its bucket; a full bucket is divided by the world size and its all-reduce started
(nonblocking), so communication runs while backward goes on. Buckets are started in index order
on every rank (MPI requires collectives in the same order everywhere). At the end of backward
(an engine callback) the last buckets are started, every all-reduce is waited for, and the
averages are copied back into .grad.
"""
import time

from chainrule.autograd.engine import queue_callback
from chainrule.backend import xp
from chainrule.distributed.work import wait_for
from chainrule.distributed.group import mpi
from chainrule.tensor import Tensor

__all__ = ["Reducer"]


class _Bucket:
    """Parameters of one dtype sharing one flat buffer: each at its offset."""

    def __init__(self, params, dtype):
        self.params, self.offsets = params, []
        total = 0
        for p in params:
            self.offsets.append(total)
            total += p.array.size
        self.flat = xp.zeros(total, dtype=dtype)
        self.pending, self.request = len(params), None

    def view(self, slot):
        p, start = self.params[slot], self.offsets[slot]
        return self.flat[start:start + p.array.size].reshape(p.array.shape)


class Reducer:
    """Averages the gradients of `params` across the ranks of process group `pg` (see the module's
    docstring). names: each parameter's name, for errors; caps: the buckets' sizes in bytes, in
    order (the last for the rest). find_unused: parameters that get no
    gradient in a backward are averaged as zeros (or as the .grad they hold), not an error."""

    def __init__(self, params, names, pg, caps, find_unused):
        self.pg, self.names, self.find_unused = pg, names, find_unused
        self.MPI = mpi("DistributedDataParallel")
        self.buckets = _make_buckets(params, caps)
        self.where = {id(p): (b, slot) for b, bucket in enumerate(self.buckets)
                      for slot, p in enumerate(bucket.params)}
        self.expecting = False     # a forward asked for this backward's gradients to be averaged
        self.used = set()          # ids of parameters given a gradient since the last reduction
        self.marked, self.next_bucket, self.queued = set(), 0, False
        self.comm_seconds = 0.0    # time in copying, starting and waiting: what syncing costs

    def prepare(self):
        """A forward that wants its backward synchronised: start counting afresh."""
        for bucket in self.buckets:
            bucket.pending, bucket.request = len(bucket.params), None
        self.marked, self.next_bucket, self.queued, self.expecting = set(), 0, False, True

    def ready(self, param):
        """param's .grad is complete for this backward (its post-accumulate hook)."""
        self.used.add(id(param))
        if not self.expecting:
            return   # no_sync, or a backward that no synchronised forward asked for
        start = time.perf_counter()
        if not self.queued:
            queue_callback(self.finalize)
            self.queued = True
        if id(param) in self.marked:
            self.expecting = False
            raise RuntimeError(f"DistributedDataParallel: parameter {self.names[id(param)]} got "
                               "its gradient twice in one backward (a second backward through "
                               "the same forward?); run forward again before each backward")
        self.marked.add(id(param))
        b, slot = self.where[id(param)]
        self._fill(b, slot, param)
        self._start_ready_buckets()
        self.comm_seconds += time.perf_counter() - start

    def _fill(self, b, slot, param):
        bucket = self.buckets[b]
        if param.grad is None:
            bucket.view(slot)[...] = 0
        else:
            bucket.view(slot)[...] = param.grad.array
        bucket.pending -= 1

    def _start_ready_buckets(self):
        """Start each complete bucket whose predecessors have started; let MPI progress those
        started before (a nonblocking collective advances when MPI is called)."""
        MPI = self.MPI
        while self.next_bucket < len(self.buckets) and \
                self.buckets[self.next_bucket].pending == 0:
            bucket = self.buckets[self.next_bucket]
            xp.true_divide(bucket.flat, self.pg.size(), out=bucket.flat, casting="unsafe")
            bucket.request = self.pg.comm.Iallreduce(MPI.IN_PLACE, bucket.flat, MPI.SUM)
            self.next_bucket += 1
        started = [b.request for b in self.buckets[:self.next_bucket]]
        if started:
            MPI.Request.Testall(started)

    def finalize(self):
        """End of backward: the rest of the buckets, the waits, the averages into .grad."""
        start = time.perf_counter()
        self.expecting = False
        missing = [p for b in self.buckets for p in b.params if id(p) not in self.marked]
        if missing and not self.find_unused:
            names = ", ".join(self.names[id(p)] for p in missing[:5])
            raise RuntimeError(
                f"DistributedDataParallel: {len(missing)} parameter(s) got no gradient in this "
                f"backward ({names}{', ...' if len(missing) > 5 else ''}): they were not used "
                "to compute the loss. Pass find_unused_parameters=True to DistributedDataParallel "
                "(or make every parameter take part in the loss)")
        for p in missing:
            self._fill(*self.where[id(p)], p)
        self._start_ready_buckets()
        globally_used = self._globally_used() if self.find_unused else None
        for bucket in self.buckets:   # each with the group's timeout, as every collective's
            wait_for(bucket.request, self.pg.timeout, "DistributedDataParallel")
        for bucket in self.buckets:
            for slot, p in enumerate(bucket.params):
                if globally_used is None or globally_used[id(p)]:
                    _set_grad(p, bucket.view(slot))
        self.used = set()
        self.comm_seconds += time.perf_counter() - start

    def _globally_used(self):
        """{id(param): whether any rank gave it a gradient since the last reduction}: a parameter
        no rank used keeps its .grad (None stays None), as torch's."""
        params = [p for b in self.buckets for p in b.params]
        flags = xp.array([id(p) in self.used for p in params], dtype=xp.uint8)
        wait_for(self.pg.comm.Iallreduce(self.MPI.IN_PLACE, flags, self.MPI.MAX), self.pg.timeout,
                 "DistributedDataParallel")
        return {id(p): bool(flag) for p, flag in zip(params, flags)}


def _set_grad(p, average):
    if p.grad is None:
        p.grad = Tensor._make(average.copy())
    else:
        p.grad.array[...] = average
        p.grad._version[0] += 1


def _make_buckets(params, caps):
    """Buckets of one dtype each, filled in reverse parameter order up to their size in bytes
    (caps[i] for bucket i, the last for the rest: the first small, so that communication starts
    early, as torch's 1 MB first bucket)."""
    buckets, current, size = [], [], 0
    for p in reversed(params):
        nbytes, limit = p.array.nbytes, caps[min(len(buckets), len(caps) - 1)]
        if current and (size + nbytes > limit or p.array.dtype != current[0].array.dtype):
            buckets.append(_Bucket(current, current[0].array.dtype))
            current, size = [], 0
        current.append(p)
        size += nbytes
    if current:
        buckets.append(_Bucket(current, current[0].array.dtype))
    return buckets
