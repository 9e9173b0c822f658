"""The grading kernel: an ipykernel started by `python -m chainrule.labs.kernel --scratch DIR
--memory BYTES -f CONNECTION_FILE`. Before any cell runs it caps the process's memory, stops
Python writing bytecode, imports what the checks lean on, and installs the guard; then it hands
over to ipykernel. The caps are hard limits, so the submission cannot raise them (unless it runs
as root with CAP_SYS_RESOURCE, which labs/README.md says)."""
import argparse
import importlib
import os
import resource
import sys

from chainrule.labs import guard

FILE_SIZE_LIMIT = 1 << 30   # no single file in scratch may grow past 1 GiB


def limit(memory):
    """Cap the address space (a runaway allocation then raises MemoryError or kills the kernel,
    never the machine), file sizes, and core dumps."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m chainrule.labs.kernel")
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--memory", type=int, required=True, help="address-space cap in bytes")
    args, kernel_args = parser.parse_known_args(argv)
    os.chdir(args.scratch)
    sys.dont_write_bytecode = True
    # Loaded before the guard so that what the checks lean on exists to be recorded (by name:
    # nothing here computes with NumPy, which stays backend.py's alone).
    for name in ("numpy", "numpy.testing", "chainrule", "chainrule.labs.checks"):
        importlib.import_module(name)
    from ipykernel import kernelapp   # imported late: the grader's process never needs it
    limit(args.memory)
    guard.install(args.scratch)
    sys.argv = [sys.argv[0], *kernel_args]
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
