"""Datasets that chainrule generates or loads from a package that ships them (never downloaded)."""
from chainrule.data.datasets.mnist1d import MNIST1D, mnist1d, mnist1d_splits
from chainrule.data.datasets.sinusoid import Sinusoid, sinusoid, true_curve

__all__ = ["MNIST1D", "Sinusoid", "mnist1d", "mnist1d_splits", "sinusoid", "true_curve"]
