"""`chainrule run script.py [args...]`: run an unmodified PyTorch script on chainrule, with
`import torch` (and torch.nn, torch.optim, torch.utils.data ...) resolving to chainrule."""
import argparse
import os
import sys

from chainrule import porting


def add_parser(commands):
    command = commands.add_parser(
        "run", help="run a PyTorch script on chainrule, unchanged",
        description="Run SCRIPT as __main__ with an import hook that makes `import torch` and "
                    "its submodules load chainrule; the arguments after SCRIPT are the script's.")
    command.add_argument("script", help="the PyTorch program (a .py file)")
    command.add_argument("args", nargs=argparse.REMAINDER, help="arguments for the script")
    command.set_defaults(run=run)


def run(args):
    if not os.path.isfile(args.script):
        print(f"chainrule run: no such script: {args.script!r}", file=sys.stderr)
        return 2
    return porting.run_script(args.script, args.args)
