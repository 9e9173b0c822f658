"""torch.utils.data as programs import it: the submodules, ConcatDataset, IterableDataset,
batch_size=None, sampler= and batch_sampler=, DataLoader's len; each option torch refuses is
refused with torch's ValueError, naming the argument."""
import importlib
import os

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.data
import chainrule.utils.data.sampler
from chainrule.utils.data import (
    BatchSampler, ConcatDataset, DataLoader, IterableDataset, RandomSampler, TensorDataset)
from chainrule.utils.data.dataloader import default_collate, get_worker_info

SUBMODULES = {
    "dataloader": ["DataLoader", "default_collate", "default_convert", "get_worker_info"],
    "dataset": ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "ChainDataset",
                "IterableDataset", "random_split"],
    "sampler": ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
                "WeightedRandomSampler", "BatchSampler"],
    "distributed": ["DistributedSampler"],
}


@pytest.mark.parametrize("submodule", SUBMODULES)
def test_torch_submodules_hold_the_same_objects_as_chainrule_data(submodule):
    ours = importlib.import_module(f"chainrule.utils.data.{submodule}")
    theirs = importlib.import_module(f"torch.utils.data.{submodule}")
    for name in SUBMODULES[submodule]:
        assert hasattr(theirs, name)
        assert getattr(ours, name) is getattr(cr.utils.data, name)
        if hasattr(chainrule.data, name):
            assert getattr(ours, name) is getattr(chainrule.data, name)
    assert chainrule.utils.data.sampler.BatchSampler is BatchSampler
    assert default_collate is chainrule.data.default_collate and get_worker_info() is None


def _plain(batch):
    if isinstance(batch, (cr.Tensor, torch.Tensor)):
        return batch.tolist()
    if isinstance(batch, (list, tuple)):
        return [_plain(b) for b in batch]
    return batch


def test_concat_dataset_matches_torch():
    parts = [np.arange(3) * 10, np.arange(4) + 100]
    ours = ConcatDataset([TensorDataset(cr.tensor(p)) for p in parts])
    theirs = torch.utils.data.ConcatDataset(
        [torch.utils.data.TensorDataset(torch.tensor(p)) for p in parts])
    assert len(ours) == len(theirs) == 7 and ours.cumulative_sizes == theirs.cumulative_sizes
    for i in (0, 2, 3, 6, -1, -7):
        assert _plain(ours[i]) == _plain(theirs[i])
    assert _plain(list(DataLoader(ours, batch_size=3))) == _plain(
        list(torch.utils.data.DataLoader(theirs, batch_size=3)))
    added = TensorDataset(cr.tensor(parts[0])) + TensorDataset(cr.tensor(parts[1]))
    assert isinstance(added, ConcatDataset) and len(added) == 7
    with pytest.raises(IndexError):
        ours[7]
    with pytest.raises(ValueError, match="should not be an empty iterable"):
        ConcatDataset([])


class Stream(IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


class TorchStream(torch.utils.data.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n))

    def __len__(self):
        return self.n


@pytest.mark.parametrize("batch_size, drop_last",
                         [(2, False), (2, True), (3, False), (None, False)])
def test_iterable_datasets_match_torch(batch_size, drop_last):
    ours = DataLoader(Stream(7), batch_size=batch_size, drop_last=drop_last)
    theirs = torch.utils.data.DataLoader(TorchStream(7), batch_size=batch_size,
                                         drop_last=drop_last)
    assert _plain(list(ours)) == _plain(list(theirs)) and len(ours) == len(theirs)


def test_no_batching_converts_each_sample_as_torch_does():
    samples = [(np.float32(1.5), 2, np.arange(2)), (np.float32(0.5), 3, np.arange(2))]
    ours = list(DataLoader(samples, batch_size=None))
    theirs = list(torch.utils.data.DataLoader(samples, batch_size=None))
    assert _plain(ours) == _plain(theirs)
    assert isinstance(ours[0], list) and isinstance(ours[0][0], cr.Tensor)
    assert ours[0][0].dtype == cr.float32 and ours[0][1] == 2


