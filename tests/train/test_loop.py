"""fit and evaluate: when evaluations happen and what they record, the hooks' order, the scheduler
stepping, errors that stop a run, fit serving model selection, and fit data parallel under
`chainrule run -n 2`."""
import json
import math
import pathlib
import os
import signal
import threading

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset
from chainrule.train import HoldOut, KFold, grid, random_search, select
from chainrule.train.callbacks.base import Callback
from chainrule.train.loop import evaluate, fit
from tests.distributed.launching import chainrule_run

PROGRAMS = pathlib.Path(__file__).resolve().parent / "programs"


def _data(n=30, classes=3, features=4, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    y = (x[:, :classes].argmax(axis=1) if classes <= features else rng.integers(0, classes, n))
    return TensorDataset(cr.tensor(x), cr.tensor(y))


def _problem(n=30, batch_size=8, lr=0.1, seed=0):
    """A linear classifier on 30 samples: 4 batches an epoch (8, 8, 8, 6)."""
    cr.manual_seed(seed)
    data = _data(n)
    model = nn.Linear(4, 3)
    return model, cr.optim.SGD(model.parameters(), lr=lr), DataLoader(data, batch_size), data


class Recorder(Callback):
    def __init__(self):
        self.calls, self.losses = [], []

    def on_fit_start(self, run):
        self.calls.append("fit_start")

    def on_step_end(self, run, logs):
        self.calls.append("step")
        self.losses.append(logs["loss"])

    def on_evaluate(self, run, logs):
        self.calls.append(f"evaluate@{run.step}")

    def on_epoch_end(self, run):
        self.calls.append(f"epoch_end@{run.epoch}")

    def on_fit_end(self, run):
        self.calls.append(f"fit_end:{type(run.error).__name__}")


@pytest.mark.parametrize("length, eval_every, steps, epochs", [
    ({"steps": 10}, None, [4, 8, 10], [1, 2, 2]),       # every epoch (4 steps) and the last
    ({"steps": 10}, 3, [3, 6, 9, 10], [0, 1, 2, 2]),
    ({"epochs": 3}, None, [4, 8, 12], [1, 2, 3]),
    ({"epochs": 2}, 3, [3, 6, 8], [0, 1, 2]),
    ({"steps": 4}, 4, [4], [1]),
])
def test_evaluations_come_at_the_right_steps(length, eval_every, steps, epochs):
    model, optimizer, loader, data = _problem()
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, DataLoader(data, 10),
                  eval_every=eval_every, **length)
    assert history["step"] == steps and history["epoch"] == epochs


def test_records_hold_mean_training_loss_and_validation_metrics():
    model, optimizer, loader, data = _problem()
    recorder = Recorder()
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, DataLoader(data, 7),
                  steps=6, eval_every=4, callbacks=[recorder], metrics=("accuracy", "top2"))
    assert history.keys() == ["step", "epoch", "train_loss", "val_loss", "val_accuracy",
                              "val_top2"]
    assert history["train_loss"] == pytest.approx([np.mean(recorder.losses[:4]),
                                                  np.mean(recorder.losses[4:])])
    assert history[-1]["val_loss"] == pytest.approx(
        evaluate(model, DataLoader(data, 30), nn.CrossEntropyLoss())["loss"])
    model, optimizer, loader, _ = _problem()
    unvalidated = fit(model, nn.CrossEntropyLoss(), optimizer, loader, steps=2)
    assert unvalidated.keys() == ["step", "epoch", "train_loss"]


def test_hooks_run_in_order():
    model, optimizer, loader, data = _problem(n=16)   # 2 batches an epoch
    recorder = Recorder()
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, DataLoader(data, 8), epochs=2,
        callbacks=[recorder])
    assert recorder.calls == ["fit_start", "step", "step", "evaluate@2", "epoch_end@1",
                              "step", "step", "evaluate@4", "epoch_end@2", "fit_end:NoneType"]


def test_evaluate_averages_over_samples_and_matches_hand_computation():
    model, _, _, data = _problem()
    x, y = data[:]
    logits = model(x).detach().numpy()
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    labels = y.numpy()
    expected_loss = -log_probs[np.arange(30), labels].mean()
    results = evaluate(model, DataLoader(data, 7), nn.CrossEntropyLoss(),   # 7, 7, 7, 7, 2
                       metrics=("loss", "accuracy", "top2", "confusion_matrix"))
    assert results["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert results["accuracy"] == pytest.approx((logits.argmax(1) == labels).mean())
    second = np.argsort(-logits, axis=1)[:, :2]
    assert results["top2"] == pytest.approx((second == labels[:, None]).any(1).mean())
    confusion = np.zeros((3, 3), int)
    np.add.at(confusion, (labels, logits.argmax(1)), 1)
    assert np.array_equal(results["confusion_matrix"], confusion)


@pytest.mark.parametrize("mode", ["train", "eval", "mixed"])
def test_evaluate_restores_each_module_mode(mode):
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.Linear(8, 3))
    model.train(mode != "eval")
    if mode == "mixed":
        model[1].eval()
    before = [module.training for module in model.modules()]
    evaluate(model, DataLoader(_data(), 10), nn.CrossEntropyLoss())
    assert [module.training for module in model.modules()] == before


