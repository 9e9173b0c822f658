"""Starting a job: the launcher's command line (with the flags this machine needs), and launched
jobs: a rank that raises, exits with a status or is killed ends the whole job within seconds
with its error shown, and one that leaves makes the others' collectives time out, never a hang; each rank gets torchrun's variables; a module or chainrule's
own command runs as the target."""
import os
import sys

import pytest

from chainrule.distributed import launch
from tests.distributed.launching import PROGRAMS, chainrule_run, rank_lines

FAILING = PROGRAMS / "failing.py"


# ----- the command line --------------------------------------------------------------------------
def test_the_launcher_is_the_mpirun_installed_beside_this_python():
    found = launch.find_launcher()
    assert os.path.dirname(found) == os.path.dirname(sys.executable)
    assert os.path.basename(found) in ("mpirun", "mpiexec")


@pytest.mark.parametrize("root", [True, False], ids=["as root", "as a user"])
def test_the_command_oversubscribes_and_allows_root_only_as_root(monkeypatch, root):
    monkeypatch.setattr(launch.os, "geteuid", lambda: 0 if root else 1000)
    command = launch.launcher_command(4, ["script", "train.py", "--lr", "0.1"])
    assert command[0] == launch.find_launcher()
    assert "--oversubscribe" in command
    assert ("--allow-run-as-root" in command) == root
    n = command.index("-n")
    assert command[n + 1] == "4"
    # each rank: this Python running chainrule.cli.rank's main on the target, arguments and all
    assert command[n + 2] == sys.executable and "chainrule.cli.rank" in command[n + 4]
    assert command[-4:] == ["script", "train.py", "--lr", "0.1"]


def test_the_command_passes_the_hostfile_and_the_environment_to_other_hosts(monkeypatch):
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    command = launch.launcher_command(2, ["module", "pkg.train"], hostfile="hosts.txt")
    assert command[command.index("--hostfile") + 1] == "hosts.txt"
    assert command[command.index("PYTHONPATH") - 1] == "-x"


@pytest.mark.parametrize("nproc", [0, -1, True, "2", 1.5])
def test_a_number_of_processes_that_is_not_a_positive_int_is_refused(nproc):
    with pytest.raises(ValueError, match=f"-n must be a positive number of processes, got "
                                         f"{nproc!r}"):
        launch.launcher_command(nproc, ["script", "train.py"])


# ----- launched jobs -----------------------------------------------------------------------------
def test_a_rank_that_raises_ends_the_job_with_its_traceback_within_seconds():
    code, out, err, seconds = chainrule_run(2, FAILING, "raise")
    assert code != 0
    assert seconds < 20
    assert "Traceback (most recent call last)" in err and str(FAILING) in err
    assert "ValueError: boom: rank 1 gave up" in err
    assert "chainrule run: rank 1 failed (exit status 1); ending the job" in err
    assert "runpy" not in err   # the traceback starts at the user's program
    assert "rank 0 waits in all_reduce" in out and "was not stopped" not in out


def test_a_rank_that_exits_with_a_status_ends_the_job_with_that_status():
    code, out, err, seconds = chainrule_run(2, FAILING, "exit")
    assert code == 3, err[-3000:]
    assert seconds < 20
    assert "chainrule run: rank 1 failed (exit status 3); ending the job" in err
    assert "was not stopped" not in out


def test_a_rank_killed_by_a_signal_ends_the_job():
    code, out, err, seconds = chainrule_run(2, FAILING, "kill")
    assert code != 0, err[-3000:]
    assert seconds < 20
    assert "rank 1" in err and "signal 9" in err   # the launcher says which rank died, and how
    assert "was not stopped" not in out


def test_a_collective_whose_partner_left_raises_at_the_groups_timeout():
    code, out, err, seconds = chainrule_run(2, FAILING, "leave")
    assert code != 0 and seconds < 20, err[-3000:]
    assert "RuntimeError: all_reduce: timed out after 2 s waiting for the other ranks" in err
    assert "chainrule run: rank 0 failed (exit status 1); ending the job" in err
    assert "was not stopped" not in out


@pytest.mark.parametrize("target", [
    ["-m", "tests.distributed.programs.environment", "a", "--b"],
    ["-m", "chainrule", "run", PROGRAMS / "environment.py", "a", "--b"]],
    ids=["a module", "chainrule's own run command"])
def test_each_rank_runs_the_target_with_torchruns_variables(target):
    code, out, err, _ = chainrule_run(2, *target)
    assert code == 0, err[-3000:]
    for line in rank_lines(out, 2):
        rank = str(line["rank"])
        assert line["environment"] == {"RANK": rank, "WORLD_SIZE": "2", "LOCAL_RANK": rank,
                                       "LOCAL_WORLD_SIZE": "2", "MASTER_ADDR": "localhost",
                                       "MASTER_PORT": "29500"}
        assert line["name"] == "__main__" and line["argv"] == ["a", "--b"]
        assert line["library"] == "chainrule"   # `import torch` gave chainrule
