"""torch.utils.data.distributed: DistributedSampler, chainrule.data.distributed's."""
from chainrule.data.distributed import DistributedSampler

__all__ = ["DistributedSampler"]
