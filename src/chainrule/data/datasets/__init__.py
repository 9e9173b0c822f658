"""Datasets that chainrule generates or loads from a package that ships them (never downloaded)."""
from chainrule.data.datasets.mnist1d import MNIST1D, mnist1d, mnist1d_splits
from chainrule.data.datasets.sinusoid import Sinusoid, sinusoid, true_curve
from chainrule.data.datasets.text import (
    CORPORA, CharLines, CharVocab, CharWindows, load_corpus, read_text)

__all__ = ["CORPORA", "CharLines", "CharVocab", "CharWindows", "MNIST1D", "Sinusoid", "load_corpus",
           "mnist1d", "mnist1d_splits", "read_text", "sinusoid", "true_curve"]
