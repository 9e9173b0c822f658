"""Datasets, samplers and the DataLoader that batches them; random splits."""
from chainrule.data.dataset import Dataset, Subset, TensorDataset
from chainrule.data.loader import (
    DataLoader, Generator, RandomSampler, SequentialSampler, default_collate)
from chainrule.data.split import random_split
from chainrule.data import datasets   # after the classes its generators build on

__all__ = ["DataLoader", "datasets", "Dataset", "Generator", "RandomSampler", "SequentialSampler", "Subset",
           "TensorDataset", "default_collate", "random_split"]
