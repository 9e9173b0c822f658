"""The `chainrule` command: one module per command group, each parsing its arguments and calling
the library, where the work lives."""
import argparse
import sys

from chainrule.cli import backprop_cost, curvefit, demo, experiment, lab, run, train
from chainrule.distributed.group import launched_rank, launched_world_size


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="chainrule", description="chainrule: deep learning from first principles.")
    commands = parser.add_subparsers(dest="command", required=True)
    for group in (curvefit, train, experiment, backprop_cost, lab, demo, run):
        group.add_parser(commands)
    args = parser.parse_args(argv)
    if launched_world_size() > 1 and not getattr(args, "data_parallel", False):
        return _refuse_copies(args)
    return args.run(args)


def _refuse_copies(args):
    """A command started as N processes (`chainrule run -n N -m chainrule ...`) that does not
    train data-parallel would run N copies writing the same files: refused (by rank 0)."""
    if launched_rank() != 0:
        return 0   # rank 0's status ends the job; the others have nothing to add
    name = " ".join(filter(None, (args.command, getattr(args, "task", None))))
    print(f"chainrule {name}: error: this command runs in one process; of the commands, only "
          "`chainrule train mnist1d` (and `chainrule run`) train on several: start it "
          "without -n", file=sys.stderr, flush=True)
    return 2
