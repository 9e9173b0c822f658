"""A parameter that rank 1 leaves out of its loss, without find_unused_parameters: rank 1's
backward raises, naming it, and the job ends (rank 0, waiting for that parameter's bucket in
its all-reduce, is ended with it) instead of hanging."""
import chainrule as cr
import chainrule.distributed as dist
from chainrule.nn.parallel import DistributedDataParallel


class Branches(cr.nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk, self.branch = cr.nn.Linear(3, 3), cr.nn.Linear(3, 3)

    def forward(self, x, use_branch):
        h = self.trunk(x)
        return (h + self.branch(h) if use_branch else h).sum()


dist.init_process_group("mpi")
ddp = DistributedDataParallel(Branches())
ddp(cr.randn(2, 3), use_branch=dist.get_rank() != 1).backward()
print("backward returned on rank", dist.get_rank(), flush=True)
dist.barrier()
print("the job went on", flush=True)
