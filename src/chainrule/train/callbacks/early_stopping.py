"""EarlyStopping: end training when the monitored value has stopped improving (Bishop, PRML
§5.5.2: early stopping as a form of regularisation)."""
import math

from chainrule.train.callbacks.base import Callback


class EarlyStopping(Callback):
    """Stop training at the `patience`-th evaluation in a row that has not improved on the best
    value by more than min_delta (as Keras and Lightning count); then, at the end of fit, put
    back the weights of the best evaluation.

    Args:
        monitor: a key of the evaluation record: "val_loss" (default), "val_accuracy" ...
        mode: "min" (an improvement is smaller) or "max" (larger).
        patience: how many evaluations in a row without improvement stop training (0 acts as 1).
        min_delta: the least change that counts as an improvement.
        restore_best_weights: keep a copy of the best weights and load them into the model at
            on_fit_end (not after an error: the model then stays as the error left it).

    After fit: best, best_step, and stopped_step (None if it never stopped the run).
    """

    def __init__(self, monitor="val_loss", mode="min", patience=5, min_delta=0.0,
                 restore_best_weights=True):
        if mode not in ("min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an int >= 0, got {patience!r}")
        if min_delta < 0:
            raise ValueError(f"EarlyStopping: min_delta must be >= 0, got {min_delta!r}")
        self.monitor, self.mode, self.patience = monitor, mode, patience
        self.min_delta, self.restore_best_weights = min_delta, restore_best_weights
        self._reset()

    def _reset(self):
        self.best, self.best_step, self.wait, self.stopped_step = None, None, 0, None
        self.best_weights = None

    def on_fit_start(self, run):
        if run.step == 0:   # a resumed run keeps the state the checkpoint gave back
            self._reset()

    def on_evaluate(self, run, logs):
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping: monitor {self.monitor!r} is not in the evaluation "
                           f"record, which has {list(logs)}; pass fit a val_loader or monitor "
                           "another value")
        value = logs[self.monitor]
        if self._improves(value):
            self.best, self.best_step, self.wait = float(value), run.step, 0
            if self.restore_best_weights:
                self.best_weights = {name: tensor.detach().clone()
                                     for name, tensor in run.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            run.stop, self.stopped_step = True, run.step

    def _improves(self, value):
        if math.isnan(value):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_fit_end(self, run):
        if self.restore_best_weights and self.best_weights is not None and run.error is None:
            run.model.load_state_dict(self.best_weights)

    def state_dict(self):
        return {"best": self.best, "best_step": self.best_step, "wait": self.wait,
                "stopped_step": self.stopped_step, "best_weights": self.best_weights}

    def load_state_dict(self, state):
        self.best, self.best_step = state["best"], state["best_step"]
        self.wait, self.stopped_step = state["wait"], state["stopped_step"]
        self.best_weights = state["best_weights"]

    def __repr__(self):
        return (f"EarlyStopping(monitor={self.monitor!r}, mode={self.mode!r}, "
                f"patience={self.patience}, min_delta={self.min_delta})")
