"""An alias of chainrule.data under PyTorch's path, torch.utils.data."""
from chainrule.data import (DataLoader, Dataset, RandomSampler, SequentialSampler, Subset,
                            TensorDataset, default_collate, random_split)

__all__ = ["DataLoader", "Dataset", "RandomSampler", "SequentialSampler", "Subset",
           "TensorDataset", "default_collate", "random_split"]
