"""Starting a `chainrule run -n N` job from a test: the command as a user types it, from the
repository root, killed with all its ranks if it outlives its timeout."""
import collections
import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
PROGRAMS = pathlib.Path(__file__).resolve().parent / "programs"


Job = collections.namedtuple("Job", "returncode stdout stderr seconds")


def chainrule_run(nproc, *args, timeout=60):
    """`python -m chainrule run -n nproc ARGS...`: a Job (returncode, stdout, stderr, seconds)."""
    command = [sys.executable, "-m", "chainrule", "run", "-n", str(nproc), *map(str, args)]
    # one BLAS thread per rank, as the launcher would choose (and without its note on stderr)
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    start = time.perf_counter()
    # a session of its own, so that a job that hangs is killed whole: mpirun and every rank
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"{' '.join(command)} did not end within {timeout} s; stderr:\n{err[-4000:]}")
    return Job(process.returncode, out, err, time.perf_counter() - start)


def rank_lines(out, nproc):
    """The JSON line each rank printed (their order on stdout is any), as a list by rank."""
    found = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    by_rank = sorted(found, key=lambda line: line["rank"])
    assert [line["rank"] for line in by_rank] == list(range(nproc)), out
    return by_rank
