"""ProgressBar: a tqdm bar over the optimizer steps of a fit, showing the latest loss and the
latest validation metrics."""
import numbers

from chainrule.train.callbacks.base import Callback


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _format(value):
    """Four significant digits keep the postfix short and steady in width."""
    return f"{value:.4g}" if _is_number(value) else str(value)


class ProgressBar(Callback):
    """A tqdm progress bar that advances once per optimizer step.

    Its total is run.max_steps when the run trains for a number of steps, else
    len(run.train_loader) × run.epochs when the run knows both, else unknown (the bar then
    counts without a percentage). The bar appears at the first step, starting from the step
    before it, so a resumed run's bar starts where the run resumed whether this callback comes
    before or after the one that resumes (ModelCheckpoint). The postfix holds the latest step
    loss and the latest val_* values of the last evaluation.

    The bar is silent when file is not a terminal (a log file, a CI job, a notebook's captured
    stream): tqdm would otherwise write a carriage-return update per refresh into it. That is
    tqdm's disable=None; disable=False forces the bar on (tests), disable=True turns it off.

    Args:
        file: the stream to draw on; None means sys.stderr, as tqdm does.
        leave: keep the finished bar on screen.
        disable: None (draw only on a terminal), False (always) or True (never).
    """
    rank_zero_only = True   # in data-parallel training, only rank 0 draws

    def __init__(self, file=None, leave=True, disable=None):
        self.file = file
        self.leave = leave
        self.disable = disable
        self.bar = None
        self.postfix = {}
        self._started = False

    def on_fit_start(self, run):
        self.on_fit_end(run)   # a bar left from an earlier fit
        self.postfix = {}
        self._started = True

    def on_step_end(self, run, logs):
        if self.bar is None:
            self._open(run, initial=run.step - 1)   # the step just completed is the run's first
        if "loss" in logs:
            self.postfix["loss"] = _format(logs["loss"])
            self.bar.set_postfix(self.postfix, refresh=False)   # drawn by update's rate limit
        if run.step > self.bar.n:
            self.bar.update(run.step - self.bar.n)

    def on_evaluate(self, run, logs):
        if self.bar is None:
            self._open(run, initial=run.step)
        for name, value in logs.items():
            if name.startswith("val_") and _is_number(value):   # not a confusion matrix
                self.postfix[name] = _format(value)
        self.bar.set_postfix(self.postfix)

    def on_fit_end(self, run):
        self._started = False
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def _open(self, run, initial):
        if not self._started:
            raise RuntimeError("ProgressBar: a hook was called before on_fit_start")
        from tqdm import tqdm   # imported only by those who draw a bar
        self.bar = tqdm(total=_total_steps(run), initial=initial, file=self.file,
                        leave=self.leave, disable=self.disable, unit="step", dynamic_ncols=True)


def _total_steps(run):
    """The number of optimizer steps the fit will make in all, or None when it cannot be known
    (epochs over a loader without a length)."""
    if getattr(run, "max_steps", None) is not None:
        return run.max_steps
    epochs = getattr(run, "epochs", None)
    if epochs is None:
        return None
    try:
        return len(run.train_loader) * epochs
    except TypeError:   # an iterable loader has no len()
        return None
