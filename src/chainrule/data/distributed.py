"""DistributedSampler (torch.utils.data.distributed's): the share of a dataset that one of
num_replicas processes reads in an epoch, num_replicas and rank read from the process group of
chainrule.distributed when not given."""
import math

from chainrule import distributed as dist
from chainrule.backend import xp
from chainrule.data.sampler import Sampler
from chainrule.random import rng

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Every num_replicas-th index of an epoch's order, starting at rank, as torch's: the order
    is padded by repeating it from its start (or cut, with drop_last) so that every replica
    gets num_samples = len(sampler) indices.

    Args: dataset, num_replicas=None and rank=None (the process group's world size and rank;
    without a process group, give both), shuffle=True (a permutation seeded by seed + epoch,
    the same in every replica), seed=0, drop_last=False (cut the order to a multiple of
    num_replicas instead of padding it).
    Call set_epoch(epoch) before each epoch for a new order.

    The shuffled order is chainrule.randperm(len(dataset), generator=Generator().manual_seed(
    seed + epoch)): chainrule's generator, not torch's, so it differs from torch's order.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None:
            num_replicas = _from_process_group("num_replicas", dist.get_world_size)
        if rank is None:
            rank = _from_process_group("rank", dist.get_rank)
        if not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: Invalid rank {rank}, rank should be in the "
                             f"interval [0, {num_replicas - 1}]")
        self.dataset, self.num_replicas, self.rank = dataset, num_replicas, rank
        self.shuffle, self.seed, self.drop_last, self.epoch = shuffle, seed, drop_last, 0
        n = len(dataset)
        if drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def __iter__(self):
        share = self._epoch_order()[self.rank:self.total_size:self.num_replicas]
        return iter(share.tolist())

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        """The epoch whose order the next iteration gives (shuffle=True): set it in every
        replica before each epoch, or every epoch repeats the first's order."""
        self.epoch = epoch

    def _epoch_order(self):
        """The epoch's order of all the replicas' indices: total_size of them."""
        n = len(self.dataset)
        self._check_length(n)
        if self.shuffle:
            # torch keeps a negative seed as its unsigned 64-bit twin
            seed = (self.seed + self.epoch) % 2**64
            order = rng(seed, "DistributedSampler").permutation(n)
        else:
            order = xp.arange(n)
        if self.drop_last:
            return order[:self.total_size]
        # Padding longer than the dataset repeats the whole order again, as often as it takes.
        repeats = math.ceil(self.total_size / n) if n else 0
        return xp.tile(order, repeats)[:self.total_size]

    def _check_length(self, n):
        """Refuse a dataset whose size changed since the sampler was made so much that its
        order can no longer be padded (or cut) to total_size; torch fails there too."""
        if self.drop_last:
            fits = n >= self.total_size
        else:
            fits = n <= self.total_size and (n > 0 or self.total_size == 0)
        if not fits:
            raise RuntimeError(f"DistributedSampler: the dataset holds {n} items now, but the "
                               f"sampler was made for {self.total_size} indices in all; make a "
                               f"new sampler after changing the dataset")


def _from_process_group(name, read):
    """num_replicas or rank, read from the default process group; torch's errors without one."""
    if not dist.is_available():
        raise RuntimeError(f"DistributedSampler: Requires distributed package to be available "
                           f"to read {name} (chainrule.distributed needs mpi4py); pass "
                           f"num_replicas and rank")
    if not dist.is_initialized():
        raise ValueError(f"DistributedSampler: {name} is read from the default process group, "
                         f"which has not been initialized: call "
                         f"chainrule.distributed.init_process_group first, or pass num_replicas "
                         f"and rank")
    return read()
