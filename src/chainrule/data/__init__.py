"""Datasets, samplers and the DataLoader that batches them (in worker processes if asked);
random splits. chainrule.utils.data holds the same objects under torch.utils.data's names."""
from chainrule.data.collate import default_collate, default_convert
from chainrule.data.dataset import (
    ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset)
from chainrule.data.distributed import DistributedSampler
from chainrule.data.loader import DataLoader, Generator
from chainrule.data.sampler import (
    BatchSampler, RandomSampler, Sampler, SequentialSampler, SubsetRandomSampler,
    WeightedRandomSampler)
from chainrule.data.split import random_split
from chainrule.data.worker import WorkerInfo, get_worker_info
from chainrule.data import datasets   # after the classes its generators build on

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "DistributedSampler", "Generator", "IterableDataset", "RandomSampler", "Sampler",
           "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
           "WeightedRandomSampler", "WorkerInfo", "datasets", "default_collate",
           "default_convert", "get_worker_info", "random_split"]
