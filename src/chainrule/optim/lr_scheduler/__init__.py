"""Learning-rate schedulers, as torch.optim.lr_scheduler: each sets its optimiser's group["lr"]
at every step(), with torch's values step by step."""
from chainrule.optim.lr_scheduler.base import LRScheduler
from chainrule.optim.lr_scheduler.decay import (CosineAnnealingLR, ExponentialLR, LambdaLR,
                                                LinearLR, MultiplicativeLR, MultiStepLR, StepLR)
from chainrule.optim.lr_scheduler.one_cycle import OneCycleLR
from chainrule.optim.lr_scheduler.plateau import ReduceLROnPlateau
from chainrule.optim.lr_scheduler.sequential import SequentialLR

__all__ = ["CosineAnnealingLR", "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR",
           "MultiplicativeLR", "MultiStepLR",
           "OneCycleLR", "ReduceLROnPlateau", "SequentialLR", "StepLR"]
