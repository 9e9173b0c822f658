"""CSVLogger and TensorBoardLogger, driven through their hooks by a stand-in Run: what they write
is read back (the CSV with the csv module, the events with TensorBoard's own reader)."""
import csv
import os
import time
import types

import pytest
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from chainrule.train.callbacks.logging import FLUSH_SECONDS, CSVLogger, TensorBoardLogger
from chainrule.train.history import History


def make_run(step=0, max_steps=None):
    return types.SimpleNamespace(model=None, optimizer=None, step=step, epoch=0,
                                 max_steps=max_steps, history=History(), stop=False, error=None,
                                 train_loader=None)


def record(step, **extra):
    return {"step": step, "epoch": step // 10, "train_loss": 1.0 / step,
            "val_loss": 2.0 / step, "val_accuracy": step / 100, **extra}


def fit(logger, steps, evaluate_every=5, run=None, resume_at=None):
    """Drive logger as the loop would: a step hook per step, an evaluation every few steps.
    resume_at sets run.step after on_fit_start, as a ModelCheckpoint listed after the logger
    would when it resumes."""
    run = run or make_run()
    logger.on_fit_start(run)
    if resume_at is not None:
        run.step = resume_at
    for _ in range(steps):
        run.step += 1
        logger.on_step_end(run, {"loss": 1.0 / run.step, "lr": 0.1})
        if run.step % evaluate_every == 0:
            logger.on_evaluate(run, record(run.step))
    logger.on_fit_end(run)
    return run


def read_csv(path):
    with open(path, newline="") as file:
        reader = csv.DictReader(file)
        return reader.fieldnames, list(reader)


# ----- CSVLogger ----------------------------------------------------------------------------------
def test_csv_has_the_first_records_header_and_one_row_per_evaluation(tmp_path):
    path = tmp_path / "log.csv"
    fit(CSVLogger(path), steps=20)
    header, rows = read_csv(path)
    assert header == ["step", "epoch", "train_loss", "val_loss", "val_accuracy"]
    assert [int(row["step"]) for row in rows] == [5, 10, 15, 20]
    assert [float(row["val_loss"]) for row in rows] == [2.0 / s for s in (5, 10, 15, 20)]


def test_each_row_is_on_disk_as_soon_as_it_is_written(tmp_path):
    path = tmp_path / "log.csv"
    logger, run = CSVLogger(path), make_run()
    logger.on_fit_start(run)
    logger.on_evaluate(run, record(5))
    assert len(read_csv(path)[1]) == 1   # read while the logger still holds the file open
    logger.on_evaluate(run, record(10))
    assert len(read_csv(path)[1]) == 2
    logger.on_fit_end(run)


def test_a_new_column_rewrites_the_file_with_the_union_of_columns(tmp_path):
    path = tmp_path / "log.csv"
    logger, run = CSVLogger(path), make_run()
    logger.on_fit_start(run)
    logger.on_evaluate(run, {"step": 1, "val_loss": 0.5})
    logger.on_evaluate(run, {"step": 2, "val_loss": 0.4, "val_accuracy": 0.9})
    logger.on_evaluate(run, {"step": 3, "val_loss": 0.3, "val_accuracy": 0.95})
    logger.on_fit_end(run)
    header, rows = read_csv(path)
    assert header == ["step", "val_loss", "val_accuracy"]
    assert [row["val_accuracy"] for row in rows] == ["", "0.9", "0.95"]
    assert os.listdir(tmp_path) == ["log.csv"]   # the atomic rewrite left no temporary behind


def test_without_append_an_old_file_is_replaced(tmp_path):
    path = tmp_path / "log.csv"
    fit(CSVLogger(path), steps=20)
    fit(CSVLogger(path), steps=10)
    assert [int(row["step"]) for row in read_csv(path)[1]] == [5, 10]


# The resumer (ModelCheckpoint) before the logger in the callbacks list, or after it: each
# makes the arguments of fit that resume at step 10 (a new Run each time: fit changes it).
RESUME_ORDERS = [("resumed before on_fit_start", lambda: dict(run=make_run(step=10))),
                 ("resumed after on_fit_start", lambda: dict(resume_at=10))]


@pytest.mark.parametrize("order,resume", RESUME_ORDERS, ids=[o[0] for o in RESUME_ORDERS])
def test_append_resumes_the_file_dropping_rows_beyond_the_resumed_step(tmp_path, order, resume):
    path = tmp_path / "log.csv"
    fit(CSVLogger(path), steps=20)          # evaluated at 5, 10, 15, 20, then "crashed"
    fit(CSVLogger(path, append=True), steps=10, **resume())   # resumed at step 10
    header, rows = read_csv(path)
    assert header == ["step", "epoch", "train_loss", "val_loss", "val_accuracy"]
    assert [int(row["step"]) for row in rows] == [5, 10, 15, 20]   # 15 and 20 once each
    with open(path) as file:
        assert file.read().count("step,epoch") == 1


