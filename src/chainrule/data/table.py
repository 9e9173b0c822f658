"""Reading a user's own (x, t) points from a CSV file. Every bad file is refused with a
DataFileError whose message is one line naming the file, the line and what is wrong."""
import csv
import math
import os
import stat
from array import array

from chainrule.backend import float64, xp

COLUMNS = ("x", "t")
# An x,t line is a few dozen characters; reading stops at this length, so a file without
# newlines (or a field of a million commas) is refused before it is held in memory whole.
MAX_LINE_CHARS = 1 << 16
SHOWN_CHARS = 30  # a bad value is quoted up to this length, so the message stays readable


class DataFileError(ValueError):
    """A data file that cannot be used; str(error) is one line that names the file."""


def read_xt(path, min_points=1):
    """The points of a CSV file with two columns, x and t, as two float64 arrays of shape (N,).

    Accepted: one header line (the first row that is not blank or a comment, if it has two
    fields and neither is a number), blank lines, '#' comment lines, surrounding whitespace, a UTF-8 BOM,
    \\r\\n line endings. Duplicate x values are data, not errors.
    Raises DataFileError for anything else, and when the file has fewer than min_points points.
    """
    name = _display_name(path)
    with _open_regular_file(path, name) as file:
        x, t = _read_points(file, name)
    if len(x) < min_points:
        raise DataFileError(f"{name} has {len(x)} points, fewer than the {min_points} needed")
    return xp.array(x, dtype=float64), xp.array(t, dtype=float64)


def _display_name(path):
    # A file name may hold a newline or a control character; ascii() keeps the message one line.
    name = os.fsdecode(os.fspath(path))
    return name if name.isprintable() else ascii(name)


def _open_regular_file(path, name):
    """The file opened as UTF-8 text; a missing file, a directory, a FIFO or a device is refused.

    O_NONBLOCK because opening a FIFO for reading otherwise waits forever for a writer; the type
    is checked with fstat on the opened descriptor, so the file checked is the file read.
    """
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise DataFileError(f"cannot read {name}: no such file") from None
    except OSError as error:
        raise DataFileError(f"cannot read {name}: {error.strerror or error}") from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        if stat.S_ISDIR(mode):
            raise DataFileError(f"cannot read {name}: it is a directory")
        raise DataFileError(f"{name} is not a regular file")
    # utf-8-sig drops the BOM that spreadsheets write; newline="" is what the csv module expects.
    return os.fdopen(descriptor, encoding="utf-8-sig", newline="")


def _read_points(file, name):
    """The x and t columns, streamed row by row into compact arrays of doubles."""
    lines = _ContentLines(file, name)
    x, t = array("d"), array("d")
    first_row = True
    try:
        for row in csv.reader(lines, strict=True):
            if first_row and _is_header(row):
                first_row = False
                continue
            first_row = False
            x_value, t_value = _point(row, f"{name}, line {lines.number}")
            x.append(x_value)
            t.append(t_value)
    except csv.Error as error:
        raise DataFileError(f"{name}, line {lines.number}: {error}") from None
    except UnicodeDecodeError:
        raise DataFileError(f"{name} is not UTF-8 text (a spreadsheet or a binary file? "
                            f"save it as CSV)") from None
    if not lines.any_text:
        raise DataFileError(f"{name} is empty")
    if not x:
        raise DataFileError(f"{name} has no data points, only a header or comments")
    return x, t


class _ContentLines:
    """The file's lines for csv.reader, less blank and '#' comment lines. They are skipped here,
    before csv sees them, so that a quote inside a comment cannot open a field. `number` is the
    file's own line number of the last line handed out; `any_text` says if any line was not blank.
    """

    def __init__(self, file, name):
        self.file, self.name, self.number, self.any_text = file, name, 0, False

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            line = self.file.readline(MAX_LINE_CHARS + 1)
            if not line:
                raise StopIteration
            self.number += 1
            where = f"{self.name}, line {self.number}"
            if len(line) > MAX_LINE_CHARS:
                raise DataFileError(f"{where}: longer than {MAX_LINE_CHARS} characters")
            if "\0" in line:
                raise DataFileError(f"{where}: contains a NUL byte (is it a binary file?)")
            text = line.strip()
            self.any_text = self.any_text or bool(text)
            if text and not text.startswith("#"):
                return line


def _is_header(row):
    # Only a row of the right width: "x;t" is then reported as a delimiter problem at line 1.
    return len(row) == len(COLUMNS) and not any(_parse_float(field) is not None for field in row)


def _point(row, where):
    if len(row) != len(COLUMNS):
        # A single field with ';', a tab or a space in it is likely another delimiter.
        hint = (" (separate the columns with commas)"
                if len(row) == 1 and any(c in row[0].strip() for c in ";\t ") else "")
        raise DataFileError(f"{where}: expected 2 columns (x,t), got {len(row)}{hint}")
    return tuple(_number(text, column, where) for text, column in zip(row, COLUMNS))


def _number(text, column, where):
    text = text.strip()
    if not text:
        raise DataFileError(f"{where}: column {column} is empty")
    value = _parse_float(text)
    if value is None:
        raise DataFileError(f"{where}: {_shorten(text)!r} in column {column} is not a number")
    if not math.isfinite(value):
        raise DataFileError(f"{where}: {_shorten(text)} in column {column} "
                            f"is not a finite number")
    return value


def _parse_float(text):
    """float(text), or None if it is not a number. float() reads "1_000" as 1000, which no
    spreadsheet writes, so an underscore is refused rather than silently read."""
    if "_" in text:
        return None
    try:
        return float(text)
    except ValueError:
        return None


def _shorten(text):
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."
