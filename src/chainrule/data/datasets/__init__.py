"""Datasets that chainrule generates or loads from a package that ships them (never downloaded)."""
from chainrule.data.datasets.digits import Digits, digits_splits
from chainrule.data.datasets.mnist1d import MNIST1D, mnist1d, mnist1d_splits
from chainrule.data.datasets.numbers import english, german, number_pairs, split_numbers
from chainrule.data.datasets.pairs import PairBatcher, Vocab, read_pairs, split_pairs
from chainrule.data.datasets.ring import (
    Ring, high_quality_share, modes_covered, ring, ring_modes)
from chainrule.data.datasets.sinusoid import Sinusoid, sinusoid, true_curve
from chainrule.data.datasets.text import (
    CORPORA, CharLines, CharVocab, CharWindows, load_corpus, read_text)

__all__ = ["CORPORA", "CharLines", "CharVocab", "CharWindows", "Digits", "MNIST1D", "PairBatcher",
           "Ring", "Sinusoid", "Vocab", "digits_splits", "english", "german",
           "high_quality_share", "load_corpus", "mnist1d", "mnist1d_splits", "modes_covered",
           "number_pairs", "read_pairs", "read_text", "ring", "ring_modes", "sinusoid",
           "split_numbers", "split_pairs", "true_curve"]
