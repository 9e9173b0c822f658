"""torch.utils.data.dataloader: the DataLoader, its collate functions and get_worker_info."""
from chainrule.data.collate import default_collate, default_convert
from chainrule.data.dataset import Dataset, IterableDataset
from chainrule.data.loader import DataLoader
from chainrule.data.sampler import BatchSampler, RandomSampler, Sampler, SequentialSampler
from chainrule.data.worker import WorkerInfo, get_worker_info

__all__ = ["BatchSampler", "DataLoader", "Dataset", "IterableDataset", "RandomSampler", "Sampler",
           "SequentialSampler", "WorkerInfo", "default_collate", "default_convert",
           "get_worker_info"]
