"""chainrule.distributed: torch.distributed's API on MPI (mpi4py). Start the processes with
`chainrule run -n N script.py` (or mpirun/mpiexec), call init_process_group("mpi") (or "gloo":
the same here) in each, then use the collectives or wrap the model in
nn.parallel.DistributedDataParallel.

group.py holds the process groups (init, ranks, new_group); collectives.py the collectives on
Tensors, after arguments.py's checks, returning work.py's Work; point_to_point.py send and recv;
objects.py the collectives on Python objects; nn/ the differentiable ones; launch.py starts a
job (cli/rank.py runs each rank)."""
from chainrule.distributed.arguments import ReduceOp
from chainrule.distributed.collectives import (
    all_gather, all_gather_into_tensor, all_reduce, barrier, broadcast, gather, reduce,
    reduce_scatter, reduce_scatter_tensor, scatter)
from chainrule.distributed.group import (
    GroupMember, ProcessGroup, destroy_process_group, get_backend, get_rank, get_world_size,
    group, init_process_group, is_available, is_gloo_available, is_initialized,
    is_mpi_available, is_nccl_available, new_group)
from chainrule.distributed.objects import (
    all_gather_object, broadcast_object_list, gather_object, scatter_object_list)
from chainrule.distributed.point_to_point import irecv, isend, recv, send
from chainrule.distributed.work import Work

__all__ = ["GroupMember", "ProcessGroup", "ReduceOp", "Work", "all_gather",
           "all_gather_into_tensor", "all_gather_object", "all_reduce", "barrier", "broadcast",
           "broadcast_object_list", "destroy_process_group", "gather", "gather_object",
           "get_backend", "get_rank", "get_world_size", "group", "init_process_group", "irecv",
           "is_available", "is_gloo_available", "is_initialized", "is_mpi_available",
           "is_nccl_available", "isend", "new_group", "recv", "reduce", "reduce_scatter",
           "reduce_scatter_tensor", "scatter", "scatter_object_list", "send"]
