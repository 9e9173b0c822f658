"""Collectives on Tensors, as torch.distributed names them, each one MPI collective on the
tensors' arrays (in place, as torch's). Before it, every rank's shape and dtype are compared
(one small Allgather), so tensors that differ across ranks are refused on every rank by name
instead of being reduced wrong or leaving a rank waiting. async_op=True starts the nonblocking
form and returns a Work whose wait() completes it."""
import enum
import time

from chainrule.backend import xp
from chainrule.distributed.group import mpi, resolve
from chainrule.tensor import Tensor

__all__ = ["ReduceOp", "Work", "all_gather", "all_gather_into_tensor", "all_reduce", "barrier",
           "broadcast", "gather", "irecv", "isend", "recv", "reduce", "reduce_scatter",
           "reduce_scatter_tensor", "scatter", "send"]


class ReduceOp(enum.Enum):
    """How all_reduce, reduce and reduce_scatter combine the ranks' values."""
    SUM = "SUM"
    AVG = "AVG"
    PRODUCT = "PRODUCT"
    MIN = "MIN"
    MAX = "MAX"
    BAND = "BAND"
    BOR = "BOR"
    BXOR = "BXOR"
    PREMUL_SUM = "PREMUL_SUM"


class Work:
    """A collective started with async_op=True: wait() blocks until it is done (and its results
    are in the tensors); is_completed() asks without blocking."""

    def __init__(self, request, finish=None, pg=None, who="collective"):
        self._request, self._finish, self._done = request, finish, False
        self._pg, self._who = pg, who

    def wait(self, timeout=None):
        """Wait (at most timeout, a timedelta, else the group's) for the collective to end."""
        if not self._done:
            limit = timeout.total_seconds() if timeout is not None else \
                self._pg.timeout if self._pg is not None else None
            wait_for(self._request, limit, self._who)
            self._complete()
        return True

    def is_completed(self):
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def is_success(self):
        return self.is_completed()

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()


def wait_for(request, seconds, who, status=None):
    """request.Wait(), but raising after `seconds` (None: no limit). MPI's own Wait also polls
    (it spins until the message is there), so polling here costs no more."""
    if seconds is None or request.Test(status):
        if seconds is None:
            request.Wait(status)
        return
    deadline, polls = time.monotonic() + seconds, 0
    while not request.Test(status):
        polls += 1
        if polls % 1024 == 0:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{who}: timed out after {seconds:g} s waiting for the other ranks: one of "
                    "them failed, ended, or called another collective (set the limit with "
                    "init_process_group(timeout=...))")
            time.sleep(0.0002)   # past the first polls, leave the core to the ranks it waits for


def _run(request, finish, async_op, pg, who):
    work = Work(request, finish, pg, who)
    if async_op:
        return work
    work.wait()
    return None


# ----- the tensors' arrays as MPI buffers --------------------------------------------------------
def _array(tensor, who, name="tensor"):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{who}: {name} must be a Tensor, got {type(tensor).__name__}")
    return tensor.array


def _contiguous(array):
    return array if array.flags.c_contiguous else xp.ascontiguousarray(array)


def _buffer(array):
    """What MPI reads and writes: bool as bytes (MPI has no bool to reduce)."""
    return array.view(xp.uint8) if array.dtype == xp.bool_ else array


def _store(tensor, values):
    """values into the tensor, in place (a no-op when they already are its memory)."""
    if values is not tensor.array:
        tensor.array[...] = values
    tensor._version[0] += 1


def _mpi_op(op, dtype, who):
    """(the MPI reduction for op on dtype, whether the sum is then divided by the group size)."""
    MPI = mpi(who)
    if not isinstance(op, ReduceOp):
        raise TypeError(f"{who}: op must be a ReduceOp (SUM, AVG, PRODUCT, MIN, MAX, BAND, BOR, "
                        f"BXOR), got {op!r}")
    kind = xp.dtype(dtype).kind
    if op is ReduceOp.PREMUL_SUM:
        raise ValueError(f"{who}: ReduceOp.PREMUL_SUM is not supported; multiply the tensor "
                         "first, then reduce with SUM")
    if op is ReduceOp.AVG and kind not in "fc":
        raise TypeError(f"{who}: ReduceOp.AVG needs a floating-point tensor, got {dtype}")
    if op in (ReduceOp.MIN, ReduceOp.MAX) and kind == "c":
        raise TypeError(f"{who}: ReduceOp.{op.name} is not defined for complex tensors ({dtype})")
    if op in (ReduceOp.BAND, ReduceOp.BOR, ReduceOp.BXOR) and kind not in "iub":
        raise TypeError(f"{who}: ReduceOp.{op.name} needs an integer or bool tensor, got {dtype}")
    if kind == "b":   # bool: SUM is any (logical or) and PRODUCT is all, as torch's
        op = {ReduceOp.SUM: ReduceOp.MAX, ReduceOp.PRODUCT: ReduceOp.MIN}.get(op, op)
    table = {ReduceOp.SUM: MPI.SUM, ReduceOp.AVG: MPI.SUM, ReduceOp.PRODUCT: MPI.PROD,
             ReduceOp.MIN: MPI.MIN, ReduceOp.MAX: MPI.MAX, ReduceOp.BAND: MPI.BAND,
             ReduceOp.BOR: MPI.BOR, ReduceOp.BXOR: MPI.BXOR}
    return table[op], op is ReduceOp.AVG


