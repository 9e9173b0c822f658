"""The collectives' refusals, for collectives.py: each case is called on every rank (where the
mistake is one rank's own, the others call correctly), and what it raised is collected as
[error type, message] (["no error", ""] if it raised nothing)."""
import numpy as np

import chainrule
import chainrule.distributed as dist
from chainrule.distributed import ReduceOp


def caught(call):
    try:
        call()
    except Exception as error:   # noqa: BLE001 - the refusal is the result
        return [type(error).__name__, str(error)]
    return ["no error", ""]


def zeros(shape, dtype="float32"):
    return chainrule.tensor(np.zeros(shape, dtype=dtype))


def cases(rank, world):
    """{case: what each rank calls}; the tensors differ across ranks only where the case says
    so."""
    return {
        "all_reduce of shapes that differ": lambda: dist.all_reduce(zeros(rank + 1)),
        "all_reduce of dtypes that differ": lambda: dist.all_reduce(
            zeros(2, "float64" if rank == 0 else "float32")),
        "broadcast of shapes that differ": lambda: dist.broadcast(
            zeros((2, 3) if rank % 2 == 0 else (3, 2))),
        "all_reduce AVG of an int tensor": lambda: dist.all_reduce(
            zeros(2, "int64"), op=ReduceOp.AVG),
        "all_reduce MAX of a complex tensor": lambda: dist.all_reduce(
            zeros(2, "complex64"), op=ReduceOp.MAX),
        "all_gather with a tensor_list too short": lambda: dist.all_gather([zeros(2)], zeros(2)),
        "all_gather_into_tensor with an output too small": lambda: dist.all_gather_into_tensor(
            zeros((2, 3)), zeros((2, 3))),
        "broadcast from a src out of range": lambda: dist.broadcast(zeros(2), src=world),
        "reduce to a negative dst": lambda: dist.reduce(zeros(2), dst=-1),
        "all_reduce of a list": lambda: dist.all_reduce([1.0, 2.0]),
        "all_reduce of a NumPy array": lambda: dist.all_reduce(np.zeros(2)),
    }


def own_cases(rank, world):
    """Mistakes of one rank's own: the ranks other than 0 give a list only the root (rank 0)
    may give; rank 0 calls correctly and must be told too, not left waiting."""
    def listed():
        return [zeros(2) for _ in range(world)]
    return {
        "gather_list given on a rank other than dst": lambda: dist.gather(
            zeros(2), listed(), dst=0),
        "scatter_list given on a rank other than src": lambda: dist.scatter(
            zeros(2), listed(), src=0),
    }


def collected(rank, world):
    found = {name: caught(call) for name, call in cases(rank, world).items()}
    found.update({name: caught(call) for name, call in own_cases(rank, world).items()})
    return found
