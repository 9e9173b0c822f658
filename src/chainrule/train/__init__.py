"""Training: checkpoint I/O and model selection (the fit loop, callbacks and metrics come later)."""
from chainrule.train.checkpoint import load, save
from chainrule.train.select import (
    HoldOut, KFold, LeaveOneOut, Selection, Trial, grid, random_search, select)

__all__ = ["HoldOut", "KFold", "LeaveOneOut", "Selection", "Trial", "grid", "load",
           "random_search", "save", "select"]