@pytest.mark.parametrize("existing", ["missing", "empty"])
def test_append_to_a_missing_or_empty_file_starts_afresh(tmp_path, existing):
    path = tmp_path / "log.csv"
    if existing == "empty":
        path.write_text("")
    fit(CSVLogger(path, append=True), steps=10)
    header, rows = read_csv(path)
    assert header[0] == "step" and [int(row["step"]) for row in rows] == [5, 10]


def test_a_missing_folder_is_made(tmp_path):
    path = tmp_path / "new" / "deeper" / "log.csv"
    fit(CSVLogger(path), steps=5)
    assert len(read_csv(path)[1]) == 1


def unwritable_paths(tmp_path):
    """(why, path) pairs whose folder cannot hold the file: under a file, or a read-only folder
    (skipped when running as root, who may write there anyway)."""
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    read_only = tmp_path / "read_only"
    read_only.mkdir(mode=0o500)
    cases = [("under a file", blocker / "sub"), ("a directory", tmp_path)]
    if os.geteuid() != 0:
        cases.append(("read-only", read_only / "sub"))
    return cases


def test_an_unwritable_csv_path_fails_at_fit_start_naming_it(tmp_path):
    for why, folder in unwritable_paths(tmp_path):
        path = folder if why == "a directory" else folder / "log.csv"
        with pytest.raises(OSError, match=f"CSVLogger: cannot write .*{path.name}"):
            CSVLogger(path).on_fit_start(make_run())


def test_an_unwritable_log_dir_fails_at_fit_start_naming_it(tmp_path):
    for why, folder in unwritable_paths(tmp_path):
        if why == "a directory":
            continue
        with pytest.raises(OSError, match=f"TensorBoardLogger: cannot write .*{folder}"):
            TensorBoardLogger(folder).on_fit_start(make_run())


# ----- TensorBoardLogger --------------------------------------------------------------------------
def has_tag(log_dir, tag):
    accumulator = EventAccumulator(str(log_dir))
    accumulator.Reload()
    return tag in accumulator.Tags()["scalars"]


def scalars(log_dir, tag):
    accumulator = EventAccumulator(str(log_dir))
    accumulator.Reload()
    return [(event.step, event.value) for event in accumulator.Scalars(tag)]


def test_tensorboard_holds_each_evaluation_under_its_tag_at_its_step(tmp_path):
    fit(TensorBoardLogger(tmp_path), steps=20)
    steps = [5, 10, 15, 20]
    for tag, column in [("train/loss", "train_loss"), ("val/loss", "val_loss"),
                        ("val/accuracy", "val_accuracy")]:
        logged = scalars(tmp_path, tag)
        assert [step for step, _ in logged] == steps, tag
        assert [value for _, value in logged] == pytest.approx(
            [record(s)[column] for s in steps], rel=1e-6), tag   # stored as float32


def test_tensorboard_logs_the_step_loss_and_lr_every_log_every_steps(tmp_path):
    fit(TensorBoardLogger(tmp_path, log_every=3), steps=10)
    assert scalars(tmp_path, "step/loss") == [(s, pytest.approx(1.0 / s)) for s in (3, 6, 9)]
    assert scalars(tmp_path, "step/lr") == [(s, pytest.approx(0.1)) for s in (3, 6, 9)]


def test_tensorboard_events_reach_the_disk_soon_after_evaluate_before_the_fit_ends(tmp_path):
    logger, run = TensorBoardLogger(tmp_path), make_run()
    logger.on_fit_start(run)
    run.step = 5
    logger.on_evaluate(run, record(5))
    # tensorboardX's thread flushes within FLUSH_SECONDS; allow for a loaded machine
    deadline = time.monotonic() + 10 * FLUSH_SECONDS
    while not has_tag(tmp_path, "val/loss") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [step for step, _ in scalars(tmp_path, "val/loss")] == [5]
    logger.on_fit_end(run)
    assert logger.writer is None


def test_append_keeps_the_file_untouched_until_the_first_step(tmp_path):
    path = tmp_path / "log.csv"
    fit(CSVLogger(path), steps=20)
    before = path.read_text()
    logger, run = CSVLogger(path, append=True), make_run()
    logger.on_fit_start(run)   # the resumer may not have set run.step yet
    assert path.read_text() == before
    logger.on_fit_end(run)
    assert path.read_text() == before


@pytest.mark.parametrize("order,resume", RESUME_ORDERS, ids=[o[0] for o in RESUME_ORDERS])
def test_a_resumed_run_hides_what_the_crashed_run_logged_past_the_checkpoint(tmp_path, order,
                                                                              resume):
    fit(TensorBoardLogger(tmp_path), steps=20)                          # logged up to 20
    fit(TensorBoardLogger(tmp_path), steps=10, **resume())                # resumed at 10
    assert [step for step, _ in scalars(tmp_path, "val/loss")] == [5, 10, 15, 20]
    assert len(scalars(tmp_path, "step/loss")) == 20                    # no step twice
    assert len(list(tmp_path.glob("events.out.tfevents.*"))) == 2       # neither file truncated


@pytest.mark.parametrize("log_every", [0, -1, 1.5, True])
def test_log_every_must_be_a_positive_int(tmp_path, log_every):
    with pytest.raises(ValueError, match="log_every"):
        TensorBoardLogger(tmp_path, log_every=log_every)
