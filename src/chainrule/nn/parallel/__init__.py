"""chainrule.nn.parallel: DataParallel runs its module as is (torch does the same with no GPU);
DistributedDataParallel trains one replica per process of a chainrule.distributed group."""
from chainrule.nn.parallel.data_parallel import DataParallel
from chainrule.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
