"""torch.distributed.nn: collectives that autograd differentiates through (functional)."""
from chainrule.distributed.nn import functional

__all__ = ["functional"]
