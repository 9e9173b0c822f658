"""torch.utils.data.distributed: DistributedSampler, the share of a dataset one of num_replicas
processes reads. chainrule has no process group, so num_replicas and rank must be given."""
import math

from chainrule.backend import xp
from chainrule.data.sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Every num_replicas-th index of an epoch's order, starting at rank, as torch's: the order
    is padded by repeating its start (or cut, with drop_last) so each replica gets as many.

    Args: dataset, num_replicas, rank (0 .. num_replicas - 1), shuffle=True (a permutation
    seeded by seed + epoch, the same in every replica), seed=0, drop_last=False.
    Call set_epoch(epoch) before each epoch for a new order.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            raise RuntimeError("DistributedSampler: give num_replicas and rank; chainrule has no "
                               "torch.distributed process group to read them from "
                               "(distributed training is not available)")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: invalid rank {rank}, rank should be in the "
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
        n = len(self.dataset)
        if self.shuffle:
            indices = xp.random.default_rng(self.seed + self.epoch).permutation(n).tolist()
        else:
            indices = list(range(n))
        if self.drop_last:
            indices = indices[:self.total_size]
        elif (padding := self.total_size - n) > 0:
            indices += (indices * math.ceil(padding / n))[:padding]
        return iter(indices[self.rank:self.total_size:self.num_replicas])

    def __len__(self):
        return self.num_samples

    def set_epoch(self, epoch):
        self.epoch = epoch
