"""Datasets, samplers and the DataLoader that batches them; random splits."""
from chainrule.data.dataset import Dataset, Subset, TensorDataset
from chainrule.data.loader import (
    DataLoader, Generator, RandomSampler, SequentialSampler, default_collate)
from chainrule.data.split import random_split

__all__ = ["DataLoader", "Dataset", "Generator", "RandomSampler", "SequentialSampler", "Subset",
           "TensorDataset", "default_collate", "random_split"]
