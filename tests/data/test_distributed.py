"""DistributedSampler: torch's indices and lengths without shuffling, for every small dataset and
world; shuffled, chainrule's own permutation of seed + epoch, padded and dealt out as torch deals
its own; num_replicas and rank read from a process group; torch's errors without one."""
import itertools

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

import chainrule as cr
import chainrule.distributed as dist
import chainrule.utils.data.distributed
from chainrule.data import DataLoader
from chainrule.data.distributed import DistributedSampler

# (n, num_replicas) for every dataset of up to 24 items on up to 6 replicas: n < num_replicas,
# n divisible by num_replicas and not, and padding longer than the dataset (n=1 on 6 replicas).
SMALL = list(itertools.product(range(25), range(1, 7)))


def shares(n, num_replicas, **options):
    """Every rank's indices, each from a sampler of its own (as each process makes one)."""
    return [list(DistributedSampler(range(n), num_replicas, rank, **options))
            for rank in range(num_replicas)]


def padded(order, total_size):
    """torch's padding (or cut) of an epoch's order to total_size indices."""
    repeats = -(-total_size // len(order)) if order else 0
    return (order * repeats)[:total_size]


@pytest.mark.parametrize("drop_last", [False, True])
def test_indices_and_lengths_match_torch_without_shuffling(drop_last):
    for n, num_replicas in SMALL + [(100, 7), (1001, 8), (3, 16)]:
        for rank in range(num_replicas):
            ours = DistributedSampler(range(n), num_replicas, rank, shuffle=False,
                                      drop_last=drop_last)
            theirs = torch.utils.data.DistributedSampler(range(n), num_replicas, rank,
                                                         shuffle=False, drop_last=drop_last)
            assert list(ours) == list(theirs), (n, num_replicas, rank)
            assert len(ours) == len(theirs) == len(list(ours))
            assert (ours.num_samples, ours.total_size) == (theirs.num_samples, theirs.total_size)


def test_padding_longer_than_the_dataset_repeats_it_from_the_start():
    assert shares(2, 7, shuffle=False) == [[0], [1], [0], [1], [0], [1], [0]]
    assert shares(3, 2, shuffle=False) == [[0, 2], [1, 0]]
    assert shares(5, 3, shuffle=False, drop_last=True) == [[0], [1], [2]]
    assert shares(2, 3, shuffle=False, drop_last=True) == [[], [], []]


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 60), num_replicas=st.integers(1, 8), drop_last=st.booleans(),
       seed=st.integers(-2**20, 2**20), epoch=st.integers(0, 100))
def test_shuffled_shares_deal_out_chainrules_permutation_of_seed_plus_epoch(
        n, num_replicas, drop_last, seed, epoch):
    def ranks():
        samplers = [DistributedSampler(range(n), num_replicas, rank, seed=seed,
                                       drop_last=drop_last) for rank in range(num_replicas)]
        for sampler in samplers:
            sampler.set_epoch(epoch)
        return [list(sampler) for sampler in samplers]

    dealt = ranks()
    assert ranks() == dealt                          # the same on every rank, every time
    sampler = DistributedSampler(range(n), num_replicas, 0, drop_last=drop_last)
    assert all(len(share) == len(sampler) for share in dealt)
    order = [dealt[i % num_replicas][i // num_replicas] for i in range(sampler.total_size)]
    generator = cr.Generator().manual_seed((seed + epoch) % 2**64)
    permutation = cr.randperm(n, generator=generator).tolist()
    assert order == padded(permutation, sampler.total_size)   # dealt out a rank at a time


@pytest.mark.parametrize("shuffle", [False, True])
def test_without_drop_last_the_ranks_together_cover_the_dataset(shuffle):
    for n, num_replicas in SMALL:
        dealt = shares(n, num_replicas, shuffle=shuffle, seed=3)
        assert set(itertools.chain(*dealt)) == set(range(n))
        assert sum(map(len, dealt)) == -(-n // num_replicas) * num_replicas


def test_drop_last_shares_are_disjoint_and_equal_in_size():
    for n, num_replicas in SMALL:
        dealt = list(itertools.chain(*shares(n, num_replicas, drop_last=True)))
        assert len(dealt) == len(set(dealt)) == n // num_replicas * num_replicas


def test_set_epoch_and_seed_change_the_order_and_only_they_do():
    sampler = DistributedSampler(range(50), 2, 1, seed=7)
    first = list(sampler)
    assert list(sampler) == first                    # no set_epoch: the same order again
    sampler.set_epoch(1)
    second = list(sampler)
    assert second != first and list(sampler) == second and sampler.epoch == 1
    sampler.set_epoch(0)
    assert list(sampler) == first
    assert list(DistributedSampler(range(50), 2, 1, seed=8)) != first
    assert list(DistributedSampler(range(50), 2, 1, shuffle=False)) == list(range(1, 50, 2))


@pytest.mark.parametrize("n, num_replicas, batch_size, drop_last", [
    (10, 3, 2, False), (10, 3, 3, True), (23, 4, 5, False), (4, 6, 2, False), (16, 4, 4, True)])
def test_data_loader_batches_match_torch(n, num_replicas, batch_size, drop_last):
    data = [[float(i), float(-i)] for i in range(n)]
    for rank in range(num_replicas):
        ours = DataLoader(data, batch_size=batch_size, sampler=DistributedSampler(
            data, num_replicas, rank, shuffle=False, drop_last=drop_last))
        theirs = torch.utils.data.DataLoader(
            data, batch_size=batch_size, sampler=torch.utils.data.DistributedSampler(
                data, num_replicas, rank, shuffle=False, drop_last=drop_last))
        assert len(ours) == len(theirs)
        ours_batches = [[column.tolist() for column in batch] for batch in ours]
        theirs_batches = [[column.tolist() for column in batch] for batch in theirs]
        assert ours_batches == theirs_batches


@pytest.mark.parametrize("num_replicas, rank", [(2, 2), (2, -1), (3, 5), (0, 0)])
def test_an_invalid_rank_is_refused_as_torch_refuses_it(num_replicas, rank):
    with pytest.raises(ValueError) as theirs:
        torch.utils.data.DistributedSampler(range(3), num_replicas, rank)
    with pytest.raises(ValueError) as ours:
        DistributedSampler(range(3), num_replicas, rank)
    assert str(theirs.value) in str(ours.value)


@pytest.mark.parametrize("given", [{}, {"num_replicas": 2}, {"rank": 0}])
def test_without_a_process_group_num_replicas_and_rank_must_be_given(given):
    assert not dist.is_initialized()
    with pytest.raises(ValueError):   # torch's error type (from its get_world_size / get_rank)
        torch.utils.data.DistributedSampler(range(3), **given)
    with pytest.raises(ValueError, match="init_process_group .*or pass num_replicas and rank"):
        DistributedSampler(range(3), **given)


def test_without_the_distributed_package_num_replicas_and_rank_must_be_given(monkeypatch):
    monkeypatch.setattr(dist, "is_available", lambda: False)
    with pytest.raises(RuntimeError, match="Requires distributed package to be available.*"
                                           "pass num_replicas and rank"):
        DistributedSampler(range(3))
    assert len(DistributedSampler(range(3), 1, 0)) == 3


def test_num_replicas_and_rank_come_from_the_process_group():
    dist.init_process_group("mpi")   # without a launcher: a world of one
    try:
        sampler = DistributedSampler(range(5), shuffle=False)
        assert (sampler.num_replicas, sampler.rank) == (1, 0)
        assert list(sampler) == [0, 1, 2, 3, 4] and len(sampler) == 5
        assert DistributedSampler(range(5), num_replicas=3).rank == 0
        assert DistributedSampler(range(5), rank=0).num_replicas == 1
    finally:
        dist.destroy_process_group()


def test_a_dataset_grown_past_the_sampler_is_refused_as_torch_refuses_it():
    data = list(range(5))                            # 2 replicas: 6 indices, padded
    ours = DistributedSampler(data, 2, 0, shuffle=False)
    theirs = torch.utils.data.DistributedSampler(data, 2, 0, shuffle=False)
    data.append(5)                                   # still fits: torch pads by 0, so do we
    assert list(ours) == list(theirs) == [0, 2, 4]
    data += [6, 7]
    with pytest.raises(AssertionError):
        list(theirs)
    with pytest.raises(RuntimeError, match="holds 8 items now, but the sampler was made for 6"):
        list(ours)


def test_the_torch_names_are_this_module():
    assert chainrule.utils.data.distributed.DistributedSampler is DistributedSampler
    assert cr.utils.data.DistributedSampler is cr.data.DistributedSampler is DistributedSampler
