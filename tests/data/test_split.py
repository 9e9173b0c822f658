"""random_split: torch's lengths (its rounding of fractions), disjoint parts that cover the
dataset, reproducible from a seed."""
import warnings

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.data import Generator, random_split


def _torch_lengths(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return [len(part) for part in torch.utils.data.random_split(range(n), lengths)]


@pytest.mark.parametrize("n, lengths", [
    (10, [3, 7]), (10, [0.33, 0.33, 0.34]), (11, [0.5, 0.5]), (7, [0.1, 0.1, 0.8]),
    (5, [1, 0]), (100, [0.8, 0.1, 0.1]), (3, [1.0])])
def test_lengths_match_torch(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = random_split(range(n), lengths, generator=0)
    assert [len(p) for p in parts] == _torch_lengths(n, lengths)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 60), weights=st.lists(st.integers(1, 9), min_size=1, max_size=5),
       seed=st.integers(0, 1000))
def test_fractions_split_like_torch_into_disjoint_covering_parts(n, weights, seed):
    fractions = [w / sum(weights) for w in weights]
    try:
        expected = _torch_lengths(n, fractions)
    except ValueError:   # rounding made the fractions sum just above 1: torch refuses, so do we
        with pytest.raises(ValueError):
            random_split(range(n), fractions)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = random_split(range(n), fractions, generator=seed)
    assert [len(p) for p in parts] == expected
    samples = [p[i] for p in parts for i in range(len(p))]
    assert sorted(samples) == list(range(n))


def test_reproducible_from_a_seed():
    def split(generator):
        return [list(p.indices) for p in random_split(range(30), [10, 20], generator=generator)]
    assert split(Generator().manual_seed(4)) == split(Generator().manual_seed(4)) == split(4)
    assert split(4) != split(5)


def test_a_generator_leaves_the_global_one_alone():
    cr.manual_seed(0)
    state = cr.get_rng_state()
    random_split(range(30), [10, 20], generator=Generator().manual_seed(4))
    assert cr.get_rng_state().equal(state)
    random_split(range(30), [10, 20])          # without one, the global generator draws
    assert not cr.get_rng_state().equal(state)


def test_empty_part_warns_as_torch_does():
    with pytest.warns(UserWarning, match="split at index 1 is 0"):
        random_split(range(3), [0.9, 0.1])


@pytest.mark.parametrize("lengths, message", [
    ([3, 3], r"sum to 6, but the dataset has 10 samples"),
    ([2.5, 7.5], "non-negative integers"),
    ([-1, 11], "non-negative integers"),
    ([1.5, -0.5], "fraction 1.5 at index 0 is not between 0 and 1"),
])
def test_bad_lengths(lengths, message):
    with pytest.raises(ValueError, match=rf"random_split: .*{message}"):
        random_split(range(10), lengths)
