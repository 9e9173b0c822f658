"""Loggers: callbacks that write each evaluation record (and, for TensorBoard, each step) to disk
as training runs, so a crash or a Ctrl-C loses nothing already measured."""
import contextlib
import csv
import numbers
import os
import pathlib
import time

from chainrule.train.callbacks.base import Callback
from chainrule.utils.files import make_writable_folder, write_atomically


def _writable_folder(folder, who, what):
    """Make folder and prove it writable (a folder may exist and still refuse files), so a bad
    path fails at on_fit_start, not at the first evaluation after minutes of training."""
    try:
        make_writable_folder(folder)
    except OSError as error:
        raise OSError(f"{who}: cannot write {what} {folder}: {error.strerror or error}") from error


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class CSVLogger(Callback):
    """One CSV row per evaluation record, in the order run.history receives them.

    The header is the first record's keys. A later record with a new column (a metric measured
    only from some step on) rewrites the file, atomically, with the union of the columns: the
    earlier rows leave the new column empty, as a missing value does in any row. Each row is
    flushed as it is written, so a crashed run's file holds every evaluation it made.

    append=False starts the file afresh (an old file at path is emptied at on_fit_start).
    append=True, for a resumed run, continues the file at path: its header is kept and its rows
    whose step lies beyond the step the run resumed from are dropped, since the resumed run
    measures those steps again; a missing or empty file simply starts afresh. The resumed step
    is read at the first step (run.step - 1 then), not at on_fit_start, so the logger may come
    before or after the callback that resumes (ModelCheckpoint) in the callbacks list.

    Args:
        path: the CSV file; its folder is made if missing.
        append: continue an existing file instead of replacing it.
    """
    rank_zero_only = True   # in data-parallel training, only rank 0 writes

    def __init__(self, path, append=False):
        self.path = pathlib.Path(path)
        self.append = append
        self.columns = []
        self.rows = []
        self._file = None
        self._writer = None
        self._resume_pending = False

    def on_fit_start(self, run):
        self.on_fit_end(run)   # a logger reused for a second fit lets go of the first file
        self.columns, self.rows = [], []
        with self._naming_the_path():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.append:   # proves the file writable, and changes nothing in it yet
                open(self.path, "a", encoding="utf-8").close()
                self._resume_pending = True
            else:
                self._open("w")

    def on_step_end(self, run, logs):
        if self._resume_pending:
            self._resume(run.step - 1)   # the step just completed is the run's first

    def on_evaluate(self, run, logs):
        if self._resume_pending:
            self._resume(run.step)
        if self._file is None:
            raise RuntimeError("CSVLogger: on_evaluate was called before on_fit_start")
        record = dict(logs)
        self.rows.append(record)
        new_columns = [name for name in record if name not in self.columns]
        with self._naming_the_path():
            if new_columns and self.columns:
                self.columns += new_columns
                self._rewrite()   # the header is the file's first line: it cannot grow in place
                return
            if new_columns:
                self.columns = new_columns
                self._start_writer()
                self._writer.writeheader()
            self._writer.writerow(record)
            self._file.flush()

    def on_fit_end(self, run):
        self._resume_pending = False
        if self._file is not None:
            self._file.close()
            self._file, self._writer = None, None

    def _resume(self, step):
        """Keep the existing file's header and its rows measured at or before step."""
        self._resume_pending = False
        with self._naming_the_path():
            with open(self.path, newline="", encoding="utf-8") as file:
                reader = csv.DictReader(file)
                self.rows = [row for row in reader if not _beyond(row.get("step"), step)]
                self.columns = list(reader.fieldnames or [])
            self._rewrite()

    def _rewrite(self):
        """Write the header and every row kept so far, atomically, then append from there on."""
        if self._file is not None:
            self._file.close()
            self._file = None

        def write(temporary):
            with open(temporary, "w", newline="", encoding="utf-8") as file:
                writer = csv.DictWriter(file, fieldnames=self.columns)
                if self.columns:
                    writer.writeheader()
                writer.writerows(self.rows)

        write_atomically(self.path, write)
        self._open("a")

    def _open(self, mode):
        self._file = open(self.path, mode, newline="", encoding="utf-8")
        self._start_writer()

    def _start_writer(self):
        self._writer = csv.DictWriter(self._file, fieldnames=self.columns)

    @contextlib.contextmanager
    def _naming_the_path(self):
        try:
            yield
        except OSError as error:
            raise OSError(f"CSVLogger: cannot write the log file {self.path}: "
                          f"{error.strerror or error}") from error