# ----- every rank agrees before anything is sent ----------------------------------------------
_MAX_DIMS = 16
_ROW = _MAX_DIMS + 3   # refused here?, dtype, ndim, shape ...


def agree(pg, who, local, what="tensor"):
    """Run this rank's own checks, local() -> (the array to compare across ranks, what the
    collective needs), then compare every rank's outcome and array (one small Allgather): a
    refusal on any rank, or an array whose shape or dtype differs, is raised on every rank alike,
    so that no rank is left waiting in a collective the others never start."""
    array, result, error = None, None, None
    try:
        array, result = local()
        if array.ndim > _MAX_DIMS:
            raise ValueError(f"{who}: a {what} of {array.ndim} dimensions; at most {_MAX_DIMS}")
    except (TypeError, ValueError) as refusal:
        error = refusal
    row = xp.full(_ROW, -1, dtype=xp.int64)
    row[0] = error is not None
    if error is None:
        row[1], row[2], row[3:3 + array.ndim] = array.dtype.num, array.ndim, array.shape
    rows = xp.empty((pg.size(), _ROW), dtype=xp.int64)
    wait_for(pg.comm.Iallgather(row, rows), pg.timeout, who)
    if error is not None:
        raise error
    refused = [pg.ranks[i] for i in range(pg.size()) if rows[i, 0]]
    if refused:
        raise ValueError(f"{who}: refused on rank {', '.join(map(str, refused))} (its error says "
                         "why); no rank took part")
    if not (rows == rows[0]).all():
        described = ", ".join(
            f"rank {pg.ranks[i]} has {_described(r)}" for i, r in enumerate(rows.tolist()))
        raise ValueError(f"{who}: the {what} must have the same shape and dtype on every rank: "
                         f"{described}")
    return result


def _described(row):
    dtype = next((d for d in xp.sctypeDict.values() if xp.dtype(d).num == row[1]), None)
    name = xp.dtype(dtype).name if dtype is not None else f"dtype #{row[1]}"
    return f"{name} {tuple(row[3:3 + row[2]])}"


