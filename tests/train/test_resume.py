"""Exact resume: a run interrupted and resumed from its checkpoint ends with the very same bits as
one never interrupted (shuffling, dropout, Adam, StepLR, mid-epoch); and the checkpoint survives
Ctrl-C and NaN losses, and refuses files that do not fit."""
import math
import os

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.train.callbacks.base import Callback
from chainrule.train.callbacks.checkpointing import ModelCheckpoint
from chainrule.train.callbacks.early_stopping import EarlyStopping
from chainrule.train.loop import fit

STEPS = 23   # 37 samples in batches of 8: 5 batches an epoch, so 4 epochs and 3 batches


def _run(loader_seed, hidden=16, seed=0):
    """Everything a run is made of, built afresh; the seed changes the global generator only, so
    a resumed run proves that the checkpoint, not the seed, decides what happens."""
    cr.manual_seed(seed)
    rng = np.random.default_rng(1)
    data = TensorDataset(cr.tensor(rng.normal(size=(37, 5)).astype(np.float32)),
                         cr.tensor(rng.integers(0, 3, 37)))
    cr.manual_seed(0)   # the same initial weights in every run
    model = nn.Sequential(nn.Linear(5, hidden), nn.ReLU(), nn.Dropout(0.3), nn.Linear(hidden, 3))
    cr.manual_seed(seed)
    optimizer = cr.optim.Adam(model.parameters(), lr=0.01)
    generator = None if loader_seed is None else cr.Generator().manual_seed(loader_seed)
    return {"model": model, "loss_fn": nn.CrossEntropyLoss(), "optimizer": optimizer,
            "scheduler": cr.optim.lr_scheduler.StepLR(optimizer, step_size=4, gamma=0.7),
            "train_loader": DataLoader(data, 8, shuffle=True, generator=generator),
            "val_loader": DataLoader(data, 16), "eval_every": 4}


class InterruptAt(Callback):
    """Ctrl-C, as it arrives after a step."""

    def __init__(self, step):
        self.step = step

    def on_step_end(self, run, logs):
        if run.step == self.step:
            raise KeyboardInterrupt


