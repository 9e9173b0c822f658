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
# The RNG takes seeds below 2**64; 2**63 leaves room for the seed + k some runs derive.
seed_int = checked(int, lambda n: 0 <= n < 2**63, "a seed, a whole number in [0, 2**63)")
# An empty --out would be read as the current folder: the outputs would land among the sources.
folder_name = checked(str, lambda text: text.strip() != "", "a folder name")
