"""Collectives on Tensors, as torch.distributed names them, each one MPI collective on the
tensors' arrays (in place, as torch's). Before it, every rank's arguments are checked and its
tensor's shape and dtype compared with the others' (arguments.agree), so a mistake on any rank
is refused on every rank by name instead of being reduced wrong or leaving a rank waiting.
async_op=True starts the nonblocking form and returns a Work whose wait() completes it."""
from chainrule.backend import xp
from chainrule.distributed.arguments import (
    ReduceOp, agree, array_of, check_list, check_root_list, check_sizes, contiguous, group_of,
    mpi_buffer, reduction, root_rank, store)
from chainrule.distributed.group import mpi
from chainrule.distributed.work import run, skipped

__all__ = ["all_gather", "all_gather_into_tensor", "all_reduce", "barrier", "broadcast", "gather",
           "reduce", "reduce_scatter", "reduce_scatter_tensor", "scatter"]


# ----- the collectives ---------------------------------------------------------------------------
# Each checks its arguments in a local() that agree() runs on every rank (see agree).
def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """tensor ← op over the ranks of their tensors (in place, on every rank)."""
    pg = group_of(group, "all_reduce")
    if pg is None:
        return skipped(async_op)

    def local():
        array = array_of(tensor, "all_reduce")
        return array, reduction(op, array.dtype, "all_reduce")
    mpi_op, average = agree(pg, "all_reduce", local)
    buffer = contiguous(tensor.array)
    request = pg.comm.Iallreduce(mpi("all_reduce").IN_PLACE, mpi_buffer(buffer), mpi_op)

    def finish():
        if average:
            xp.true_divide(buffer, pg.size(), out=buffer, casting="unsafe")
        store(tensor, buffer)
    return run(request, finish, async_op, pg, "all_reduce")


def reduce(tensor, dst=None, op=ReduceOp.SUM, group=None, async_op=False, group_dst=None):
    """The dst rank's tensor ← op over the ranks of their tensors; the others' stay as they are."""
    pg = group_of(group, "reduce")
    if pg is None:
        return skipped(async_op)

    def local():
        array = array_of(tensor, "reduce")
        return array, (root_rank(pg, dst, group_dst, "reduce", "dst"),
                       *reduction(op, array.dtype, "reduce"))
    root, mpi_op, average = agree(pg, "reduce", local)
    buffer = contiguous(tensor.array)
    mine = pg.rank() == root
    send = mpi("reduce").IN_PLACE if mine else mpi_buffer(buffer)
    request = pg.comm.Ireduce(send, mpi_buffer(buffer) if mine else None, mpi_op, root)

    def finish():
        if mine:
            if average:
                xp.true_divide(buffer, pg.size(), out=buffer, casting="unsafe")
            store(tensor, buffer)
    return run(request, finish, async_op, pg, "reduce")