def _check_list(tensors, array, size, who, name):
    """A list of `size` tensors each shaped and typed as array; their arrays."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{who}: {name} must be a list of Tensors, got {type(tensors).__name__}")
    if len(tensors) != size:
        raise ValueError(f"{who}: {name} holds {len(tensors)} tensors; the group has {size} ranks")
    arrays = [_array(t, who, f"{name}[{i}]") for i, t in enumerate(tensors)]
    for i, other in enumerate(arrays):
        if other.shape != array.shape or other.dtype != array.dtype:
            raise ValueError(f"{who}: {name}[{i}] is {other.dtype} {other.shape}, but the tensor "
                             f"is {array.dtype} {array.shape}; each must be the same")
    return arrays


def _group(group, who):
    pg = resolve(group, who)
    if pg is not None and pg.comm is None:
        raise ValueError(f"{who}: the group has been destroyed")
    return pg


def _skipped(async_op):
    """What a collective returns on a rank outside its group: nothing happens there (torch)."""
    return Work(_Done()) if async_op else None


class _Done:
    def Wait(self):
        pass

    def Test(self):
        return True


# ----- the collectives ---------------------------------------------------------------------------
# Each checks its arguments in a local() that agree() runs on every rank (see agree).
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """tensor ← op over the ranks of their tensors (in place, on every rank)."""
    pg = _group(group, "all_reduce")
    if pg is None:
        return _skipped(async_op)

    def local():
        array = _array(tensor, "all_reduce")
        return array, _mpi_op(op, array.dtype, "all_reduce")
    mpi_op, average = agree(pg, "all_reduce", local)
    buffer = _contiguous(tensor.array)
    request = pg.comm.Iallreduce(mpi("all_reduce").IN_PLACE, _buffer(buffer), mpi_op)

    def finish():
        if average:
            xp.true_divide(buffer, pg.size(), out=buffer, casting="unsafe")
        _store(tensor, buffer)
    return _run(request, finish, async_op, pg, "all_reduce")


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """The dst rank's tensor ← op over the ranks of their tensors; the others' stay as they are."""
    pg = _group(group, "reduce")
    if pg is None:
        return _skipped(async_op)

    def local():
        array = _array(tensor, "reduce")
        return array, (_root(pg, dst, group_dst, "reduce", "dst"),
                       *_mpi_op(op, array.dtype, "reduce"))
    root, mpi_op, average = agree(pg, "reduce", local)
    buffer = _contiguous(tensor.array)
    mine = pg.rank() == root
    send = mpi("reduce").IN_PLACE if mine else _buffer(buffer)
    request = pg.comm.Ireduce(send, _buffer(buffer) if mine else None, mpi_op, root)

    def finish():
        if mine:
            if average:
                xp.true_divide(buffer, pg.size(), out=buffer, casting="unsafe")
            _store(tensor, buffer)
    return _run(request, finish, async_op, pg, "reduce")


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Every rank's tensor ← the src rank's."""
    pg = _group(group, "broadcast")
    if pg is None:
        return _skipped(async_op)
    root = agree(pg, "broadcast", lambda: (_array(tensor, "broadcast"),
                                           _root(pg, src, group_src, "broadcast", "src")))
    buffer = _contiguous(tensor.array)
    request = pg.comm.Ibcast(_buffer(buffer), root)
    return _run(request, lambda: _store(tensor, buffer), async_op, pg, "broadcast")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[r] ← rank r's tensor, on every rank."""
    pg = _group(group, "all_gather")
    if pg is None:
        return _skipped(async_op)

    def local():
        array = _array(tensor, "all_gather")
        _check_list(tensor_list, array, pg.size(), "all_gather", "tensor_list")
        return array, array
    array = agree(pg, "all_gather", local)
    gathered = xp.empty((pg.size(),) + array.shape, dtype=array.dtype)
    request = pg.comm.Iallgather(_buffer(_contiguous(array)), _buffer(gathered))

    def finish():
        for out, part in zip(tensor_list, gathered):
            _store(out, part)
    return _run(request, finish, async_op, pg, "all_gather")


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """output_tensor ← the ranks' input tensors, stacked or concatenated along dim 0 (output holds
    world_size times as many elements, as torch's)."""
    who = "all_gather_into_tensor"
    pg = _group(group, who)
    if pg is None:
        return _skipped(async_op)

    def local():
        array, out = _array(input_tensor, who, "input_tensor"), _array(output_tensor, who,
                                                                      "output_tensor")
        _check_sizes(out, array, pg.size(), who, "output_tensor", "input_tensor")
        return array, array
    array = agree(pg, who, local, "input_tensor")
    gathered = _contiguous(output_tensor.array)
    request = pg.comm.Iallgather(_buffer(_contiguous(array)), _buffer(gathered))
    return _run(request, lambda: _store(output_tensor, gathered), async_op, pg, who)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """output on rank r ← op over the ranks of their input_list[r]."""
    pg = _group(group, "reduce_scatter")
    if pg is None:
        return _skipped(async_op)

    def local():
        array = _array(output, "reduce_scatter", "output")
        inputs = _check_list(input_list, array, pg.size(), "reduce_scatter", "input_list")
        return array, (inputs, *_mpi_op(op, array.dtype, "reduce_scatter"))
    inputs, mpi_op, average = agree(pg, "reduce_scatter", local, "output")
    return _reduce_scatter(output, xp.stack(inputs), mpi_op, average, pg, async_op,
                           "reduce_scatter")


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """output on rank r ← op over the ranks of the r-th of world_size equal parts of input
    (along dim 0)."""
    who = "reduce_scatter_tensor"
    pg = _group(group, who)
    if pg is None:
        return _skipped(async_op)

    def local():
        array, whole = _array(output, who, "output"), _array(input, who, "input")
        _check_sizes(whole, array, pg.size(), who, "input", "output")
        return whole, _mpi_op(op, array.dtype, who)
    mpi_op, average = agree(pg, who, local, "input")
    return _reduce_scatter(output, _contiguous(input.array), mpi_op, average, pg, async_op,
                           who)


