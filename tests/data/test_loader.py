"""DataLoader: torch's batches in order, every sample once per epoch when shuffled, reproducible
from a seed, a new order each epoch; default_collate builds what torch's builds."""
import collections

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
from chainrule.data import (
    DataLoader, Dataset, Generator, RandomSampler, Subset, TensorDataset, default_collate)


def _data(n, features=2):
    x = np.arange(n * features, dtype=np.float32).reshape(n, features)
    return x, np.arange(n)


def _epoch(loader):
    return [[t.numpy().copy() for t in batch] for batch in loader]


class ListDataset(Dataset):
    """Per-sample datasets take the slow path: one __getitem__ per sample, then collate."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return (np.float32(i), i)

    def __len__(self):
        return self.n


@pytest.mark.parametrize("n, batch_size, drop_last", [
    (10, 3, False), (10, 3, True), (10, 5, True), (4, 10, False), (4, 10, True), (0, 2, False)])
def test_sequential_batches_match_torch(n, batch_size, drop_last):
    x, y = _data(n)
    ours = DataLoader(TensorDataset(cr.tensor(x), cr.tensor(y)), batch_size, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size,
        drop_last=drop_last)
    assert len(ours) == len(theirs)
    expected = [[t.numpy() for t in batch] for batch in theirs]
    got = _epoch(ours)
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        for mine, torchs in zip(a, b, strict=True):
            np.testing.assert_array_equal(mine, torchs)
            assert mine.dtype == torchs.dtype


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 40), batch_size=st.integers(1, 12), drop_last=st.booleans(),
       shuffle=st.booleans(), seed=st.integers(0, 2**32))
def test_every_sample_once_per_epoch(n, batch_size, drop_last, shuffle, seed):
    x, y = _data(n, features=1)
    loader = DataLoader(TensorDataset(cr.tensor(x), cr.tensor(y)), batch_size, shuffle=shuffle,
                        drop_last=drop_last, generator=seed)
    batches = _epoch(loader)
    assert len(batches) == len(loader) == (n // batch_size if drop_last else -(-n // batch_size))
    assert all(len(b[1]) == batch_size for b in batches[:n // batch_size])
    seen = np.concatenate([b[1] for b in batches]) if batches else np.zeros(0, int)
    assert len(set(seen.tolist())) == len(seen)        # no sample twice
    assert len(seen) == (n - n % batch_size if drop_last else n)
    if not drop_last:
        assert sorted(seen.tolist()) == list(range(n))  # every sample
    for features, labels in batches:                    # inputs stay paired with their labels
        np.testing.assert_array_equal(features[:, 0], labels)


def _shuffled_orders(generator, epochs=3, n=20):
    loader = DataLoader(TensorDataset(cr.arange(n)), batch_size=6, shuffle=True,
                        generator=generator)
    return [np.concatenate([b[0].numpy() for b in loader]).tolist() for _ in range(epochs)]


def test_same_seed_same_batches_and_a_new_order_each_epoch():
    first = _shuffled_orders(Generator().manual_seed(0))
    assert first == _shuffled_orders(Generator().manual_seed(0))
    assert first == _shuffled_orders(0)                       # an int seed is the same thing
    assert first != _shuffled_orders(Generator().manual_seed(1))
    assert first[0] != first[1] != first[2]
    assert all(sorted(order) == list(range(20)) for order in first)


def test_global_seed_makes_unseeded_shuffling_reproducible():
    cr.manual_seed(3)
    first = _shuffled_orders(None)
    cr.manual_seed(3)
    assert _shuffled_orders(None) == first


def test_generator_api():
    g = Generator()
    assert g.initial_seed() == torch.Generator().initial_seed()   # a fixed default, as torch
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    state = g.get_state()
    a = list(RandomSampler(range(10), generator=g))
    g.set_state(state)
    assert list(RandomSampler(range(10), generator=g)) == a
    assert isinstance(g.seed(), int)


def test_random_sampler_with_replacement_and_num_samples():
    sampler = RandomSampler(range(5), replacement=True, num_samples=50, generator=0)
    draws = list(sampler)
    assert len(draws) == len(sampler) == 50 and set(draws) <= set(range(5))
    longer = list(RandomSampler(range(4), num_samples=10, generator=0))
    assert sorted(longer[:4]) == sorted(longer[4:8]) == [0, 1, 2, 3]   # whole permutations


def test_fast_path_gathers_without_getitem(monkeypatch):
    x, y = _data(11)
    dataset = TensorDataset(cr.tensor(x), cr.tensor(y))
    slow = _epoch(DataLoader(dataset, 4, shuffle=True, generator=7,
                             collate_fn=lambda samples: default_collate(samples)))

    def refuse(self, index):
        raise AssertionError("the fast path must not fetch samples one by one")
    monkeypatch.setattr(TensorDataset, "__getitem__", refuse)
    for data in (dataset, Subset(Subset(dataset, list(range(11))), list(range(11)))):
        fast = _epoch(DataLoader(data, 4, shuffle=True, generator=7))
        assert len(fast) == len(slow)
        for a, b in zip(fast, slow):
            for mine, reference in zip(a, b, strict=True):
                np.testing.assert_array_equal(mine, reference)


def test_subset_and_subclass_batches():
    x, y = _data(9)
    subset = Subset(TensorDataset(cr.tensor(x), cr.tensor(y)), [8, 1, 4])
    assert [b[1].tolist() for b in DataLoader(subset, 2)] == [[8, 1], [4]]

    class Doubled(TensorDataset):   # a subclass's __getitem__ must not be skipped
        def __getitem__(self, i):
            return tuple(t[i] * 2 for t in self.tensors)
    batches = list(DataLoader(Doubled(cr.tensor(y)), 5))
    assert batches[0][0].tolist() == [0, 2, 4, 6, 8]


def test_per_sample_datasets_custom_samplers_and_collate():
    loader = DataLoader(ListDataset(7), batch_size=3, sampler=[6, 0, 5, 1, 4], drop_last=True)
    batches = list(loader)
    assert len(loader) == 1 and len(batches) == 1
    assert batches[0][0].dtype == cr.float32 and batches[0][1].tolist() == [6, 0, 5]
    loader = DataLoader(ListDataset(5), batch_size=2, collate_fn=lambda samples: samples)
    assert list(loader)[-1] == [(np.float32(4), 4)]
    loader = DataLoader(TensorDataset(cr.arange(6)), batch_sampler=[[5, 1], [0, 2, 4]])
    assert len(loader) == 2 and [b[0].tolist() for b in loader] == [[5, 1], [0, 2, 4]]


def test_batches_that_require_grad_keep_the_graph():
    x = cr.ones(4, 2, requires_grad=True)
    (batch,) = next(iter(DataLoader(TensorDataset(x), batch_size=3)))
    batch.sum().backward()
    assert x.grad.tolist() == [[1, 1], [1, 1], [1, 1], [0, 0]]


Point = collections.namedtuple("Point", "x y")

COLLATE_CASES = {
    "tensors": [cr.tensor([1.0, 2.0]), cr.tensor([3.0, 4.0])],
    "int64 tensors": [cr.tensor([1, 2]), cr.tensor([3, 4])],
    "float64 arrays": [np.zeros(3), np.ones(3)],
    "numpy scalars": [np.float64(1.5), np.float64(2.5)],
    "ints": [1, 2, 3],
    "bools": [True, False],
    "strings": ["a", "b"],
    "tuples": [(np.zeros(2, np.float32), 1), (np.ones(2, np.float32), 2)],
    "lists": [[1, 2], [3, 4]],
    "dicts": [{"x": np.zeros(2), "y": 0}, {"x": np.ones(2), "y": 1}],
    "namedtuples": [Point(1, np.int32(2)), Point(3, np.int32(4))],
    "nested": [{"a": (1, {"b": np.int16(2)})}, {"a": (3, {"b": np.int16(4)})}],
}


def _to_torch(value):
    if isinstance(value, cr.Tensor):
        return torch.tensor(value.numpy())
    if isinstance(value, dict):
        return {k: _to_torch(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*map(_to_torch, value))
    if isinstance(value, (list, tuple)):
        return type(value)(map(_to_torch, value))
    return value


def _assert_same(mine, theirs):
    assert type(mine) is type(theirs) or isinstance(theirs, torch.Tensor)
    if isinstance(theirs, torch.Tensor):
        assert isinstance(mine, cr.Tensor)
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
        assert mine.dtype == theirs.numpy().dtype
    elif isinstance(theirs, dict):
        assert mine.keys() == theirs.keys()
        for key in theirs:
            _assert_same(mine[key], theirs[key])
    elif isinstance(theirs, (list, tuple)):
        assert len(mine) == len(theirs)
        for a, b in zip(mine, theirs):
            _assert_same(a, b)
    else:
        assert mine == theirs


@pytest.mark.parametrize("name", COLLATE_CASES)
def test_default_collate_matches_torch(name):
    batch = COLLATE_CASES[name]
    _assert_same(default_collate(batch),
                 torch.utils.data.default_collate([_to_torch(s) for s in batch]))


def test_python_floats_collate_to_float32():
    # torch's default_collate gives float64 here; chainrule keeps its rule that Python floats
    # become float32 tensors, so float targets match a float32 model's outputs.
    assert default_collate([0.5, 1.5]).dtype == cr.float32


def test_collate_errors_name_the_problem():
    with pytest.raises(RuntimeError, match=r"different shapes \[\(2,\), \(3,\)\]"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(RuntimeError, match="same number of fields"):
        default_collate([(1, 2), (3,)])
    with pytest.raises(TypeError, match="found NoneType"):
        default_collate([None, None])
    with pytest.raises(TypeError, match="found an array of dtype <U1"):   # torch refuses too
        default_collate([np.array(["a"]), np.array(["b"])])


@pytest.mark.parametrize("batch, error, message", [
    ([cr.ones(2), 3], TypeError, "sample 0 of the batch is a Tensor but sample 1 is a int"),
    ([np.ones(2), cr.ones(2)], TypeError, "sample 0 of the batch is a NumPy array but sample 1 "
                                          "is a Tensor"),
    ([1.5, "x"], TypeError, "sample 0 of the batch is a number but sample 1 is a str"),
    ([{"a": 1}, [1]], TypeError, "sample 0 of the batch is a dict but sample 1 is a list"),
    ([{"a": 1}, {"b": 1}], KeyError, "sample 0 of the batch has keys ['a'] but sample 1 has ['b']"),
])
def test_collate_of_samples_with_different_structures_names_them(batch, error, message):
    # torch raises the same kinds (TypeError; KeyError for a missing key) with vaguer words
    with pytest.raises(error) as raised:
        default_collate(batch)
    assert message in str(raised.value)


@pytest.mark.parametrize("batch_size", [0, -1, 1.5, "2", True])   # None: no batching
def test_bad_batch_size(batch_size):
    with pytest.raises(ValueError, match="DataLoader: batch_size must be a positive integer"):
        DataLoader(ListDataset(3), batch_size=batch_size)


def test_bad_options():
    with pytest.raises(ValueError, match="DataLoader: sampler option is mutually exclusive"):
        DataLoader(ListDataset(3), sampler=[0, 1], shuffle=True)
    with pytest.raises(ValueError, match="DataLoader: batch_sampler option is mutually exclusive"):
        DataLoader(ListDataset(3), batch_size=2, batch_sampler=[[0, 1]])
    with pytest.raises(ValueError, match="DataLoader: num_workers option should be a non-neg"):
        DataLoader(ListDataset(3), num_workers=-1)
    with pytest.raises(TypeError, match="DataLoader: generator must be"):
        DataLoader(ListDataset(3), shuffle=True, generator="seed")