def _weights(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


def _assert_same(first, second):
    assert all(np.array_equal(a, b) for a, b in zip(_weights(first), _weights(second), strict=True))


# None: shuffled by the global generator, which dropout draws from too; 3: a loader generator
@pytest.mark.parametrize("loader_seed", [None, 3])
@pytest.mark.parametrize("every, interrupt_at, saved_at", [
    (None, 14, (12, 2, 2)),   # saved at the evaluation of step 12: epoch 2, 2 batches into it
    (1, 13, (13, 2, 3)),      # saved at every step
    (3, 20, (18, 3, 3)),
    (5, 21, (20, 4, 0)),      # saved as an epoch ended
])
def test_an_interrupted_run_resumes_bit_for_bit(tmp_path, loader_seed, every, interrupt_at,
                                                saved_at):
    whole = _run(loader_seed)
    expected = fit(**whole, steps=STEPS, callbacks=[EarlyStopping(patience=99)])

    first = _run(loader_seed)
    with pytest.raises(KeyboardInterrupt):
        fit(**first, steps=STEPS, callbacks=[ModelCheckpoint(tmp_path, every=every),
                                             EarlyStopping(patience=99), InterruptAt(interrupt_at)])
    saved = cr.load(tmp_path / "last.safetensors")
    assert (saved["step"], saved["epoch"], saved["batch_in_epoch"]) == saved_at

    second = _run(loader_seed, seed=123)
    stopper = EarlyStopping(patience=99)
    resumed = fit(**second, steps=STEPS, callbacks=[ModelCheckpoint(tmp_path, every=every,
                                                                    resume=True), stopper])
    _assert_same(whole["model"], second["model"])
    assert resumed.records == expected.records
    assert second["optimizer"].param_groups[0]["lr"] == whole["optimizer"].param_groups[0]["lr"]
    assert stopper.best_step == max(expected, key=lambda r: -r["val_loss"])["step"]


def test_fit_for_fewer_steps_then_resume_for_more(tmp_path):
    whole = _run(None)
    fit(**whole, steps=STEPS)
    first = _run(None)
    fit(**first, steps=8, callbacks=[ModelCheckpoint(tmp_path)])
    second = _run(None, seed=7)
    history = fit(**second, steps=STEPS, callbacks=[ModelCheckpoint(tmp_path, resume=True)])
    _assert_same(whole["model"], second["model"])
    assert history["step"] == [4, 8, 12, 16, 20, 23]


def test_ctrl_c_leaves_the_last_checkpoint_whole(tmp_path):
    run = _run(3)
    with pytest.raises(KeyboardInterrupt):
        fit(**run, steps=STEPS, callbacks=[ModelCheckpoint(tmp_path), InterruptAt(10)])
    assert sorted(os.listdir(tmp_path)) == ["best.safetensors", "last.safetensors"]   # no temps
    saved = cr.load(tmp_path / "last.safetensors")
    assert (saved["step"], saved["epoch"], saved["batch_in_epoch"]) == (8, 1, 3)
    assert [record["step"] for record in saved["history"]["records"]] == [4, 8]


def test_a_nan_loss_is_named_and_the_checkpoint_stays_the_last_good_one(tmp_path):
    run = _run(3)
    calls = []

    def loss_fn(outputs, targets):   # nan at the 7th training step (evaluation calls too)
        calls.append(cr.is_grad_enabled())
        loss = nn.functional.cross_entropy(outputs, targets)
        return loss * math.nan if sum(calls) == 7 and calls[-1] else loss
    run["loss_fn"] = loss_fn
    with pytest.raises(FloatingPointError, match="the loss is nan at step 7"):
        fit(**run, steps=STEPS, callbacks=[ModelCheckpoint(tmp_path, every=1)])
    saved = cr.load(tmp_path / "last.safetensors")
    assert saved["step"] == 6
    for name, value in run["model"].state_dict().items():   # the nan step was never applied
        assert np.array_equal(saved["model"][name].numpy(), value.numpy())


def test_best_holds_the_best_evaluation(tmp_path):
    history = fit(**_run(3), steps=STEPS, callbacks=[ModelCheckpoint(tmp_path)])
    best = cr.load(tmp_path / "best.safetensors")
    assert best["history"]["records"][-1]["val_loss"] == min(history["val_loss"])
    assert best["callbacks"]["ModelCheckpoint"]["best"] == min(history["val_loss"])


def test_an_unwritable_directory_is_refused_before_training(tmp_path):
    (tmp_path / "file").write_text("")
    run = _run(3)
    with pytest.raises(OSError, match="cannot write checkpoints to .*file/checkpoints"):
        fit(**run, steps=STEPS, callbacks=[ModelCheckpoint(tmp_path / "file" / "checkpoints")])
    assert run["optimizer"].state == {}   # not a single step was taken


def _saved(tmp_path):
    fit(**_run(3), steps=4, callbacks=[ModelCheckpoint(tmp_path)])
    return tmp_path / "last.safetensors"


def _truncate(path):
    path.write_bytes(path.read_bytes()[:-100])


@pytest.mark.parametrize("spoil, change, error, words", [
    (_truncate, {}, RuntimeError, "may be truncated"),
    (None, {"hidden": 17}, RuntimeError, "does not fit this run.*size mismatch"),
    (lambda path: cr.save({"model": {}}, path), {}, RuntimeError, "not a checkpoint that"),
    (None, {"loader_seed": None}, RuntimeError, "train-loader generators"),
])
def test_a_checkpoint_that_does_not_fit_is_refused_naming_the_file(tmp_path, spoil, change,
                                                                   error, words):
    path = _saved(tmp_path)
    if spoil:
        spoil(path)
    run = _run(**{"loader_seed": 3, **change})
    with pytest.raises(error, match=f"(?s)cannot resume from {path}.*{words}"):
        fit(**run, steps=8, callbacks=[ModelCheckpoint(tmp_path, resume=True)])


def test_resume_from_a_named_file_that_is_missing(tmp_path):
    with pytest.raises(FileNotFoundError, match="cannot resume from .*nowhere.safetensors"):
        fit(**_run(3), steps=2, callbacks=[
            ModelCheckpoint(tmp_path, resume=str(tmp_path / "nowhere.safetensors"))])


def test_resume_without_a_checkpoint_starts_afresh(tmp_path):
    fresh = _run(3)
    fit(**fresh, steps=6)
    resumed = _run(3)
    fit(**resumed, steps=6, callbacks=[ModelCheckpoint(tmp_path / "new", resume=True)])
    _assert_same(fresh["model"], resumed["model"])


def test_a_confusion_matrix_in_the_history_is_saved_as_lists(tmp_path):
    run = _run(3)
    history = fit(**run, steps=4, metrics=("accuracy", "confusion_matrix"),
                  callbacks=[ModelCheckpoint(tmp_path)])
    saved = cr.load(tmp_path / "last.safetensors")["history"]["records"][-1]
    assert saved == history[-1] and np.sum(saved["val_confusion_matrix"]) == 37