def _reduce_scatter(output, parts, mpi_op, average, pg, async_op, who):
    received = xp.empty(output.array.shape, dtype=output.array.dtype)
    request = pg.comm.Ireduce_scatter_block(_buffer(parts), _buffer(received), mpi_op)

    def finish():
        if average:
            xp.true_divide(received, pg.size(), out=received, casting="unsafe")
        _store(output, received)
    return _run(request, finish, async_op, pg, who)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """On the dst rank, gather_list[r] ← rank r's tensor; the other ranks give no gather_list."""
    pg = _group(group, "gather")
    if pg is None:
        return _skipped(async_op)

    def local():
        array = _array(tensor, "gather")
        root = _root(pg, dst, group_dst, "gather", "dst")
        _check_root_list(pg, root, gather_list, array, "gather", "gather_list", "destination")
        return array, root
    root = agree(pg, "gather", local)
    array, mine = tensor.array, pg.rank() == root
    gathered = xp.empty((pg.size(),) + array.shape, dtype=array.dtype) if mine else None
    request = pg.comm.Igather(_buffer(_contiguous(array)),
                              _buffer(gathered) if mine else None, root)

    def finish():
        for out, part in zip(gather_list if mine else (), gathered if mine else ()):
            _store(out, part)
    return _run(request, finish, async_op, pg, "gather")


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """tensor on rank r ← scatter_list[r] of the src rank; the other ranks give no scatter_list."""
    pg = _group(group, "scatter")
    if pg is None:
        return _skipped(async_op)

    def local():
        array = _array(tensor, "scatter")
        root = _root(pg, src, group_src, "scatter", "src")
        _check_root_list(pg, root, scatter_list, array, "scatter", "scatter_list", "source")
        return array, root
    root = agree(pg, "scatter", local)
    mine = pg.rank() == root
    parts = xp.stack([t.array for t in scatter_list]) if mine else None
    received = xp.empty(tensor.array.shape, dtype=tensor.array.dtype)
    request = pg.comm.Iscatter(_buffer(parts) if mine else None, _buffer(received), root)
    return _run(request, lambda: _store(tensor, received), async_op, pg, "scatter")


def _check_root_list(pg, root, tensors, array, who, name, role):
    """The list is given on the root rank (checked) and only there."""
    if pg.rank() == root:
        _check_list(tensors, array, pg.size(), who, name)
    elif tensors:
        raise ValueError(f"{who}: {name} must be given on the {role} rank only "
                         f"({pg.ranks[root]}), not on rank {pg.ranks[pg.rank()]}")


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of the group has called barrier."""
    pg = _group(group, "barrier")
    if pg is None:
        return _skipped(async_op)
    return _run(pg.comm.Ibarrier(), None, async_op, pg, "barrier")


# ----- point to point ----------------------------------------------------------------------------
def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send tensor to the dst rank (blocks until it may be reused)."""
    isend(tensor, dst, group, tag, group_dst).wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """tensor ← what the src rank sends (any rank if src is None); returns the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    work.wait()
    return work.source_rank()


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    array = _array(tensor, "isend")
    pg = _group(group, "isend")
    if pg is None:
        return _skipped(True)
    peer = _root(pg, dst, group_dst, "isend", "dst")
    return Work(pg.comm.Isend(_buffer(_contiguous(array)), peer, tag), None, pg, "isend")


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    array = _array(tensor, "irecv")
    pg = _group(group, "irecv")
    if pg is None:
        return _skipped(True)
    MPI = mpi("irecv")
    anyone = src is None and group_src is None
    peer = MPI.ANY_SOURCE if anyone else _root(pg, src, group_src, "irecv", "src")
    buffer, status = xp.empty(array.shape, dtype=array.dtype), MPI.Status()
    request = pg.comm.Irecv(_buffer(buffer), peer, tag)
    return _Received(request, lambda: _store(tensor, buffer), status, pg)


class _Received(Work):
    """A receive's Work, which also knows who sent."""

    def __init__(self, request, finish, status, pg):
        super().__init__(request, finish, pg, "recv")
        self._status = status

    def wait(self, timeout=None):
        if not self._done:
            limit = timeout.total_seconds() if timeout is not None else self._pg.timeout
            wait_for(self._request, limit, self._who, self._status)
            self._complete()
        return True

    def source_rank(self):
        return self._pg.ranks[self._status.Get_source()]


def _root(pg, rank, group_rank, who, name):
    """The group rank of the src/dst a collective names by global rank (or by group_src/dst)."""
    if rank is not None and group_rank is not None:
        raise ValueError(f"{who}: give {name} or group_{name}, not both")
    if group_rank is not None:
        if not 0 <= group_rank < pg.size():
            raise ValueError(f"{who}: group_{name}={group_rank} is not a rank of the group "
                             f"(0 .. {pg.size() - 1})")
        return group_rank
    return pg.group_rank(0 if rank is None else rank, who, name)


def _check_sizes(big, small, size, who, big_name, small_name):
    if big.size != small.size * size or big.dtype != small.dtype:
        raise ValueError(f"{who}: {big_name} ({big.dtype} {big.shape}) must hold world_size "
                         f"({size}) times the elements of {small_name} ({small.dtype} "
                         f"{small.shape}), in the same dtype")