def test_the_scheduler_steps_once_per_optimizer_step():
    model, optimizer, loader, _ = _problem(lr=0.8)
    scheduler = cr.optim.lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    recorder = Recorder()
    lrs = []
    recorder.on_step_end = lambda run, logs: lrs.append(logs["lr"])
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, steps=7, scheduler=scheduler,
        callbacks=[recorder])
    assert lrs == [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2]   # the rate each step used
    assert scheduler.last_epoch == 7


def test_reduce_on_plateau_steps_at_each_evaluation():
    model, optimizer, loader, data = _problem()
    scheduler = cr.optim.lr_scheduler.ReduceLROnPlateau(optimizer)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, DataLoader(data, 30),
                  steps=9, eval_every=2, scheduler=scheduler)
    assert len(history) == 5 and scheduler.last_epoch == 5
    assert scheduler.best == pytest.approx(min(history["val_loss"]))


def test_the_loss_falls_on_a_learnable_problem():
    model, optimizer, _loader, data = _problem(n=120, batch_size=16, lr=0.5)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, DataLoader(data, 16, shuffle=True),
                  DataLoader(data, 60), epochs=15)
    assert history["train_loss"][-1] < history["train_loss"][0] / 2
    assert history["val_accuracy"][-1] >= 0.9


def test_a_callback_stops_the_run_after_the_step_with_an_evaluation():
    class StopAtFive(Callback):
        def on_step_end(self, run, logs):
            run.stop = run.step == 5
    model, optimizer, loader, _ = _problem()
    history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, steps=100, eval_every=4,
                  callbacks=[StopAtFive()])
    assert history["step"] == [4, 5]


def test_a_nan_loss_stops_before_it_is_applied_naming_the_step():
    model, optimizer, loader, _ = _problem()
    calls = []

    def loss_fn(outputs, targets):
        calls.append(1)
        loss = nn.functional.cross_entropy(outputs, targets)
        return loss * math.nan if len(calls) == 7 else loss
    recorder, weights = Recorder(), []
    recorder.on_step_end = lambda run, logs: weights.append(model.weight.detach().numpy().copy())
    with pytest.raises(FloatingPointError, match="the loss is nan at step 7"):
        fit(model, loss_fn, optimizer, loader, steps=20, callbacks=[recorder])
    assert recorder.calls[-1] == "fit_end:FloatingPointError"
    assert np.array_equal(model.weight.detach().numpy(), weights[5])   # as after step 6


def test_ctrl_c_runs_on_fit_end_and_is_raised_again():
    class Interrupt(Callback):
        def on_step_end(self, run, logs):
            if run.step == 3:
                raise KeyboardInterrupt
    recorder = Recorder()
    model, optimizer, loader, _ = _problem()
    with pytest.raises(KeyboardInterrupt):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, steps=10,
            callbacks=[Interrupt(), recorder])
    assert recorder.calls == ["fit_start", "step", "step", "fit_end:KeyboardInterrupt"]



