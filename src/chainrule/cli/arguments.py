"""Argument types the commands share: a value converted, then checked, refused in one line; and
the output folder, made ready before any work."""
import argparse
import pathlib

from chainrule.utils.files import make_writable_folder


def checked(convert, valid, expected):
    """An argparse type: convert the text, then refuse it unless valid(value)."""
    def parse(text):
        try:
            value = convert(text)
        except ValueError:
            value = None
        if value is None or not valid(value):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value
    return parse


positive_int = checked(int, lambda n: n >= 1, "a positive whole number")
# The RNG takes seeds below 2**64; 2**63 leaves room for the seed + k some runs derive.
seed_int = checked(int, lambda n: 0 <= n < 2**63, "a seed, a whole number in [0, 2**63)")
# An empty --out would be read as the current folder: the outputs would land among the sources.
folder_name = checked(str, lambda text: text.strip() != "", "a folder name")


def output_folder(out):
    """The folder --out names, made and checked writable before any work, so that a bad --out
    costs nothing; a ValueError in the option's words otherwise (mkdir's own "File exists" or
    "Not a directory" names neither the option nor what is in the way)."""
    out = pathlib.Path(out)
    try:
        make_writable_folder(out)
    except OSError as error:
        blocker = next((p for p in (out, *out.parents) if p.exists() and not p.is_dir()), None)
        reason = (f"cannot write files into it ({error.strerror or error})" if blocker is None
                  else f"{str(blocker)!r} is a file, expected a folder")
        raise ValueError(f"--out {str(out)!r}: {reason}") from None
    return out