def broadcast(tensor, src=None, group=None, async_op=False, group_src=None):
    """Every rank's tensor ← the src rank's."""
    pg = group_of(group, "broadcast")
    if pg is None:
        return skipped(async_op)
    root = agree(pg, "broadcast", lambda: (array_of(tensor, "broadcast"),
                                           root_rank(pg, src, group_src, "broadcast", "src")))
    buffer = contiguous(tensor.array)
    request = pg.comm.Ibcast(mpi_buffer(buffer), root)
    return run(request, lambda: store(tensor, buffer), async_op, pg, "broadcast")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[r] ← rank r's tensor, on every rank."""
    pg = group_of(group, "all_gather")
    if pg is None:
        return skipped(async_op)

    def local():
        array = array_of(tensor, "all_gather")
        check_list(tensor_list, array, pg.size(), "all_gather", "tensor_list")
        return array, array
    array = agree(pg, "all_gather", local)
    gathered = xp.empty((pg.size(),) + array.shape, dtype=array.dtype)
    request = pg.comm.Iallgather(mpi_buffer(contiguous(array)), mpi_buffer(gathered))

    def finish():
        for out, part in zip(tensor_list, gathered):
            store(out, part)
    return run(request, finish, async_op, pg, "all_gather")


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """output_tensor ← the ranks' input tensors, stacked or concatenated along dim 0 (output holds
    world_size times as many elements, as torch's)."""
    who = "all_gather_into_tensor"
    pg = group_of(group, who)
    if pg is None:
        return skipped(async_op)

    def local():
        array, out = array_of(input_tensor, who, "input_tensor"), array_of(output_tensor, who,
                                                                      "output_tensor")
        check_sizes(out, array, pg.size(), who, "output_tensor", "input_tensor")
        return array, array
    array = agree(pg, who, local, "input_tensor")
    gathered = contiguous(output_tensor.array)
    request = pg.comm.Iallgather(mpi_buffer(contiguous(array)), mpi_buffer(gathered))
    return run(request, lambda: store(output_tensor, gathered), async_op, pg, who)


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """output on rank r ← op over the ranks of their input_list[r]."""
    pg = group_of(group, "reduce_scatter")
    if pg is None:
        return skipped(async_op)

    def local():
        array = array_of(output, "reduce_scatter", "output")
        inputs = check_list(input_list, array, pg.size(), "reduce_scatter", "input_list")
        return array, (inputs, *reduction(op, array.dtype, "reduce_scatter"))
    inputs, mpi_op, average = agree(pg, "reduce_scatter", local, "output")
    return _reduce_scatter(output, xp.stack(inputs), mpi_op, average, pg, async_op,
                           "reduce_scatter")


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """output on rank r ← op over the ranks of the r-th of world_size equal parts of input
    (along dim 0)."""
    who = "reduce_scatter_tensor"
    pg = group_of(group, who)
    if pg is None:
        return skipped(async_op)

    def local():
        array, whole = array_of(output, who, "output"), array_of(input, who, "input")
        check_sizes(whole, array, pg.size(), who, "input", "output")
        return whole, reduction(op, array.dtype, who)
    mpi_op, average = agree(pg, who, local, "input")
    return _reduce_scatter(output, contiguous(input.array), mpi_op, average, pg, async_op,
                           who)


def _reduce_scatter(output, parts, mpi_op, average, pg, async_op, who):
    received = xp.empty(output.array.shape, dtype=output.array.dtype)
    request = pg.comm.Ireduce_scatter_block(mpi_buffer(parts), mpi_buffer(received), mpi_op)

    def finish():
        if average:
            xp.true_divide(received, pg.size(), out=received, casting="unsafe")
        store(output, received)
    return run(request, finish, async_op, pg, who)


def gather(tensor, gather_list=None, dst=None, group=None, async_op=False, group_dst=None):
    """On the dst rank, gather_list[r] ← rank r's tensor; the other ranks give no gather_list."""
    pg = group_of(group, "gather")
    if pg is None:
        return skipped(async_op)

    def local():
        array = array_of(tensor, "gather")
        root = root_rank(pg, dst, group_dst, "gather", "dst")
        check_root_list(pg, root, gather_list, array, "gather", "gather_list", "destination")
        return array, root
    root = agree(pg, "gather", local)
    array, mine = tensor.array, pg.rank() == root
    gathered = xp.empty((pg.size(),) + array.shape, dtype=array.dtype) if mine else None
    request = pg.comm.Igather(mpi_buffer(contiguous(array)),
                              mpi_buffer(gathered) if mine else None, root)

    def finish():
        for out, part in zip(gather_list if mine else (), gathered if mine else ()):
            store(out, part)
    return run(request, finish, async_op, pg, "gather")


def scatter(tensor, scatter_list=None, src=None, group=None, async_op=False, group_src=None):
    """tensor on rank r ← scatter_list[r] of the src rank; the other ranks give no scatter_list."""
    pg = group_of(group, "scatter")
    if pg is None:
        return skipped(async_op)

    def local():
        array = array_of(tensor, "scatter")
        root = root_rank(pg, src, group_src, "scatter", "src")
        check_root_list(pg, root, scatter_list, array, "scatter", "scatter_list", "source")
        return array, root
    root = agree(pg, "scatter", local)
    mine = pg.rank() == root
    parts = xp.stack([t.array for t in scatter_list]) if mine else None
    received = xp.empty(tensor.array.shape, dtype=tensor.array.dtype)
    request = pg.comm.Iscatter(mpi_buffer(parts) if mine else None, mpi_buffer(received), root)
    return run(request, lambda: store(tensor, received), async_op, pg, "scatter")


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every rank of the group has called barrier."""
    pg = group_of(group, "barrier")
    if pg is None:
        return skipped(async_op)
    return run(pg.comm.Ibarrier(), None, async_op, pg, "barrier")