# ----- Ctrl-C (a real SIGINT, sent to this process) waits for the step boundary --------------
@pytest.fixture
def sigint_raises():
    """Python's own Ctrl-C handler while the test runs: a suite started as a background job
    inherits SIGINT ignored, and a SIGINT sent here would then never arrive."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


def _ctrl_c():
    os.kill(os.getpid(), signal.SIGINT)


def _adam_problem():
    model, _, loader, _ = _problem()
    return model, cr.optim.Adam(model.parameters(), lr=0.1), loader


def _step_count(optimizer):
    return [float(state["step"].item()) for state in optimizer.state.values()]


def test_ctrl_c_mid_step_stops_after_the_step_and_its_callbacks(sigint_raises):
    model, optimizer, loader = _adam_problem()
    real_step, stepped = optimizer.step, []

    def step_interrupted_at_the_third():
        if len(stepped) == 2:
            _ctrl_c()            # before the update: a plain KeyboardInterrupt would skip it
        real_step()
        stepped.append(True)
    optimizer.step = step_interrupted_at_the_third
    recorder = Recorder()
    with pytest.raises(KeyboardInterrupt):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, steps=10, eval_every=3,
            callbacks=[recorder])
    assert recorder.calls == ["fit_start", "step", "step", "step", "evaluate@3",
                              "fit_end:KeyboardInterrupt"]
    reference, reference_optimizer, reference_loader = _adam_problem()
    fit(reference, nn.CrossEntropyLoss(), reference_optimizer, reference_loader, steps=3)
    assert _step_count(optimizer) == _step_count(reference_optimizer) == [3.0, 3.0]
    for parameter, expected in zip(model.parameters(), reference.parameters()):
        assert np.array_equal(parameter.detach().numpy(), expected.detach().numpy())


def test_ctrl_c_in_a_callback_lets_the_later_callbacks_of_that_step_run(sigint_raises):
    class Interrupt(Callback):
        def on_step_end(self, run, logs):
            if run.step == 3:
                _ctrl_c()
    recorder = Recorder()
    model, optimizer, loader, _ = _problem()
    with pytest.raises(KeyboardInterrupt):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, steps=10,
            callbacks=[Interrupt(), recorder])
    assert recorder.calls == ["fit_start", "step", "step", "step", "fit_end:KeyboardInterrupt"]


def test_a_second_ctrl_c_interrupts_at_once(sigint_raises):
    class Insist(Callback):
        def __init__(self):
            self.after_the_second = False

        def on_step_end(self, run, logs):
            if run.step == 3:
                _ctrl_c()
                _ctrl_c()
                self.after_the_second = True   # not reached: the second one raised
    first, insist, recorder = Interrupt3(), Insist(), Recorder()
    model, optimizer, loader, _ = _problem()
    with pytest.raises(KeyboardInterrupt):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, steps=10,
            callbacks=[first, insist, recorder])
    assert not insist.after_the_second
    assert recorder.calls == ["fit_start", "step", "step", "fit_end:KeyboardInterrupt"]


class Interrupt3(Callback):
    """Sends the first SIGINT at step 3 (a Ctrl-C pending, the step's other callbacks to run)."""
    def on_step_end(self, run, logs):
        if run.step == 3:
            _ctrl_c()


def test_ctrl_c_during_on_fit_end_is_raised_after_it(sigint_raises):
    class InterruptAtTheEnd(Callback):
        def __init__(self):
            self.finished = False

        def on_fit_end(self, run):
            _ctrl_c()
            self.finished = True   # the cleanup completes first
    callback = InterruptAtTheEnd()
    model, optimizer, loader, _ = _problem()
    with pytest.raises(KeyboardInterrupt):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, steps=2, callbacks=[callback])
    assert callback.finished
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_the_sigint_handler_is_restored_however_fit_ends(sigint_raises):
    model, optimizer, loader, _ = _problem()
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, steps=2)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(KeyboardInterrupt):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, steps=10, callbacks=[Interrupt3()])
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    with pytest.raises(ValueError):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, steps=0)
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_a_program_s_own_or_ignoring_sigint_handler_is_left_alone(sigint_raises):
    received = []
    for handler in (lambda signum, frame: received.append(signum), signal.SIG_IGN):
        signal.signal(signal.SIGINT, handler)
        model, optimizer, loader, _ = _problem()
        history = fit(model, nn.CrossEntropyLoss(), optimizer, loader, steps=5,
                      callbacks=[Interrupt3()])
        assert history["step"] == [4, 5]   # trained to the end: the SIGINT was not fit's
        assert signal.getsignal(signal.SIGINT) is handler
    assert received == [signal.SIGINT]


def test_fit_outside_the_main_thread_leaves_sigint_alone(sigint_raises):
    results = []

    def train():
        model, optimizer, loader, _ = _problem()
        results.append(fit(model, nn.CrossEntropyLoss(), optimizer, loader, steps=3))
    thread = threading.Thread(target=train)
    thread.start()
    thread.join()
    assert results[0]["step"] == [3]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler

def test_labels_out_of_range_are_named_with_the_class_count():
    x = cr.tensor(np.zeros((4, 4), np.float32))
    loader = DataLoader(TensorDataset(x, cr.tensor([0, 1, 5, 2])), 4)
    model = nn.Linear(4, 3)
    with pytest.raises(IndexError, match="target 5 is out of bounds for 3 classes"):
        fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=0.1), loader,
            steps=1)


@pytest.mark.parametrize("arguments, words", [
    ({}, "exactly one of epochs and steps"),
    ({"epochs": 1, "steps": 2}, "exactly one of epochs and steps"),
    ({"steps": 0}, "steps must be a positive integer"),
    ({"epochs": 2.5}, "epochs must be a positive integer"),
    ({"steps": 3, "eval_every": 0}, "eval_every must be a positive integer"),
])
def test_bad_lengths_are_refused(arguments, words):
    model, optimizer, loader, _ = _problem()
    with pytest.raises(ValueError, match=words):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, **arguments)


# ----- model selection with fit -----------------------------------------------------------------
def _fit_mlp(dataset, lr, hidden=8):
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, hidden), nn.ReLU(), nn.Linear(hidden, 3))
    fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=lr),
        DataLoader(dataset, 16, shuffle=True, generator=0), epochs=8)
    return model


