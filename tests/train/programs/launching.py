"""`python -m chainrule run -n N ARGS...` from a test, from the repository root, one BLAS thread
a rank; the job is killed whole (mpirun and every rank) if it outlives its timeout."""
import os
import pathlib
import signal
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
PROGRAMS = pathlib.Path(__file__).resolve().parent


def chainrule_run(nproc, *args, timeout=120):
    """The job's CompletedProcess (returncode, stdout, stderr as text)."""
    command = [sys.executable, "-m", "chainrule", "run", "-n", str(nproc), *map(str, args)]
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"{' '.join(command)} did not end within {timeout} s; stderr:\n{err[-4000:]}")
    return subprocess.CompletedProcess(command, process.returncode, out, err)
