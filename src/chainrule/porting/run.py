"""Run a PyTorch script as __main__ with the import hook installed, as `python script.py` would."""
import os
import runpy
import sys

from chainrule.porting.hook import install, uninstall


def run_script(path, argv=(), force=False):
    """Run the script at `path` as __main__ with sys.argv = [path, *argv], `import torch` giving
    chainrule. Returns the script's exit status (0 unless it raised SystemExit).

    Worker processes started by fork (DataLoader's default on Linux) inherit the hook; a
    process started by spawn begins without it, and its `import torch` would not load chainrule."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"chainrule run: no such script: {path!r}")
    saved_argv, saved_path = sys.argv, sys.path[:]
    sys.argv = [path, *argv]
    sys.path[0:1] = [os.path.dirname(os.path.abspath(path))]   # as `python path` sets it
    install(force=force)
    try:
        runpy.run_path(path, run_name="__main__")
    except SystemExit as exit_:
        return exit_status(exit_.code)
    finally:
        uninstall()
        sys.argv, sys.path[:] = saved_argv, saved_path
    return 0


def exit_status(code):
    """The status sys.exit(code) gives: an int as it is, None 0, anything else printed, 1."""
    if code is None or isinstance(code, int):
        return code or 0
    print(code, file=sys.stderr)   # sys.exit("message") prints the message, status 1
    return 1
