"""The argument types the commands share: each refuses what it cannot take, in one line that
names what was expected and what was given."""
import argparse
import re

import pytest

from chainrule.cli.arguments import folder_name, output_folder, positive_int, seed_int


@pytest.mark.parametrize("parse, text, value", [
    (positive_int, "3", 3), (seed_int, "0", 0), (seed_int, str(2**63 - 1), 2**63 - 1),
    (folder_name, "out/x", "out/x")])
def test_a_good_value_is_converted(parse, text, value):
    assert parse(text) == value


@pytest.mark.parametrize("parse, text, expected", [
    (positive_int, "0", "a positive whole number"),
    (positive_int, "2.5", "a positive whole number"),
    (seed_int, "-1", r"a seed, a whole number in \[0, 2\*\*63\)"),
    (seed_int, str(2**63), r"a seed, a whole number in \[0, 2\*\*63\)"),
    (folder_name, "", "a folder name"),
    (folder_name, "  ", "a folder name")])
def test_a_bad_value_is_refused_naming_what_was_expected(parse, text, expected):
    with pytest.raises(argparse.ArgumentTypeError, match=f"expected {expected}, got {text!r}"):
        parse(text)


def test_the_output_folder_is_made_before_any_work(tmp_path):
    assert output_folder(tmp_path / "a" / "b") == tmp_path / "a" / "b"
    assert (tmp_path / "a" / "b").is_dir()


@pytest.mark.parametrize("below", ["", "sub"])
def test_a_file_in_the_way_of_the_output_folder_is_named(tmp_path, below):
    blocker = tmp_path / "notes.txt"
    blocker.write_text("mine")
    out = blocker / below if below else blocker
    with pytest.raises(ValueError, match=re.escape(
            f"--out {str(out)!r}: {str(blocker)!r} is a file, expected a folder")):
        output_folder(out)
    assert blocker.read_text() == "mine"
