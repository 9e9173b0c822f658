"""Samplers: torch's indices where they are deterministic (sequential, batches), torch's laws
where they are random (every index once per permutation, lazily drawn, weights respected),
reproducible from a generator; bad arguments refused as torch does. DistributedSampler's tests
are in test_distributed.py."""
import itertools
import time
import tracemalloc

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.utils.data import (
    BatchSampler, RandomSampler, SequentialSampler, SubsetRandomSampler, WeightedRandomSampler)


@pytest.mark.parametrize("n, batch_size, drop_last", [
    (10, 3, False), (10, 3, True), (9, 3, True), (2, 5, False), (0, 2, False)])
def test_sequential_and_batch_samplers_match_torch(n, batch_size, drop_last):
    assert list(SequentialSampler(range(n))) == list(torch.utils.data.SequentialSampler(range(n)))
    ours = BatchSampler(SequentialSampler(range(n)), batch_size, drop_last)
    theirs = torch.utils.data.BatchSampler(range(n), batch_size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_random_sampler_with_replacement_is_lazy():
    sampler = RandomSampler(range(7), replacement=True, num_samples=10**10, generator=0)
    assert len(sampler) == 10**10
    tracemalloc.start()
    start = time.perf_counter()
    first = list(itertools.islice(iter(sampler), 100))
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 1 and peak < 1 << 20 and set(first) <= set(range(7))
    assert first == list(itertools.islice(iter(RandomSampler(
        range(7), replacement=True, num_samples=10**10, generator=0)), 100))   # reproducible
    loader = cr.utils.data.DataLoader(range(7), batch_size=4, sampler=sampler)
    assert len(loader) == 25 * 10**8 and next(iter(loader)).shape == (4,)


def test_random_sampler_without_replacement_concatenates_permutations_lazily():
    sampler = RandomSampler(range(5), num_samples=13, generator=cr.Generator().manual_seed(2))
    drawn = list(sampler)
    assert len(drawn) == len(sampler) == 13
    assert sorted(drawn[:5]) == sorted(drawn[5:10]) == list(range(5))   # whole permutations
    assert len(set(drawn[10:])) == 3                                    # then part of one
    huge = RandomSampler(range(1000), num_samples=10**12, generator=0)
    assert sorted(itertools.islice(iter(huge), 1000)) == list(range(1000))
    assert drawn != list(sampler)                                       # a new order each epoch


def test_random_sampler_without_a_generator_uses_the_global_seed():
    cr.manual_seed(11)
    first = list(RandomSampler(range(20)))
    cr.manual_seed(11)
    assert list(RandomSampler(range(20))) == first and sorted(first) == list(range(20))


# each random sampler, made with a generator= (a Generator or an int seed)
RANDOM_SAMPLERS = {
    "RandomSampler": lambda g: RandomSampler(range(20), generator=g),
    "RandomSampler(replacement)": lambda g: RandomSampler(range(20), True, 30, generator=g),
    "SubsetRandomSampler": lambda g: SubsetRandomSampler(list(range(5, 25)), generator=g),
    "WeightedRandomSampler": lambda g: WeightedRandomSampler([1.0, 2.0, 3.0, 4.0] * 5, 30,
                                                             generator=g),
}


@pytest.mark.parametrize("make", RANDOM_SAMPLERS.values(), ids=RANDOM_SAMPLERS)
def test_a_generator_reproduces_the_draws_and_leaves_the_global_one_alone(make):
    cr.manual_seed(0)
    state = cr.get_rng_state()
    first = make(cr.Generator().manual_seed(3))
    epochs = [list(first), list(first)]
    assert epochs[0] != epochs[1]                         # a new draw each epoch
    again = make(3)
    assert [list(again), list(again)] == epochs           # an int seed is the same Generator
    assert list(make(4)) != epochs[0]
    assert cr.get_rng_state().equal(state)                # the global generator was not used


def test_subset_random_sampler():
    indices = [3, 9, 4, 12]
    drawn = list(SubsetRandomSampler(indices, generator=0))
    assert sorted(drawn) == sorted(indices) and len(SubsetRandomSampler(indices)) == 4
    assert drawn == list(SubsetRandomSampler(indices, generator=0))


def test_weighted_random_sampler():
    weights = [0.0, 1.0, 3.0, 0.0, 6.0]
    drawn = np.array(list(WeightedRandomSampler(weights, 20000, generator=0)))
    frequencies = np.bincount(drawn, minlength=5) / len(drawn)
    np.testing.assert_allclose(frequencies, np.array(weights) / 10, atol=0.015)
    unique = list(WeightedRandomSampler(cr.tensor(weights), 3, replacement=False, generator=0))
    assert sorted(unique) == [1, 2, 4]
    assert len(WeightedRandomSampler(weights, 7)) == 7


@pytest.mark.parametrize("make, error, message", [
    (lambda: RandomSampler(range(3), num_samples=0), ValueError,
     "num_samples should be a positive integer value, but got num_samples=0"),
    (lambda: RandomSampler(range(3), replacement=1), TypeError,
     "replacement should be a boolean value, but got replacement=1"),
    (lambda: WeightedRandomSampler([1.0, 2.0], 0), ValueError,
     "num_samples should be a positive integer value, but got num_samples=0"),
    (lambda: WeightedRandomSampler([[1.0, 2.0]], 1), ValueError,
     r"weights should be a 1d sequence but given weights have shape \(1, 2\)"),
    (lambda: BatchSampler(range(3), 0, False), ValueError,
     "batch_size should be a positive integer value, but got batch_size=0"),
    (lambda: BatchSampler(range(3), 2, 1), ValueError,
     "drop_last should be a boolean value, but got drop_last=1"),
])
def test_bad_arguments_are_refused_as_torch_refuses_them(make, error, message):
    with pytest.raises(error, match=message):
        make()


@pytest.mark.parametrize("make, message", [
    (lambda: WeightedRandomSampler([1.0, -1.0], 2), "non-negative"),
    (lambda: WeightedRandomSampler([1.0, 0.0], 2, replacement=False),
     "cannot draw 2 samples without replacement from 1 non-zero weights"),
    (lambda: list(RandomSampler([], replacement=True, num_samples=3)),
     "cannot draw 3 samples from an empty data_source"),
])
def test_what_torch_leaves_to_a_later_error_is_named_at_once(make, message):
    with pytest.raises((ValueError, RuntimeError), match=message):
        make()


# ----- SequentialSampler's length, and the lengths built on it ------------------------------------
class GrowingDataset:
    """A data source whose size changes after the sampler is made (torch reads len lazily)."""

    def __init__(self, size):
        self.size = size

    def __len__(self):
        return self.size

    def __getitem__(self, index):
        return index


@pytest.mark.parametrize("size", [0, 1, 7, 64, (1 << 16) + 3])
def test_sequential_sampler_length_and_indices_match_torch(size):
    ours = SequentialSampler(range(size))
    theirs = torch.utils.data.SequentialSampler(range(size))
    assert len(ours) == len(theirs) == size
    assert list(ours) == list(theirs)
    ours_data, theirs_data = GrowingDataset(size), GrowingDataset(size)
    ours, theirs = SequentialSampler(ours_data), torch.utils.data.SequentialSampler(theirs_data)
    assert len(ours) == len(theirs) == size
    ours_data.size = theirs_data.size = size + 5
    assert len(ours) == len(theirs) == size + 5


@pytest.mark.parametrize("size, batch_size, drop_last", [
    (10, 3, False), (10, 3, True), (9, 3, True), (0, 4, False), (1, 4, True), (70000, 4096, False),
])
def test_lengths_over_a_sequential_sampler_match_torch(size, batch_size, drop_last):
    """BatchSampler and DataLoader take their lengths from the sampler's."""
    data = list(range(size))
    ours = BatchSampler(SequentialSampler(data), batch_size, drop_last)
    theirs = torch.utils.data.BatchSampler(torch.utils.data.SequentialSampler(data), batch_size,
                                           drop_last)
    assert len(ours) == len(theirs) == len(list(ours))
    loader = cr.utils.data.DataLoader(data, batch_size=batch_size, drop_last=drop_last)
    assert len(loader) == len(torch.utils.data.DataLoader(data, batch_size=batch_size,
                                                          drop_last=drop_last))
    assert len(loader) == sum(1 for _ in loader)