def _beyond(cell, step):
    """Whether a CSV cell holding a step lies after step; a blank or unreadable cell does not."""
    try:
        return float(cell) > step
    except (TypeError, ValueError):
        return False


# tensorboardX writes events from a background thread, and its flush() flushes the file but not
# that thread's queue: what on_evaluate adds reaches the disk when the thread next flushes, every
# flush_secs (default 120 s). One second keeps TensorBoard's view current for the cost of one
# wake-up a second; on_fit_end's close() drains the queue completely.
FLUSH_SECONDS = 1


def _tag(name):
    """A record's column as a TensorBoard tag: train_loss -> train/loss, val_accuracy ->
    val/accuracy, so each prefix becomes one section of the dashboard; other names stay."""
    for prefix in ("train", "val"):
        if name.startswith(prefix + "_"):
            return f"{prefix}/{name[len(prefix) + 1:]}"
    return name


class TensorBoardLogger(Callback):
    """Scalars for TensorBoard, through tensorboardX's SummaryWriter.

    Every numeric value of each evaluation record goes under its tag (train/loss, val/loss,
    val/accuracy, ...) at global_step = record["step"], and a flush is asked for then (the
    events reach the disk within FLUSH_SECONDS, from tensorboardX's writing thread); each
    step's loss and learning rate go under step/loss and step/lr every log_every steps. The
    writer is closed at on_fit_end.

    The event file is opened at the first step and marked to purge the steps from there on
    (SummaryWriter's purge_step), so after a resume TensorBoard hides what an interrupted run
    logged past the checkpoint instead of drawing both; like CSVLogger, the logger may come
    before or after the callback that resumes.

    Args:
        log_dir: the folder of the event files; made if missing.
        log_every: log the step scalars every this many optimizer steps.
    """
    rank_zero_only = True   # in data-parallel training, only rank 0 writes

    def __init__(self, log_dir, log_every=1):
        if not isinstance(log_every, int) or isinstance(log_every, bool) or log_every < 1:
            raise ValueError(f"TensorBoardLogger: log_every must be a positive int, "
                             f"got {log_every!r}")
        self.log_dir = pathlib.Path(log_dir)
        self.log_every = log_every
        self.writer = None
        self._started = False

    def on_fit_start(self, run):
        self.on_fit_end(run)   # a logger reused for a second fit closes the first writer
        _writable_folder(self.log_dir, "TensorBoardLogger", "the event files into")
        self._started = True

    def on_step_end(self, run, logs):
        if self.writer is None:
            self._open(first_step=run.step)
        if run.step % self.log_every == 0:
            for name, value in logs.items():
                if _is_number(value):
                    self.writer.add_scalar(f"step/{name}", float(value), run.step)

    def on_evaluate(self, run, logs):
        if self.writer is None:
            self._open(first_step=run.step + 1)
        for name, value in logs.items():
            if name != "step" and _is_number(value):
                self.writer.add_scalar(_tag(name), float(value), logs["step"])
        self.writer.flush()

    def on_fit_end(self, run):
        self._started = False
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    def _open(self, first_step):
        if not self._started:
            raise RuntimeError("TensorBoardLogger: a hook was called before on_fit_start")
        from tensorboardX import SummaryWriter   # imported only by those who log to TensorBoard
        # tensorboardX names its file by the second and host and opens it "wb": a second writer
        # in the same second (a quick resume) would truncate the first without a finer suffix.
        self.writer = SummaryWriter(os.fspath(self.log_dir), purge_step=first_step,
                                    flush_secs=FLUSH_SECONDS, filename_suffix=f".{time.time_ns()}")