def test_samplers_and_batch_samplers_given_to_the_loader():
    data = TensorDataset(cr.arange(10))
    sampler = RandomSampler(data, generator=3)
    loader = DataLoader(data, batch_sampler=BatchSampler(sampler, 4, drop_last=True))
    batches = [b[0].tolist() for b in loader]
    assert len(loader) == len(batches) == 2 and loader.batch_size is None
    assert len({i for b in batches for i in b}) == 8
    loader = DataLoader(data, batch_size=4, sampler=range(9, -1, -1))
    assert [b[0].tolist() for b in loader] == [[9, 8, 7, 6], [5, 4, 3, 2], [1, 0]]
    keyed = {"a": 1.5, "b": 2.5, "c": 3.5}   # a map-style dataset indexed by keys, as torch allows
    assert _plain(list(DataLoader(keyed, batch_size=2, sampler=["c", "a", "b"]))) == _plain(list(
        torch.utils.data.DataLoader(keyed, batch_size=2, sampler=["c", "a", "b"]))) == [
        [3.5, 1.5], [2.5]]
    shuffled = DataLoader(data, batch_size=4, shuffle=True, generator=cr.Generator())
    assert shuffled.sampler.generator is shuffled.generator   # what checkpoints save


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True),
                                                      (3, 5, False), (3, 5, True)])
def test_len_matches_torch(n, batch_size, drop_last):
    args = dict(batch_size=batch_size, drop_last=drop_last)
    assert len(DataLoader(range(n), **args)) == len(torch.utils.data.DataLoader(range(n), **args))
    assert len(DataLoader(Stream(n), **args)) == len(
        torch.utils.data.DataLoader(TorchStream(n), **args))


BAD_OPTIONS = [
    (dict(batch_size=0), "batch_size", "batch_size"),
    (dict(batch_size=-2), "batch_size", "batch_size"),
    (dict(num_workers=-1), "num_workers option should be non-negative",
     "num_workers option should"),
    (dict(timeout=-1), "timeout option should be non-negative", "timeout option should be non-neg"),
    (dict(prefetch_factor=2), "prefetch_factor option could only be specified in multiprocessing",
     "prefetch_factor option could only be specified in multiprocessing"),
    (dict(persistent_workers=True), "persistent_workers option needs num_workers > 0",
     "persistent_workers option needs num_workers > 0"),
    (dict(sampler=[0, 1], shuffle=True), "sampler option is mutually exclusive with shuffle",
     "sampler option is mutually exclusive with shuffle"),
    (dict(batch_sampler=[[0]], batch_size=2), "batch_sampler option is mutually exclusive",
     "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"),
    (dict(batch_sampler=[[0]], shuffle=True), "batch_sampler option is mutually exclusive",
     "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], sampler=[0]), "batch_sampler option is mutually exclusive",
     "batch_sampler option is mutually exclusive"),
    (dict(batch_sampler=[[0]], drop_last=True), "batch_sampler option is mutually exclusive",
     "batch_sampler option is mutually exclusive"),
    (dict(batch_size=None, drop_last=True), "batch_size=None option disables auto-batching",
     "batch_size=None option disables auto-batching and is mutually exclusive with drop_last"),
    (dict(multiprocessing_context="spawn"), "multiprocessing_context can only be used with",
     "multiprocessing_context can only be used with multi-process loading"),
    (dict(num_workers=1, multiprocessing_context="thread-pool"),
     "multiprocessing_context option should specify a valid start method",
     "multiprocessing_context option should specify a valid start method"),
]


@pytest.mark.parametrize("options, torch_says, we_say", BAD_OPTIONS,
                         ids=[",".join(o) for o, _, _ in BAD_OPTIONS])
def test_bad_options_are_refused_as_torch_refuses_them(options, torch_says, we_say):
    with pytest.raises(ValueError, match=torch_says):
        torch.utils.data.DataLoader(range(4), **options)
    with pytest.raises(ValueError, match=f"DataLoader: .*{we_say}"):
        DataLoader(range(4), **options)


@pytest.mark.parametrize("option", ["shuffle", "sampler", "batch_sampler"])
def test_iterable_datasets_refuse_samplers_as_torch_does(option):
    value = {"shuffle": True, "sampler": [0], "batch_sampler": [[0]]}[option]
    message = f"DataLoader with IterableDataset: expected unspecified {option} option"
    with pytest.raises(ValueError, match=message):
        torch.utils.data.DataLoader(TorchStream(3), **{option: value})
    with pytest.raises(ValueError, match=message):
        DataLoader(Stream(3), **{option: value})


def test_more_workers_than_cpus_warns_as_torch_does():
    with pytest.warns(UserWarning, match="suggested max number of worker in current system"):
        DataLoader(range(4), num_workers=len(os.sched_getaffinity(0)) + 1)


def test_fixed_attributes_cannot_be_set_after_init():
    loader = DataLoader(range(4), batch_size=2)
    with pytest.raises(ValueError, match="batch_size attribute should not be set after"):
        loader.batch_size = 3
    loader.num_workers = 0   # torch allows the others
