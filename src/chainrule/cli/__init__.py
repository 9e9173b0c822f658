"""The `chainrule` command: one module per command group, each parsing its arguments and calling
the library, where the work lives."""
import argparse

from chainrule.cli import backprop_cost, curvefit, demo, experiment, lab, run, train


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="chainrule", description="chainrule: deep learning from first principles.")
    commands = parser.add_subparsers(dest="command", required=True)
    for group in (curvefit, train, experiment, backprop_cost, lab, demo, run):
        group.add_parser(commands)
    args = parser.parse_args(argv)
    return args.run(args)
