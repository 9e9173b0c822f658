"""torch.distributed.nn.functional: collectives as differentiable ops, returning new tensors.
What SyncBatchNorm's statistics are summed with, so that its backward reaches every rank."""
from chainrule.autograd.function import Function
from chainrule.distributed.arguments import ReduceOp
from chainrule.distributed.collectives import all_reduce as all_reduce_
from chainrule.distributed.group import resolve
from chainrule.tensor import Tensor

__all__ = ["all_reduce"]


class AllReduceSum(Function):
    """y = sum over the ranks of x;  dx = sum over the ranks of dy (every rank's y depends on
    every rank's x, so each rank's gradient gathers what all ranks' outputs sent back)."""
    save_inputs = False

    def forward(self, x, group=None):
        self.group = group
        return _summed(x, group)

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        if recording:   # a gradient that is differentiated again: the same op, recorded
            return AllReduceSum.apply(grad, group=self.group)
        return _summed(grad, self.group)


def _summed(array, group):
    """A new array: array summed over the ranks of group."""
    total = Tensor._make(array.copy())
    all_reduce_(total, ReduceOp.SUM, group=group)
    return total.array


def all_reduce(tensor, op=ReduceOp.SUM, group=None):
    """A new tensor: op (SUM or AVG) over the ranks of tensor, differentiable (every rank must
    run the backward too, as every rank ran the forward)."""
    if op not in (ReduceOp.SUM, ReduceOp.AVG):
        raise ValueError(f"distributed.nn.functional.all_reduce: only ReduceOp.SUM and AVG are "
                         f"differentiable here, got {op}")
    total = AllReduceSum.apply(tensor, group=group)
    if op is ReduceOp.AVG:
        total = total / resolve(group, "all_reduce").size()
    return total
