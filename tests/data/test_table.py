"""read_xt: the CSV files it accepts, and the one-line message for each file it refuses."""
import os

import pytest

from chainrule.data.table import DataFileError, read_xt


def write(tmp_path, content, name="points.csv"):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_bytes(content.encode("utf-8"))
    return path


def refusal(path, **kwargs):
    """The message read_xt gives for path, checked to be one line that names the file."""
    with pytest.raises(DataFileError) as caught:
        read_xt(path, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message, message
    assert os.path.basename(path) in message, message
    return message


# file content -> (what the message must contain)
REFUSED = [
    ("", "points.csv is empty"),
    ("\n\n   \n", "points.csv is empty"),
    ("x,t\n", "points.csv has no data points, only a header or comments"),
    ("# only a comment\n\n", "points.csv has no data points"),
    ("1,2\n3\n", "points.csv, line 2: expected 2 columns (x,t), got 1"),
    ("1,2\n3,4\n5,6\n7,8\n9,10\n11,12\n1,2,3\n",
     "points.csv, line 7: expected 2 columns (x,t), got 3"),
    ("1,2,\n", "line 1: expected 2 columns (x,t), got 3"),
    ("1;2\n", "line 1: expected 2 columns (x,t), got 1 (separate the columns with commas)"),
    ("1\t2\n", "got 1 (separate the columns with commas)"),
    ("x;t\n1;2\n", "line 1: expected 2 columns (x,t), got 1 (separate the columns with commas)"),
    ("x,t,weight\n1,2,3\n", "line 1: expected 2 columns (x,t), got 3"),
    ("1,2\n" + ",".join(["1"] * 1000) + "\n", "line 2: expected 2 columns (x,t), got 1000"),
    ("x,t\n1,2\n3,4\n5,abc\n", "points.csv, line 4: 'abc' in column t is not a number"),
    ("abc,1\n", "line 1: 'abc' in column x is not a number"),
    ("1,2\nx,t\n", "line 2: 'x' in column x is not a number"),  # only the first row is a header
    ("1,\n", "line 1: column t is empty"),
    (" ,2\n", "line 1: column x is empty"),
    ("1_000,2\n", "'1_000' in column x is not a number"),
    ("1,2\n" + "9" * 500 + "x,1\n", "'" + "9" * 30 + "...' in column x is not a number"),
    ("x,t\n1,2\n\n# c\nnan,1\n", "points.csv, line 5: nan in column x is not a finite number"),
    ("NaN,1\n", "line 1: NaN in column x is not a finite number"),
    ("1,inf\n", "line 1: inf in column t is not a finite number"),
    ("1,-Infinity\n", "line 1: -Infinity in column t is not a finite number"),
    ("1e400,1\n", "line 1: 1e400 in column x is not a finite number"),
    ('1,"2\n3,4\n', "points.csv, line 2: unexpected end of data"),
    ('1,"a\nb"\n', r"line 2: 'a\nb' in column t is not a number"),
    ("1,2\n" + "1" * 70000 + "\n", "points.csv, line 2: longer than 65536 characters"),
    ("1,2\n1,\x002\n", "points.csv, line 2: contains a NUL byte"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe", "points.csv is not UTF-8 text"),
    (b"1,2\n" + bytes(range(128, 256)), "points.csv is not UTF-8 text"),
    ("x,t\n".encode("utf-16"), "points.csv is not UTF-8 text"),
]


@pytest.mark.parametrize("content, expected", REFUSED)
def test_a_bad_file_is_refused_with_a_one_line_message(tmp_path, content, expected):
    assert expected in refusal(write(tmp_path, content))


# file content -> (x, t)
ACCEPTED = [
    ("1,2\n3,4\n", ([1, 3], [2, 4])),
    ("x,t\n1,2\n3,4\n", ([1, 3], [2, 4])),
    ("input, target\n1,2\n", ([1], [2])),
    ("\ufeffx,t\n1,2\n", ([1], [2])),
    ("\ufeff1,2\n", ([1], [2])),
    ("x,t\r\n1,2\r\n3,4\r\n", ([1, 3], [2, 4])),
    ("1,2\r3,4\r", ([1, 3], [2, 4])),
    ("\n# made by hand\nx,t\n\n1,2\n   \n# a comment, with \"a quote\n3,4", ([1, 3], [2, 4])),
    ("  1e-3 ,  +0.5\n -2 ,\t.25 \n", ([1e-3, -2], [0.5, 0.25])),
    ('"1","2"\n', ([1], [2])),
    ("1,2\n1,3\n", ([1, 1], [2, 3])),  # duplicate x values are data
]


@pytest.mark.parametrize("content, expected", ACCEPTED)
def test_an_accepted_file_gives_float64_arrays(tmp_path, content, expected):
    x, t = read_xt(write(tmp_path, content))
    assert x.dtype == "float64" and t.dtype == "float64"
    assert x.shape == t.shape == (len(expected[0]),)
    assert x.tolist() == expected[0] and t.tolist() == expected[1]


def test_fewer_points_than_needed(tmp_path):
    path = write(tmp_path, "x,t\n1,2\n2,3\n3,4\n")
    assert refusal(path, min_points=10) == f"{path} has 3 points, fewer than the 10 needed"
    assert read_xt(path, min_points=3)[0].tolist() == [1, 2, 3]


def test_a_missing_file(tmp_path):
    path = tmp_path / "missing.csv"
    assert refusal(path) == f"cannot read {path}: no such file"


def test_a_directory(tmp_path):
    path = tmp_path / "folder.csv"
    path.mkdir()
    assert refusal(path) == f"cannot read {path}: it is a directory"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path):
    path = tmp_path / "pipe.csv"
    os.mkfifo(path)
    assert refusal(path) == f"{path} is not a regular file"


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_is_refused():
    assert refusal("/dev/zero") == "/dev/zero is not a regular file"


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads anything")
def test_an_unreadable_file(tmp_path):
    path = write(tmp_path, "1,2\n")
    path.chmod(0)
    assert refusal(path) == f"cannot read {path}: Permission denied"


def test_a_file_name_with_a_newline_keeps_the_message_one_line(tmp_path):
    path = write(tmp_path, "1,abc\n", name="two\nlines.csv")
    with pytest.raises(DataFileError) as caught:
        read_xt(path)
    assert "\n" not in str(caught.value) and "two\\nlines.csv" in str(caught.value)


def test_a_data_file_error_is_a_value_error(tmp_path):
    with pytest.raises(ValueError):
        read_xt(tmp_path / "missing.csv")
