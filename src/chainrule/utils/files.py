"""Writing a file so that it appears whole or not at all: checkpoints and figures both do."""
import os
import pathlib
import tempfile
import uuid


def write_atomically(path, write):
    """Call write(temporary_path) to fill a file beside path, then rename it over path.

    The rename is atomic on POSIX and Windows within one file system, hence the same directory;
    an interruption (an error, Ctrl-C) leaves the old file, if any, and no temporary behind.
    The new file gets the mode the user's umask gives (writers such as safetensors and mkstemp
    make private 0600 files), and its data and the rename are flushed to disk.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "xb"):   # created here first to learn the umask's mode
            mode = os.stat(temporary).st_mode & 0o777
        write(temporary)
        os.chmod(temporary, mode)
        _fsync(temporary, os.O_RDWR)   # the data reaches the disk before the rename does
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise
    _fsync(directory, os.O_RDONLY)     # and so does the rename


def _fsync(path, mode):
    try:
        descriptor = os.open(path, mode)
    except OSError:   # a directory cannot be opened on Windows; nothing more to do there
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def make_writable_folder(folder):
    """Make folder (and its parents) and prove that files can be written there: a folder may
    exist and still refuse them. Raises OSError; callers say who needed the folder, and call
    this before long work, not after it."""
    pathlib.Path(folder).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass
