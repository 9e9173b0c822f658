"""torch.utils.data.dataset: the dataset classes and random_split."""
from chainrule.data.dataset import (
    ChainDataset, ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset)
from chainrule.data.split import random_split

__all__ = ["ChainDataset", "ConcatDataset", "Dataset", "IterableDataset", "Subset",
           "TensorDataset", "random_split"]
