"""One rank of a `chainrule run -n N` job (started by chainrule.distributed.launch through the MPI
launcher): it sets the environment variables torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK ...),
runs the target, and if the target raises or exits with an error, prints it and calls MPI_Abort.
A rank that merely exited would leave the others waiting in a collective (and itself in
MPI_Finalize), so the job would hang instead of ending."""
import os
import runpy
import sys
import traceback

from chainrule import porting
from chainrule.porting.run import exit_status

__all__ = ["main", "run_target"]


def main(argv):
    """Run one rank's target; a failure ends the whole job (see the module's docstring)."""
    from mpi4py import MPI
    _set_torchrun_variables(MPI.COMM_WORLD, MPI.COMM_TYPE_SHARED)
    try:
        status = run_target(argv)
    except BaseException as error:   # KeyboardInterrupt too: the job must end, not wait for it
        _print_error(error)
        status = 130 if isinstance(error, KeyboardInterrupt) else 1
    if status:
        rank = MPI.COMM_WORLD.Get_rank()
        print(f"chainrule run: rank {rank} failed (exit status {status}); ending the job",
              file=sys.stderr, flush=True)
        sys.stdout.flush()
        MPI.COMM_WORLD.Abort(status)
    return 0


def run_target(target):
    """Run target (see distributed.launch.launch) in this process; returns its exit status."""
    try:
        return _run(target)
    except SystemExit as exit_:
        return exit_status(exit_.code)


def _run(target):
    kind, rest = target[0], target[1:]
    if kind == "script":
        return porting.run_script(rest[0], rest[1:])
    if kind not in ("module", "chainrule"):
        raise ValueError(f"chainrule.cli.rank: unknown target kind {kind!r}")
    # chainrule's own commands run without the import hook: the libraries they use (tensorboardX)
    # look for the real torch and must not be handed chainrule in its place
    module = "chainrule" if kind == "chainrule" else rest.pop(0)
    sys.argv = [module, *rest]
    if kind == "module":
        porting.install()
    runpy.run_module(module, run_name="__main__", alter_sys=True)
    return 0


def _print_error(error):
    """The traceback as `python script.py` prints it: from the program's own frames on, without
    this launcher's and runpy's."""
    tb = error.__traceback__
    ours = (__file__, os.path.join(os.path.dirname(os.path.dirname(__file__)), "porting",
                                   "run.py"))
    while tb is not None and tb.tb_next is not None and (
            tb.tb_frame.f_code.co_filename in ours or "runpy" in tb.tb_frame.f_code.co_filename):
        tb = tb.tb_next
    traceback.print_exception(type(error), error, tb)


def _set_torchrun_variables(world, shared_memory):
    """RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT, as torchrun
    sets them, for programs that read them (MASTER_* are placeholders: MPI connects the ranks)."""
    local = world.Split_type(shared_memory)   # the ranks of this host
    os.environ.update(RANK=str(world.Get_rank()), WORLD_SIZE=str(world.Get_size()),
                      LOCAL_RANK=str(local.Get_rank()), LOCAL_WORLD_SIZE=str(local.Get_size()))
    os.environ.setdefault("MASTER_ADDR", "localhost")
    os.environ.setdefault("MASTER_PORT", "29500")
    local.Free()
