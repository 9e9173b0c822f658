"""torch.utils.data's names, so that `from torch.utils.data import DataLoader` ports as
`from chainrule.utils.data import DataLoader`; the objects are chainrule.data's own. The
submodules dataloader, dataset, sampler and distributed mirror torch's."""
from chainrule.data import (
    BatchSampler, ChainDataset, ConcatDataset, DataLoader, Dataset, IterableDataset,
    RandomSampler, Sampler, SequentialSampler, Subset, SubsetRandomSampler, TensorDataset,
    WeightedRandomSampler, WorkerInfo, default_collate, default_convert, get_worker_info,
    random_split)
from chainrule.utils.data import dataloader, dataset, distributed, sampler
from chainrule.utils.data.distributed import DistributedSampler

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "DistributedSampler", "IterableDataset", "RandomSampler", "Sampler",
           "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
           "WeightedRandomSampler", "WorkerInfo", "default_collate", "default_convert",
           "get_worker_info", "random_split"]
