"""chainrule.multiprocessing: spawn runs fn for this process's rank of an MPI launch, so the DDP
tutorial's mp.spawn program runs unchanged under `chainrule run -n 2`; without a launch it runs
one process here and refuses more with how to start them."""
import pathlib
import subprocess
import sys

import pytest

import chainrule as cr
import chainrule.multiprocessing as mp

TUTORIAL = pathlib.Path(__file__).with_name("ddp_tutorial.py")


def test_spawn_of_one_process_calls_fn_with_rank_0_here():
    calls = []
    mp.spawn(lambda rank, a, b: calls.append((rank, a, b)), args=(1, "x"), nprocs=1)
    assert calls == [(0, 1, "x")]


def test_spawn_of_more_processes_without_a_launch_says_how_to_start_them():
    with pytest.raises(RuntimeError, match=r"spawn: .* run the program as `chainrule run -n 2"):
        mp.spawn(print, nprocs=2)
    with pytest.raises(ValueError, match="spawn: nprocs must be a positive integer, got 0"):
        mp.spawn(print, nprocs=0)


def test_pythons_multiprocessing_is_there_under_torchs_name():
    assert mp.Queue is __import__("multiprocessing").Queue and cr.multiprocessing is mp
    assert mp.get_sharing_strategy() == "file_system"


def test_the_ddp_tutorial_runs_unchanged_under_chainrule_run():
    result = subprocess.run([sys.executable, "-m", "chainrule", "run", "-n", "2", str(TUTORIAL)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    for demo in ("basic DDP example", "DDP checkpoint example"):
        for rank in (0, 1):
            assert f"Finished running {demo} on rank {rank}." in result.stdout
