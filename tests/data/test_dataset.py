"""Map-style datasets: TensorDataset and Subset index as torch's do; bad input is named."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.data import Dataset, Subset, TensorDataset


def test_tensor_dataset_samples_match_torch():
    x, y = np.random.default_rng(0).standard_normal((5, 3)), np.arange(5)
    ours = TensorDataset(cr.tensor(x), cr.tensor(y))
    theirs = torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y))
    assert len(ours) == len(theirs) == 5
    for i in (0, 3, -1, slice(1, 4), [4, 0, 2]):
        for a, b in zip(ours[i], theirs[i], strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
            assert a.dtype == b.numpy().dtype


def test_tensor_dataset_names_the_shapes_that_disagree():
    with pytest.raises(ValueError, match=r"TensorDataset: .*first dimension.*\(4, 3\), \(5,\)"):
        TensorDataset(cr.zeros(4, 3), cr.zeros(5))
    with pytest.raises(ValueError, match=r"TensorDataset: .*\(\)"):
        TensorDataset(cr.tensor(1.0))
    with pytest.raises(ValueError, match="at least one tensor"):
        TensorDataset()
    with pytest.raises(TypeError, match="TensorDataset: expected Tensors, got list"):
        TensorDataset([1, 2])


def test_subset_maps_its_indices():
    data = TensorDataset(cr.arange(10) * 10)
    part = Subset(data, [7, 2, 5])
    assert len(part) == 3
    assert part[0][0].item() == 70 and part[-1][0].item() == 50
    assert part[[2, 0]][0].tolist() == [50, 70]


def test_subset_of_a_plain_sequence():
    part = Subset(range(100, 110), [3, 1])
    assert [part[0], part[1]] == [103, 101]


def test_a_dataset_subclass_without_getitem_says_so():
    class Empty(Dataset):
        pass
    with pytest.raises(NotImplementedError, match="Empty must define __getitem__"):
        Empty()[0]


def test_an_index_out_of_range_names_the_dataset_and_its_size():
    for lib in (torch, cr):   # torch raises IndexError too
        with pytest.raises(IndexError):
            lib.utils.data.TensorDataset(lib.ones(3))[5]
    with pytest.raises(IndexError, match="TensorDataset: index 5 is out of range for a dataset of "
                                         "3 samples"):
        TensorDataset(cr.ones(3))[5]
    loader = cr.utils.data.DataLoader(TensorDataset(cr.ones(3)), sampler=[0, 5], batch_size=2)
    with pytest.raises(IndexError, match=r"TensorDataset: index 5 \(from the sampler\) is out of "
                                         r"range for a dataset of 3 samples"):
        list(loader)
    assert [x.tolist() for (x,) in cr.utils.data.DataLoader(TensorDataset(cr.arange(3.0)),
                                                           sampler=[-1, 0], batch_size=2)] == [
        [2.0, 0.0]]
