"""What every collective does with its arguments before anything is sent: the tensors' arrays
as MPI buffers, the reduction an op names, the checks of lists, sizes and ranks, and agree(),
which has every rank compare its checks' outcome and its tensor's shape and dtype with the
others' (one small Allgather), so a mistake on any rank is raised on every rank."""
import enum

from chainrule.backend import xp
from chainrule.distributed.group import mpi, resolve
from chainrule.distributed.work import wait_for
from chainrule.tensor import Tensor

__all__ = ["ReduceOp", "agree", "array_of", "check_list", "check_root_list", "check_sizes",
           "contiguous", "group_of", "mpi_buffer", "reduction", "root_rank", "store"]


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


# ----- the tensors' arrays as MPI buffers --------------------------------------------------------
def array_of(tensor, who, name="tensor"):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{who}: {name} must be a Tensor, got {type(tensor).__name__}")
    return tensor.array


def contiguous(array):
    return array if array.flags.c_contiguous else xp.ascontiguousarray(array)


def mpi_buffer(array):
    """What MPI reads and writes: bool as bytes (MPI has no bool to reduce)."""
    return array.view(xp.uint8) if array.dtype == xp.bool_ else array


def store(tensor, values):
    """values into the tensor, in place (a no-op when they already are its memory)."""
    if values is not tensor.array:
        tensor.array[...] = values
    tensor._version[0] += 1


def reduction(op, dtype, who):
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


def check_list(tensors, array, size, who, name):
    """A list of `size` tensors each shaped and typed as array; their arrays."""
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(f"{who}: {name} must be a list of Tensors, got {type(tensors).__name__}")
    if len(tensors) != size:
        raise ValueError(f"{who}: {name} holds {len(tensors)} tensors; the group has {size} ranks")
    arrays = [array_of(t, who, f"{name}[{i}]") for i, t in enumerate(tensors)]
    for i, other in enumerate(arrays):
        if other.shape != array.shape or other.dtype != array.dtype:
            raise ValueError(f"{who}: {name}[{i}] is {other.dtype} {other.shape}, but the tensor "
                             f"is {array.dtype} {array.shape}; each must be the same")
    return arrays


def group_of(group, who):
    pg = resolve(group, who)
    if pg is not None and pg.comm is None:
        raise ValueError(f"{who}: the group has been destroyed")
    return pg


def check_root_list(pg, root, tensors, array, who, name, role):
    """The list is given on the root rank (checked) and only there."""
    if pg.rank() == root:
        check_list(tensors, array, pg.size(), who, name)
    elif tensors:
        raise ValueError(f"{who}: {name} must be given on the {role} rank only "
                         f"({pg.ranks[root]}), not on rank {pg.ranks[pg.rank()]}")


def root_rank(pg, rank, group_rank, who, name):
    """The group rank of the src/dst a collective names by global rank (or by group_src/dst)."""
    if rank is not None and group_rank is not None:
        raise ValueError(f"{who}: give {name} or group_{name}, not both")
    if group_rank is not None:
        if not 0 <= group_rank < pg.size():
            raise ValueError(f"{who}: group_{name}={group_rank} is not a rank of the group "
                             f"(0 .. {pg.size() - 1})")
        return group_rank
    return pg.group_rank(0 if rank is None else rank, who, name)


def check_sizes(big, small, size, who, big_name, small_name):
    if big.size != small.size * size or big.dtype != small.dtype:
        raise ValueError(f"{who}: {big_name} ({big.dtype} {big.shape}) must hold world_size "
                         f"({size}) times the elements of {small_name} ({small.dtype} "
                         f"{small.shape}), in the same dtype")
