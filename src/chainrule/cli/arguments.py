"""Argument types the commands share: a value converted, then checked, refused in one line."""
import argparse


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
natural_int = checked(int, lambda n: n >= 0, "a whole number >= 0")
