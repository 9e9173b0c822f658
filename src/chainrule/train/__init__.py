"""Training: checkpoint I/O (the fit loop, callbacks and metrics come later)."""
from chainrule.train.checkpoint import load, save

__all__ = ["load", "save"]
