"""ProgressBar, driven through its hooks by a stand-in Run and drawn into a StringIO: silent
there by default (not a terminal), and with the bar forced on, its count, total and postfix."""
import io
import types

import pytest

from chainrule.train.callbacks.progress import ProgressBar
from chainrule.train.history import History


def make_run(step=0, max_steps=None, **fields):
    return types.SimpleNamespace(model=None, optimizer=None, step=step, epoch=0,
                                 max_steps=max_steps, history=History(), stop=False, error=None,
                                 train_loader=[None] * 4, **fields)


def fit(bar, run, steps):
    """Drive bar as the loop would: a step hook per step, an evaluation at the end."""
    bar.on_fit_start(run)
    for _ in range(steps):
        run.step += 1
        bar.on_step_end(run, {"loss": 1.0 / run.step, "lr": 0.1})
    bar.on_evaluate(run, {"step": run.step, "epoch": 0, "train_loss": 0.5, "val_loss": 0.25,
                          "val_accuracy": 0.875})
    bar.on_fit_end(run)


def drawn(run, steps=8, **options):
    file = io.StringIO()
    fit(ProgressBar(file=file, **options), run, steps)
    return file.getvalue()


def test_nothing_is_written_to_a_stream_that_is_not_a_terminal():
    assert drawn(make_run(max_steps=8)) == ""


def test_disable_true_writes_nothing_even_when_forced_elsewhere():
    assert drawn(make_run(max_steps=8), disable=True) == ""


def test_the_forced_bar_shows_the_latest_loss_and_validation_metrics():
    last_line = drawn(make_run(max_steps=8), disable=False).rstrip().split("\r")[-1]
    assert "8/8" in last_line and "100%" in last_line
    assert "loss=0.125" in last_line                      # the last step's loss, 4 digits
    assert "val_loss=0.25" in last_line and "val_accuracy=0.875" in last_line
    assert "train_loss" not in last_line                 # the step loss is already there


# How the total is found: (what the run knows, the total the bar shows).
TOTALS = [
    ("max_steps", dict(max_steps=8), "8/8"),
    ("epochs times the loader's length", dict(epochs=2), "8/8"),      # 4 batches × 2 epochs
    ("neither", dict(), "8step"),                                     # a count, no total
    ("epochs over an iterable loader", dict(epochs=2, train_loader=iter([])), "8step"),
]


@pytest.mark.parametrize("why,fields,shown", TOTALS, ids=[t[0] for t in TOTALS])
def test_the_total(why, fields, shown):
    loader = fields.pop("train_loader", [None] * 4)
    run = make_run(**fields)
    run.train_loader = loader
    last_line = drawn(run, disable=False).rstrip().split("\r")[-1]
    assert shown in last_line.replace(" ", "")


@pytest.mark.parametrize("resumed_before_fit_start", [True, False])
def test_a_resumed_run_starts_at_its_step(resumed_before_fit_start):
    bar = ProgressBar(file=io.StringIO(), disable=False)
    run = make_run(step=5 if resumed_before_fit_start else 0, max_steps=8)
    bar.on_fit_start(run)
    run.step = 5   # a ModelCheckpoint listed after the bar resumes here
    run.step += 1
    bar.on_step_end(run, {"loss": 0.5, "lr": 0.1})
    assert (bar.bar.initial, bar.bar.n, bar.bar.total) == (5, 6, 8)
    bar.on_fit_end(run)
    assert bar.bar is None


def test_the_bar_is_closed_after_an_error_too():
    bar, run = ProgressBar(file=io.StringIO(), disable=False), make_run(max_steps=8)
    bar.on_fit_start(run)
    run.step = 1
    bar.on_step_end(run, {"loss": 0.5, "lr": 0.1})
    tqdm_bar = bar.bar
    run.error = KeyboardInterrupt()
    bar.on_fit_end(run)
    assert tqdm_bar.disable   # tqdm marks a closed bar disabled
