"""chainrule.nn.parallel: DataParallel runs its module as is (torch does the same with no GPU);
DistributedDataParallel waits for chainrule.distributed (the data-parallel issue)."""
from chainrule.nn.parallel.data_parallel import DataParallel, DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
