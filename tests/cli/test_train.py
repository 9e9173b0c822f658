"""`chainrule train mnist1d`: the run ends with its test accuracy, writes what it promises, resumes
bit-for-bit (also after Ctrl-C), and refuses a bad resume or output folder in one line; under
`chainrule run -n 2` it trains as one process does, rank 0 alone printing and writing."""
import contextlib
import csv
import json
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import chainrule as cr
from chainrule.cli import main
from tests.distributed.launching import chainrule_run


def _weights(folder):
    state = cr.load(folder / "last.safetensors")["model"]
    return {name: tensor.numpy() for name, tensor in state.items()}


def test_a_run_ends_with_its_test_accuracy_and_writes_its_files(tmp_path, capsys):
    assert main(["train", "mnist1d", "--model", "logistic", "--steps", "300",
                 "--out", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert re.fullmatch(r"test accuracy: \d+\.\d%", lines[-1])
    assert "410 parameters" in "\n".join(lines)
    for name in ("last.safetensors", "history.csv", "history.png", "run.json"):
        assert (tmp_path / name).is_file(), name
    assert any((tmp_path / "tensorboard").iterdir())


def test_resume_continues_exactly(tmp_path):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    common = ["train", "mnist1d", "--model", "mlp"]
    assert main([*common, "--steps", "400", "--out", str(straight)]) == 0
    assert main([*common, "--steps", "250", "--out", str(resumed)]) == 0
    assert main([*common, "--steps", "400", "--out", str(resumed), "--resume"]) == 0
    a, b = _weights(straight), _weights(resumed)
    assert all(np.array_equal(a[name], b[name]) for name in a)


# The Ctrl-C tests run the command as a child process. Its start-up (NumPy, matplotlib, and torch
# through tensorboardX) and its first 250 steps take some 10 s alone and minutes on a busy
# machine, so each test waits for what it needs to see (a line, a file), never a fixed time, and
# its limits only stop a hang.
PATIENCE = 600   # seconds


def _train_command(out, steps):
    return [sys.executable, "-m", "chainrule", "train", "mnist1d", "--model", "mlp",
            "--steps", str(steps), "--out", str(out)]


@contextlib.contextmanager
def _child(command):
    """The command running, its output in pipes; killed if the test fails before it ends.

    A shell starts a background job (`pytest &`) with SIGINT ignored, and a child inherits that:
    the interrupt would never arrive. So SIGINT is handled here while the child starts (exec
    gives a handled signal its default action, which Python makes a KeyboardInterrupt)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)
    finally:
        signal.signal(signal.SIGINT, previous)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


def _wait_for(path, process):
    """Wait until path exists. A checkpoint is renamed into place, so once there it is whole."""
    deadline = time.monotonic() + PATIENCE
    while not path.exists():
        if process.poll() is not None:
            pytest.fail(f"the run ended (status {process.returncode}) before writing {path}: "
                        f"{process.communicate()[1]}")
        assert time.monotonic() < deadline, f"no {path} after {PATIENCE} s"
        time.sleep(0.01)


def test_ctrl_c_keeps_the_last_checkpoint_and_resume_finishes(tmp_path):
    out = tmp_path / "run"
    command = _train_command(out, steps=1000)   # checkpoints at steps 250, 500, 750 and 1000
    with _child(command) as process:
        _wait_for(out / "last.safetensors", process)   # the first: training is under way
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=PATIENCE)
    if process.returncode == 0:
        pytest.skip("the run finished before the interrupt arrived")
    assert process.returncode == 130 and "--resume" in err and "Traceback" not in err, err
    assert not list(out.glob(".*.tmp"))   # no half-written checkpoint left beside it
    step = cr.load(out / "last.safetensors")["step"]
    assert 0 < step < 1000
    finished = subprocess.run([*command, "--resume"], capture_output=True, text=True, check=False,
                              timeout=PATIENCE)
    assert finished.returncode == 0 and "test accuracy:" in finished.stdout, finished.stderr
    assert cr.load(out / "last.safetensors")["step"] == 1000


@pytest.mark.parametrize("earlier_run", [False, True])
def test_ctrl_c_before_the_first_checkpoint_says_there_is_nothing_to_resume(tmp_path,
                                                                            earlier_run):
    out = tmp_path / "run"
    earlier = out / "last.safetensors"   # a checkpoint of another run: not this one's to resume
    if earlier_run:
        out.mkdir()
        earlier.write_bytes(b"an earlier run")
    with _child(_train_command(out, steps=1000)) as process:
        # the first line comes (flushed) as the run begins, 250 steps before its first checkpoint
        assert process.stdout.readline().startswith("MNIST-1D, model mlp")
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=PATIENCE)
    assert process.returncode == 130 and "Traceback" not in err, err
    assert "nothing to resume" in err and "--resume" not in err
    assert (earlier.read_bytes() == b"an earlier run") if earlier_run else not earlier.exists()


@pytest.mark.parametrize("prepare, argv, message", [
    (None, ["--resume"], "nothing to resume"),
    ("mlp", ["--model", "cnn", "--resume"], "cannot resume: .* holds a run of"),
    ("truncate", ["--resume"], "cannot resume from"),
])
def test_a_bad_resume_is_refused_in_one_line(tmp_path, capsys, prepare, argv, message):
    base = ["train", "mnist1d", "--steps", "260", "--out", str(tmp_path)]
    if prepare:
        assert main([*base, "--model", "mlp"]) == 0
        if prepare == "truncate":
            path = tmp_path / "last.safetensors"
            path.write_bytes(path.read_bytes()[:100])
        capsys.readouterr()
    argv = argv if "--model" in argv else ["--model", "mlp", *argv]
    assert main([*base, *argv]) == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1 and re.search(message, error)


def test_an_output_folder_that_cannot_be_written(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    assert main(["train", "mnist1d", "--out", str(tmp_path / "file" / "run")]) == 2
    assert "cannot write into" in capsys.readouterr().err


# ----- data parallel: `chainrule run -n N -m chainrule train mnist1d` --------------------------
# A launch costs some 3 s of start-up, and 40 steps of the CNN about as much again.
@pytest.fixture(scope="module")
def one_and_two(tmp_path_factory):
    """The same 40 steps run by one process (in this one) and by two: (stdout, folder) each."""
    one, two = tmp_path_factory.mktemp("one"), tmp_path_factory.mktemp("two")
    argv = ["train", "mnist1d", "--steps", "40"]
    alone = subprocess.run([sys.executable, "-m", "chainrule", *argv, "--out", str(one)],
                           capture_output=True, text=True, timeout=120, check=False)
    assert alone.returncode == 0, alone.stderr
    job = chainrule_run(2, "-m", "chainrule", *argv, "--out", two, timeout=120)
    assert job.returncode == 0, job.stderr[-4000:]
    return (alone.stdout, one), (job.stdout, two)


def _rows(folder):
    with open(folder / "history.csv", newline="") as file:
        return list(csv.DictReader(file))


def test_two_processes_train_as_one(one_and_two):
    (_, one), (_, two) = one_and_two
    rows_one, rows_two = _rows(one), _rows(two)
    assert [row["step"] for row in rows_two] == [row["step"] for row in rows_one] == ["40"]
    for alone, shared in zip(rows_one, rows_two):
        assert shared["val_accuracy"] == alone["val_accuracy"]
        for name in ("train_loss", "val_loss"):
            assert float(shared[name]) == pytest.approx(float(alone[name]), abs=1e-4)
    a, b = _weights(one), _weights(two)
    assert sorted(b) == sorted(f"module.{name}" for name in a)   # DistributedDataParallel's keys
    assert all(np.allclose(a[name], b[f"module.{name}"], atol=1e-4) for name in a)


def test_two_processes_print_and_write_once(one_and_two):
    (out_one, one), (out_two, two) = one_and_two
    lines = out_two.strip().splitlines()
    assert len(lines) == 4, out_two   # the header, parameters, files, accuracy: once each
    assert "batch 100, 50 on each of 2 processes" in lines[0]
    assert lines[-1] == out_one.strip().splitlines()[-1]   # the same test accuracy
    assert sorted(p.name for p in two.iterdir()) == sorted(p.name for p in one.iterdir())
    assert json.loads((two / "run.json").read_text())["data_parallel"] is True


# 10 s; fit's own resume under two processes is checked exactly in tests/train/test_loop.py
@pytest.mark.slow
def test_two_processes_resume_exactly(one_and_two, tmp_path):
    _, (_, straight) = one_and_two
    command = ["-m", "chainrule", "train", "mnist1d", "--out", tmp_path]
    assert chainrule_run(2, *command, "--steps", "20", timeout=120).returncode == 0
    job = chainrule_run(2, *command, "--steps", "40", "--resume", timeout=120)
    assert job.returncode == 0 and job.stdout.count("test accuracy") == 1, job.stderr[-4000:]
    assert [row["step"] for row in _rows(tmp_path)] == ["20", "40"]
    a, b = _weights(straight), _weights(tmp_path)
    assert all(np.array_equal(a[name], b[name]) for name in a)


@pytest.mark.parametrize("processes, argv, message", [
    (3, [], "the batch of 100 cannot be shared evenly by 3 processes: run 1, 2, 4, 5"),
    (2, ["--resume"], "cannot resume: .* holds a run of .*, not .*'data_parallel': True"),
])
def test_two_processes_refuse_in_one_line_from_rank_zero(one_and_two, processes, argv, message):
    (_, one), _ = one_and_two
    job = chainrule_run(processes, "-m", "chainrule", "train", "mnist1d", "--steps", "40",
                        "--out", one, *argv)
    assert job.returncode == 2 and job.stdout == ""
    errors = [line for line in job.stderr.splitlines() if "chainrule train: error" in line]
    assert len(errors) == 1 and re.search(message, errors[0]), job.stderr
