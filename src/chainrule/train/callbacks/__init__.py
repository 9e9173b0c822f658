"""The training loop's extension point: Callback and the callbacks chainrule ships."""
from chainrule.train.callbacks.base import Callback
from chainrule.train.callbacks.checkpointing import ModelCheckpoint
from chainrule.train.callbacks.early_stopping import EarlyStopping
from chainrule.train.callbacks.logging import CSVLogger, TensorBoardLogger
from chainrule.train.callbacks.progress import ProgressBar

__all__ = ["CSVLogger", "Callback", "EarlyStopping", "ModelCheckpoint", "ProgressBar",
           "TensorBoardLogger"]
