"""utils.files.write_csv: a header and the rows, whole or not at all."""
import csv

import pytest

from chainrule.utils.files import write_csv


def test_rows_of_different_keys_share_one_header_and_a_missing_key_is_an_empty_cell(tmp_path):
    path = tmp_path / "history.csv"
    write_csv(path, [{"step": 1, "loss": 2.5}, {"step": 2, "accuracy": 0.5}])
    with open(path, newline="") as file:
        assert list(csv.reader(file)) == [["step", "loss", "accuracy"], ["1", "2.5", ""],
                                         ["2", "", "0.5"]]


def test_given_columns_order_the_header(tmp_path):
    path = tmp_path / "t.csv"
    write_csv(path, [{"b": 1, "a": "x, y"}], columns=["a", "b"])
    with open(path, newline="") as file:
        assert list(csv.reader(file)) == [["a", "b"], ["x, y", "1"]]


def test_a_failed_write_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("old\n")
    with pytest.raises(ValueError):   # a row with a key outside the given columns
        write_csv(path, [{"a": 1, "c": 2}], columns=["a"])
    assert path.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]
