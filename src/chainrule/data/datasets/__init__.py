"""Datasets that chainrule generates or loads from a package that ships them (never downloaded)."""
from chainrule.data.datasets.sinusoid import Sinusoid, sinusoid, true_curve

__all__ = ["Sinusoid", "sinusoid", "true_curve"]
