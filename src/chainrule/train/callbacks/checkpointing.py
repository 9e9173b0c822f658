"""ModelCheckpoint: save everything a run needs to continue exactly (last.safetensors) and the
best evaluation's state (best.safetensors), and resume from them."""
import math
import os

from chainrule.distributed.collectives import barrier
from chainrule.train.callbacks.base import Callback
from chainrule.train.checkpoint import load, save
from chainrule.train.data_parallel import process_group
from chainrule.train.loop import rng_state, set_rng_state
from chainrule.utils.files import make_writable_folder

FORMAT = "chainrule.fit/1"
_KEYS = ("format", "model", "optimizer", "scheduler", "step", "epoch", "batch_in_epoch",
         "train_loss", "history", "rng", "epoch_rng", "callbacks")


class ModelCheckpoint(Callback):
    """Write directory/last.safetensors at each evaluation (and every `every` steps, if given),
    and directory/best.safetensors whenever `monitor` reaches a new best.

    Each file is a chainrule.save checkpoint (safetensors, written atomically) holding:
    "model", "optimizer" and "scheduler" (None without one) state dicts; "step", "epoch",
    "batch_in_epoch"; "train_loss" ({"sum", "count"} since the last evaluation); "history";
    "rng" (the global and the train loader's generator states at the save) and "epoch_rng"
    (those states as the current epoch began, from which its order is drawn again);
    "callbacks" (each callback's state_dict, keyed by class name, "#2" on for repeats). The
    tensors are stored as tensors, the rest as JSON in the header (the 128-bit integers of a
    generator's state included); nothing is pickled. Nothing is saved after an error (a NaN
    loss, Ctrl-C): last.safetensors stays the last good state.

    Args:
        directory: where the files go; made if missing, and checked writable before training.
        monitor, mode: the value of the evaluation record that picks the best ("min" or "max");
            monitor=None writes no best.safetensors.
        every: also write last.safetensors every so many steps.
        resume: True continues from directory/last.safetensors if it exists (else starts
            afresh); a path continues from that file, which must exist; False starts afresh.
            Resuming restores the model, optimizer, scheduler, counters, history, generators
            and every callback's state, so the run goes on exactly as if never interrupted.
            A callback that resets itself in on_fit_start must do so only when run.step == 0.

    In data-parallel training (see fit) give ModelCheckpoint to every rank: rank 0 alone writes
    (the replicas are equal), and every rank resumes from the file, so that all go on from the
    same state. A DistributedDataParallel model's keys carry torch's "module." prefix.
    """

    def __init__(self, directory, monitor="val_loss", mode="min", every=None, resume=False):
        if mode not in ("min", "max"):
            raise ValueError(f"ModelCheckpoint: mode must be 'min' or 'max', got {mode!r}")
        if every is not None and (isinstance(every, bool) or not isinstance(every, int)
                                  or every < 1):
            raise ValueError(f"ModelCheckpoint: every must be a positive integer, got {every!r}")
        self.directory = os.fspath(directory)
        self.monitor, self.mode, self.every, self.resume = monitor, mode, every, resume
        self.best, self.best_step = None, None

    @property
    def last_path(self):
        return os.path.join(self.directory, "last.safetensors")

    @property
    def best_path(self):
        return os.path.join(self.directory, "best.safetensors")

    def on_fit_start(self, run):
        if run.rank == 0:   # the other ranks never write here, and must not race to make it
            _check_writable(self.directory)
        if run.step == 0:
            self.best, self.best_step = None, None
        path = self.last_path if self.resume is True else self.resume
        if path is True or path is False or path is None:
            return
        group = process_group(run.model)
        if group is not None:   # rank 0 may still be writing the file (an earlier fit's last)
            barrier(group)
        if not os.path.exists(path):
            if self.resume is True:
                return   # nothing saved yet: a fresh start
            raise FileNotFoundError(f"ModelCheckpoint: cannot resume from {path!r}: no such file")
        restore(run, path)

    def on_step_end(self, run, logs):
        if self.every is not None and run.step % self.every == 0 and run.rank == 0:
            save(checkpoint(run), self.last_path)

    def on_evaluate(self, run, logs):
        improved = self.monitor is not None and self._improves(self._monitored(logs))
        if improved:   # before the state is taken, so that both files hold the new best
            self.best, self.best_step = float(logs[self.monitor]), run.step
        if run.rank != 0:   # every rank keeps best (it is state), rank 0 alone writes
            return
        state = checkpoint(run)
        if improved:
            save(state, self.best_path)
        save(state, self.last_path)

    def _monitored(self, logs):
        if self.monitor not in logs:
            raise KeyError(f"ModelCheckpoint: monitor {self.monitor!r} is not in the evaluation "
                           f"record, which has {list(logs)}; pass fit a val_loader, or monitor "
                           "another value (or None)")
        return logs[self.monitor]

    def _improves(self, value):
        if math.isnan(value):
            return False
        if self.best is None:
            return True
        return value < self.best if self.mode == "min" else value > self.best

    def state_dict(self):
        return {"best": self.best, "best_step": self.best_step}

    def load_state_dict(self, state):
        self.best, self.best_step = state["best"], state["best_step"]

    def __repr__(self):
        return (f"ModelCheckpoint({self.directory!r}, monitor={self.monitor!r}, "
                f"mode={self.mode!r}, every={self.every}, resume={self.resume!r})")