def _accuracy(model, dataset):
    return evaluate(model, DataLoader(dataset, 64))["accuracy"]


def test_select_chooses_a_learning_rate_trained_by_fit():
    train, test = _data(90, seed=1), _data(60, seed=2)
    selection = select(_fit_mlp, _accuracy, train, grid({"lr": [1e-4, 0.3]}), split=KFold(3),
                       seed=0, greater_is_better=True)
    assert selection.best == {"lr": 0.3}   # 1e-4 barely moves in 8 epochs
    assert selection.test(_accuracy, test) > 0.6
    with pytest.raises(RuntimeError, match="already used"):
        selection.test(_accuracy, test)


def test_random_search_over_width_with_a_hold_out():
    candidates = random_search({"hidden": [2, 16], "lr": lambda rng: 10 ** rng.uniform(-1, 0)},
                               3, seed=0)
    selection = select(_fit_mlp, _accuracy, _data(90, seed=1), candidates, split=HoldOut(0.3),
                       seed=0, greater_is_better=True)
    assert selection.best in candidates and len(selection.trials) == 3
    assert selection.model is not None


# ----- data parallel: one `chainrule run -n 2` job (programs/fit_data_parallel.py) -------------
@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    """Each rank's JSON line, by rank, and the folder the job wrote into."""
    out = tmp_path_factory.mktemp("fit_data_parallel")
    job = chainrule_run(2, PROGRAMS / "fit_data_parallel.py", out, timeout=120)
    assert job.returncode == 0, job.stderr[-4000:]
    lines = [json.loads(line) for line in job.stdout.splitlines() if line.startswith("{")]
    return sorted(lines, key=lambda line: line["rank"]), out


def _close(records, expected):
    """Histories equal in steps, epochs and confusion matrices, their losses to round-off."""
    assert [r["step"] for r in records] == [r["step"] for r in expected]
    for record, wanted in zip(records, expected):
        for name, value in wanted.items():
            if isinstance(value, float):
                assert record[name] == pytest.approx(value, rel=1e-5, abs=1e-6), name
            else:
                assert record[name] == value, name


def test_two_ranks_train_as_one_process_on_the_global_batch(two_ranks):
    ranks, _ = two_ranks
    assert [line["rank"] for line in ranks] == [0, 1]
    for line in ranks:
        _close(line["history"], line["reference"])
        assert line["history"] == ranks[0]["history"]   # every rank records the same
        assert line["off_reference"] < 1e-5
        assert line["keys"][0].startswith("module.")    # torch's keys for a DDP model


def test_only_rank_zero_draws_logs_and_saves(two_ranks):
    (zero, one), out = two_ranks
    assert zero["bar_drawn"] and zero["counted"] == 15 and zero["saves"] > 0
    assert not one["bar_drawn"] and one["counted"] == 0 and one["saves_all"] == 0
    assert zero["files"] == ["resumed.csv", "resumed/best.safetensors", "resumed/last.safetensors",
                             "straight.csv", "straight/best.safetensors",
                             "straight/last.safetensors"]
    rows = zero["csv"]["straight.csv"].splitlines()
    assert [row.split(",")[0] for row in rows] == ["step", "4", "8", "12", "15"]
    saved = cr.load(out / "straight" / "last.safetensors")
    assert saved["step"] == 15 and all(key.startswith("module.") for key in saved["model"])


def test_two_ranks_stop_early_where_one_process_stops(two_ranks):
    for line in two_ranks[0]:
        assert line["stopped_at"] == [12, 12]   # the reference stops before its last step, 15


def test_two_ranks_resume_mid_epoch_exactly(two_ranks):
    for line in two_ranks[0]:
        assert line["resumed_equal"] and line["resumed"] == line["history"]
        assert line["csv"]["resumed.csv"] == line["csv"]["straight.csv"]


def test_evaluate_sums_over_the_ranks(two_ranks):
    for line in two_ranks[0]:
        sharded, whole_on_each, one_rank_alone, only_rank_zero_has_data = line["evaluations"]
        for results in (sharded, whole_on_each, only_rank_zero_has_data):
            for name in ("loss", "largest_logit"):
                assert results[name] == pytest.approx(one_rank_alone[name], rel=1e-6), name
            assert results["accuracy"] == one_rank_alone["accuracy"]
            assert results["top2"] == one_rank_alone["top2"]
        for results in (sharded, only_rank_zero_has_data):
            assert results["confusion_matrix"] == one_rank_alone["confusion_matrix"]
        # every rank counted every sample: each count twice
        assert np.array_equal(whole_on_each["confusion_matrix"],
                              2 * np.array(one_rank_alone["confusion_matrix"]))
