"""Writing a file so that it appears whole or not at all: checkpoints, figures and tables do."""
import csv
import errno
import io
import os
import pathlib
import tempfile
import uuid


def write_atomically(path, write, name=None):
    """Call write(temporary_path) to fill a file beside path, then rename it over path.

    The rename is atomic on POSIX and Windows within one file system, hence the same directory;
    an interruption (an error, Ctrl-C, a full disk) leaves the old file, if any, and no temporary
    behind. The new file gets the mode the user's umask gives (writers such as safetensors and
    mkstemp make private 0600 files), and its data and the rename are flushed to disk.
    An OSError (no space left, permission denied ...) is raised again as the same OSError
    subclass, its message naming path rather than the temporary, prefixed by name if given.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "xb"):   # created here first to learn the umask's mode
            mode = os.stat(temporary).st_mode & 0o777
        write(temporary)
        os.chmod(temporary, mode)
        _fsync_file(temporary)   # the data reaches the disk before the rename does
        os.replace(temporary, path)
    except BaseException as error:
        if os.path.exists(temporary):
            os.remove(temporary)
        if isinstance(error, OSError) and error.errno is not None:
            raise _write_error(error, path, name) from error
        raise
    _fsync_directory(directory)   # and so does the rename


def write_csv(path, rows, columns=None):
    """rows (dicts) as a CSV table with a header, written atomically. columns: the header (default:
    every key of the rows, in the order first met); a key a row lacks is an empty cell."""
    rows = list(rows)
    columns = list(columns or dict.fromkeys(key for row in rows for key in row))
    table = io.StringIO()
    writer = csv.DictWriter(table, fieldnames=columns, restval="")
    writer.writeheader()
    writer.writerows(rows)
    write_atomically(path, lambda temporary: pathlib.Path(temporary).write_text(
        table.getvalue(), encoding="utf-8"))


def _write_error(error, path, name):
    """The OSError again (OSError(errno, ...) picks the subclass: PermissionError ...), naming
    the file the caller asked for rather than our temporary."""
    prefix = f"{name}: " if name else ""
    if os.path.isdir(path):
        return OSError(error.errno, f"{prefix}cannot write {path}: it is a directory; give the "
                                    "name of a file inside it")
    return OSError(error.errno, f"{prefix}cannot write {path}: {error.strerror or error}; the "
                                "file that was there before, if any, is unchanged")


def _fsync_file(path):
    descriptor = os.open(path, os.O_RDWR)
    try:
        os.fsync(descriptor)   # a delayed write error (a full disk, I/O) surfaces here
    except OSError as error:
        if error.errno not in (errno.EINVAL, errno.ENOTSUP):   # no fsync on this file system
            raise
    finally:
        os.close(descriptor)


def _fsync_directory(path):
    try:
        descriptor = os.open(path, os.O_RDONLY)
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
