"""Training: the fit loop, metrics, callbacks (early stopping, checkpoints, logging), model
selection, and checkpoint I/O."""
from chainrule.train import callbacks, metrics
from chainrule.train.callbacks import (
    Callback, CSVLogger, EarlyStopping, ModelCheckpoint, ProgressBar, TensorBoardLogger)
from chainrule.train.checkpoint import load, save
from chainrule.train.history import History
from chainrule.train.loop import Run, evaluate, fit
from chainrule.train.metrics import accuracy, confusion_matrix, top_k_accuracy
from chainrule.train.select import (
    HoldOut, KFold, LeaveOneOut, Selection, Trial, grid, random_search, select)

__all__ = ["CSVLogger", "Callback", "EarlyStopping", "History", "HoldOut", "KFold",
           "LeaveOneOut", "ModelCheckpoint", "ProgressBar", "Run", "Selection",
           "TensorBoardLogger", "Trial", "accuracy", "callbacks", "confusion_matrix", "evaluate",
           "fit", "grid", "load", "metrics", "random_search", "save", "select", "top_k_accuracy"]
