"""Learning-rate schedulers, as torch.optim.lr_scheduler: each sets its optimizer's group["lr"]
at every step(), with torch's values step by step."""
from chainrule.optim.lr_scheduler.base import LRScheduler, _LRScheduler
from chainrule.optim.lr_scheduler.cyclic import CyclicLR
from chainrule.optim.lr_scheduler.decay import (CosineAnnealingLR, ExponentialLR, LambdaLR,
                                                LinearLR, MultiplicativeLR, MultiStepLR, StepLR)
from chainrule.optim.lr_scheduler.one_cycle import OneCycleLR
from chainrule.optim.lr_scheduler.plateau import ReduceLROnPlateau
from chainrule.optim.lr_scheduler.polynomial import ConstantLR, PolynomialLR
from chainrule.optim.lr_scheduler.sequential import ChainedScheduler, SequentialLR
from chainrule.optim.lr_scheduler.warm_restarts import CosineAnnealingWarmRestarts

__all__ = ["ChainedScheduler", "ConstantLR", "CosineAnnealingLR", "CosineAnnealingWarmRestarts",
           "CyclicLR", "ExponentialLR", "LRScheduler", "LambdaLR", "LinearLR",
           "MultiplicativeLR", "MultiStepLR", "OneCycleLR", "PolynomialLR", "ReduceLROnPlateau",
           "SequentialLR", "StepLR"]
