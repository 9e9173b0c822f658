"""`chainrule run [-n N] script.py [args...]`: run an unmodified PyTorch script on chainrule, with
`import torch` (and torch.nn, torch.optim, torch.utils.data ...) resolving to chainrule; with -n,
as N processes of one MPI job (chainrule.distributed), as torchrun would start them."""
import argparse
import os
import sys

from chainrule.cli.arguments import positive_int
from chainrule.cli.rank import run_target
from chainrule.distributed.launch import launch


def add_parser(commands):
    command = commands.add_parser(
        "run", help="run a PyTorch script on chainrule, unchanged; -n N for N processes (MPI)",
        description="Run SCRIPT as __main__ with an import hook that makes `import torch` and "
                    "its submodules load chainrule; the arguments after SCRIPT are the script's. "
                    "With -n N, start N processes of one MPI job (through the MPI launcher, "
                    "mpirun), each running SCRIPT with RANK, WORLD_SIZE and LOCAL_RANK set as "
                    "torchrun sets them; a process that fails ends the job. "
                    "`chainrule run -n N -m chainrule train mnist1d` trains with chainrule's own "
                    "commands.",
        epilog="Several hosts: list them in a hostfile, one per line with its number of slots "
               "('node1 slots=8'), and add --hostfile FILE; each host needs the same Python "
               "environment at the same path.")
    command.add_argument("-n", "--nproc", "--nproc-per-node", "--nproc_per_node",
                         type=positive_int, default=None, dest="nproc",
                         help="start this many processes (MPI ranks) instead of one")
    command.add_argument("--hostfile", help="with -n: the hosts to start the processes on "
                                            "(the MPI launcher's hostfile)")
    command.add_argument("-m", dest="module", action="store_true",
                         help="SCRIPT is a module to run as `python -m` runs it (as torchrun -m)")
    command.add_argument("script", help="the PyTorch program (a .py file), or with -m a module")
    command.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    command.set_defaults(run=run, data_parallel=True)   # its script decides what each rank does


def run(args):
    target = _target(args)
    if target is None:
        print(f"chainrule run: no such script: {args.script!r}", file=sys.stderr)
        return 2
    if args.hostfile is not None and args.nproc is None:
        print("chainrule run: --hostfile needs -n N (the number of processes)", file=sys.stderr)
        return 2
    if args.hostfile is not None and not os.path.isfile(args.hostfile):
        print(f"chainrule run: no such hostfile: {args.hostfile!r}", file=sys.stderr)
        return 2
    if args.nproc is None:
        return run_target(target)
    try:
        return launch(args.nproc, target, args.hostfile)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2


def _target(args):
    """What each process runs: ["script", path, *args], ["module", name, *args], or
    ["chainrule", *args] (chainrule's own commands, given as `-m chainrule` or `chainrule`)."""
    if args.module or (args.script == "chainrule" and not os.path.isfile(args.script)):
        if args.script == "chainrule":
            return ["chainrule", *args.args]
        return ["module", args.script, *args.args]
    if not os.path.isfile(args.script):
        return None
    return ["script", args.script, *args.args]
