"""What fit and evaluate need of data parallelism: the process group of a DistributedDataParallel
model, and sums and means over its ranks."""
from chainrule.backend import float64, xp
from chainrule.distributed.arguments import ReduceOp
from chainrule.distributed.collectives import all_reduce
from chainrule.nn.parallel.distributed import DistributedDataParallel
from chainrule.tensor import Tensor

__all__ = ["mean_over_ranks", "process_group", "sum_over_ranks"]


def process_group(model):
    """The process group a DistributedDataParallel model averages over, if it has more than one
    rank; else None (a plain model, or a world of one): nothing to sum over."""
    if not isinstance(model, DistributedDataParallel):
        return None
    return model.process_group if model.process_group.size() > 1 else None


def sum_over_ranks(group, array):
    """The elementwise sum of array over the ranks of group (every rank calls it)."""
    summed = Tensor(array)
    all_reduce(summed, ReduceOp.SUM, group=group)
    return summed.array


def mean_over_ranks(model, value):
    """A float's mean over the ranks of a DistributedDataParallel model (value without one)."""
    group = process_group(model)
    if group is None:
        return value
    return float(sum_over_ranks(group, xp.array([value], dtype=float64))[0]) / group.size()
