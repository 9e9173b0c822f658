"""Callback, the extension point of the training loop (train/loop.py): the loop calls each hook on
every callback in order, with the Run; it has no special case for any callback."""


class Callback:
    """Override the hooks you need; each receives the Run (see train/loop.py), whose fields the
    callback may read, and a few of which it may set: run.stop = True ends training after the
    current step.

    Hooks, in the order the loop calls them:
        on_fit_start(run)          before the first step (a resumed run has run.step > 0)
        on_step_end(run, logs)     after each optimizer step; logs = {"loss": float, "lr": float}
        on_evaluate(run, logs)     after each evaluation; logs is the record just appended to
                                   run.history: {"step", "epoch", "train_loss", "val_loss",
                                   "val_<metric>" ...}
        on_epoch_end(run)          after each full pass over the training loader
        on_fit_end(run)            once, after the last step (also after a stop or an error:
                                   run.error then holds the exception, else None)

    rank_zero_only: True for a callback that only writes or prints (a logger, a progress bar):
    in data-parallel training (see fit) it then runs on rank 0 alone. A callback that changes
    the run (EarlyStopping's stop) must run on every rank, and keeps the default False.
    """
    rank_zero_only = False

    def on_fit_start(self, run):
        pass

    def on_step_end(self, run, logs):
        pass

    def on_evaluate(self, run, logs):
        pass

    def on_epoch_end(self, run):
        pass

    def on_fit_end(self, run):
        pass

    def state_dict(self):
        """What a checkpoint must keep for an exact resume (EarlyStopping's best value and wait,
        say): a dict of numbers, strings and lists. Default: nothing."""
        return {}

    def load_state_dict(self, state):
        pass
