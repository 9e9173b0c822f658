"""The lecture's experiments: each computes its results with the library's parts and returns them
as numbers, for the command line to print and for viz to draw."""
