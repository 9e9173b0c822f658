"""The grading kernel: an ipykernel started by `python -m chainrule.labs.kernel --scratch DIR
--evidence DIR --memory BYTES -f CONNECTION_FILE`. Before any cell runs it caps the process's
memory, stops Python writing bytecode, imports what the checks lean on, installs the guard and,
when started as root, becomes an unprivileged user (nobody, or $CHAINRULE_LAB_USER); then it
hands over to ipykernel. The caps are hard limits: an unprivileged process cannot raise them."""
import argparse
import importlib
import os
import pathlib
import pwd
import resource
import shutil
import stat
import sys

from chainrule.labs import guard

FILE_SIZE_LIMIT = 1 << 30   # no single file in scratch may grow past 1 GiB


def limit(memory):
    """Cap the address space (a runaway allocation then raises MemoryError or kills the kernel,
    never the machine), file sizes, and core dumps."""
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def drop_privileges(home, connection_file, modules):
    """As root, become the grading user and give it home (the scratch and evidence folders);
    return the connection file's path, copied where that user can read it. Not root, no such
    user, or a Python or modules that user could not read: stay as is (the guard alone then
    stands; labs/README.md says so)."""
    name = os.environ.get("CHAINRULE_LAB_USER", "nobody")
    if os.geteuid() != 0 or not name or not _readable_by_others(modules):
        return connection_file
    try:
        user = pwd.getpwnam(name)
    except KeyError:
        return connection_file
    copy = pathlib.Path(home) / "connection.json"
    shutil.copy(connection_file, copy)
    for path in [pathlib.Path(home), *pathlib.Path(home).rglob("*")]:
        os.chown(path, user.pw_uid, user.pw_gid, follow_symlinks=False)
    os.setgroups([])
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)
    return str(copy)


def _readable_by_others(modules):
    """Whether this Python, its standard library and modules sit where any user may read them."""
    paths = [sys.executable, sys.prefix, os.path.dirname(os.__file__)]
    paths += [os.path.dirname(module.__file__) for module in modules]
    return all(_world_readable(pathlib.Path(path).resolve()) for path in paths)


def _world_readable(path):
    for folder in [*path.parents, path]:
        mode = folder.stat().st_mode
        if not mode & stat.S_IROTH or (stat.S_ISDIR(mode) and not mode & stat.S_IXOTH):
            return False
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m chainrule.labs.kernel")
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--evidence", required=True)
    parser.add_argument("--memory", type=int, required=True, help="address-space cap in bytes")
    parser.add_argument("-f", dest="connection_file", required=True)
    args, kernel_args = parser.parse_known_args(argv)
    os.chdir(args.scratch)
    sys.dont_write_bytecode = True
    # Loaded before the guard so that what the checks lean on exists to be recorded (by name:
    # nothing here computes with NumPy, which stays backend.py's alone).
    modules = [importlib.import_module(name)
               for name in ("numpy", "numpy.testing", "chainrule", "chainrule.labs.checks")]
    from ipykernel import kernelapp   # imported late: the grader's process never needs it
    home = pathlib.Path(args.scratch).parent   # holds scratch and evidence, nothing else
    connection_file = drop_privileges(home, args.connection_file, [*modules, kernelapp])
    limit(args.memory)
    guard.install(args.scratch, args.evidence)
    sys.argv = [sys.argv[0], "-f", connection_file, *kernel_args]
    kernelapp.launch_new_instance()


if __name__ == "__main__":
    main()