def checkpoint(run):
    """Everything a resumed fit needs, as chainrule.save stores it."""
    return {"format": FORMAT,
            "model": run.model.state_dict(),
            "optimizer": run.optimizer.state_dict(),
            "scheduler": None if run.scheduler is None else run.scheduler.state_dict(),
            "step": run.step, "epoch": run.epoch, "batch_in_epoch": run.batch_in_epoch,
            "train_loss": {"sum": run.train_loss_sum, "count": run.train_loss_count},
            "history": run.history.state_dict(),
            "rng": rng_state(run.train_loader),
            "epoch_rng": run.epoch_rng_state,
            "callbacks": {name: callback.state_dict()
                          for name, callback in _named(run.callbacks).items()}}


def restore(run, path):
    """Load a checkpoint written by ModelCheckpoint into run, checking first that it fits."""
    try:
        state = load(path)
    except (OSError, RuntimeError) as error:
        raise RuntimeError(f"ModelCheckpoint: cannot resume from {path}: {error}") from None
    missing = [key for key in _KEYS if key not in state] if isinstance(state, dict) else _KEYS
    if missing or state["format"] != FORMAT:
        raise RuntimeError(f"ModelCheckpoint: cannot resume from {path}: it is not a "
                           f"checkpoint that ModelCheckpoint wrote (missing {list(missing)})")
    if (state["scheduler"] is None) != (run.scheduler is None):
        with_without = ("without", "with") if run.scheduler is not None else ("with", "without")
        raise RuntimeError(f"ModelCheckpoint: cannot resume from {path}: it was saved "
                           f"{with_without[0]} a scheduler, and this run is {with_without[1]} one")
    try:
        run.model.load_state_dict(state["model"])
        run.optimizer.load_state_dict(state["optimizer"])
        if run.scheduler is not None:
            run.scheduler.load_state_dict(state["scheduler"])
        set_rng_state(run.train_loader, state["rng"])
    except (RuntimeError, ValueError, KeyError) as error:
        raise RuntimeError(f"ModelCheckpoint: cannot resume from {path}: it does not fit this "
                           f"run: {error}") from None
    run.step, run.epoch = state["step"], state["epoch"]
    run.batch_in_epoch = state["batch_in_epoch"]
    run.train_loss_sum = state["train_loss"]["sum"]
    run.train_loss_count = state["train_loss"]["count"]
    run.history.load_state_dict(state["history"])
    run.epoch_rng_state = state["epoch_rng"]
    saved = state["callbacks"]
    for name, callback in _named(run.callbacks).items():
        if name in saved:
            callback.load_state_dict(saved[name])


def _named(callbacks):
    """Each callback under its class name, the second of a class as "Name#2" and so on."""
    named, seen = {}, {}
    for callback in callbacks:
        kind = type(callback).__name__
        seen[kind] = seen.get(kind, 0) + 1
        named[kind if seen[kind] == 1 else f"{kind}#{seen[kind]}"] = callback
    return named


def _check_writable(directory):
    try:
        make_writable_folder(directory)
    except OSError as error:
        raise OSError(f"ModelCheckpoint: cannot write checkpoints to {directory!r}: "
                      f"{error.strerror or error}") from None
