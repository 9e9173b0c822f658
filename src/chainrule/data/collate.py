"""Collate functions: default_collate stacks a list of samples into one batch; default_convert
turns NumPy values of a single sample into Tensors (a DataLoader with batch_size=None)."""
import collections.abc

from chainrule import backend
from chainrule.backend import xp
from chainrule.ops.join import stack
from chainrule.tensor import Tensor


def default_collate(batch):
    """Stack a list of samples into a batch, keeping their structure: tensors and arrays are
    stacked (dtype kept), numbers become 1-d tensors (bool -> bool, int -> int64, float -> float32),
    dicts, tuples and lists are collated field by field, strings are left as a list."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        _check_all(batch, Tensor, "a Tensor")
        return _stack([sample.array for sample in batch], batch)
    if isinstance(elem, backend.ndarray):
        _check_numeric(elem)
        _check_all(batch, backend.ndarray, "a NumPy array")
        return _stack(batch, batch)
    if isinstance(elem, xp.generic):   # NumPy scalars keep their dtype
        _check_numeric(elem)
        return Tensor._make(xp.asarray(batch))
    if isinstance(elem, (bool, int, float)):
        _check_all(batch, (bool, int, float), "a number")
        return Tensor._make(backend.as_array(batch))
    if isinstance(elem, (str, bytes)):
        return list(batch)
    if isinstance(elem, collections.abc.Mapping):
        _check_all(batch, collections.abc.Mapping, "a dict")
        _check_same_keys(batch)
        return {key: default_collate([sample[key] for sample in batch]) for key in elem}
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):   # a namedtuple keeps its type
        return type(elem)(*(default_collate(list(field)) for field in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        if any(len(sample) != len(elem) for sample in batch):
            raise RuntimeError("default_collate: each sample in the batch must have the same "
                               f"number of fields, got {sorted({len(s) for s in batch})}")
        # Tuples come back as lists, as in torch's default_collate.
        return [default_collate(list(field)) for field in zip(*batch)]
    raise TypeError(f"default_collate: a batch must hold tensors, arrays, numbers, strings, dicts "
                    f"or sequences of them; found {type(elem).__name__}")


def default_convert(data):
    """One sample with its NumPy arrays and scalars made Tensors, its structure kept (tuples
    become lists, as in torch); anything else is left as it is."""
    if isinstance(data, (backend.ndarray, xp.generic)):
        return data if data.dtype.kind in "OSUV" else Tensor._make(xp.asarray(data))
    if isinstance(data, collections.abc.Mapping):
        return {key: default_convert(value) for key, value in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(field) for field in data))
    if isinstance(data, (tuple, list)):
        return [default_convert(field) for field in data]
    return data


def _check_all(batch, kind, what):
    for index, sample in enumerate(batch):
        if not isinstance(sample, kind):
            raise TypeError(f"default_collate: sample 0 of the batch is {what} but sample {index} "
                            f"is a {type(sample).__name__}; every sample must have the same "
                            f"structure (or pass a collate_fn)")


def _check_same_keys(batch):
    keys = list(batch[0])
    for index, sample in enumerate(batch):
        if set(sample) != set(keys):
            raise KeyError(f"default_collate: sample 0 of the batch has keys {keys} but sample "
                           f"{index} has {list(sample)}; every sample must have the same keys")


def _check_numeric(elem):
    if elem.dtype.kind in "OSUV":   # objects, strings, raw bytes: torch refuses them too
        raise TypeError(f"default_collate: a batch must hold tensors, numeric arrays, numbers, "
                        f"dicts or lists; found an array of dtype {elem.dtype}")


def _stack(arrays, samples):
    shapes = {tuple(a.shape) for a in arrays}
    if len(shapes) > 1:
        raise RuntimeError(f"default_collate: cannot stack samples of different shapes "
                           f"{sorted(shapes)}; pad them to one shape or pass a collate_fn")
    if isinstance(samples[0], Tensor) and any(s.requires_grad for s in samples):
        return stack(samples)   # the op keeps the graph, as torch.stack does
    return Tensor._make(xp.stack(arrays))
