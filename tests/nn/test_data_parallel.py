"""nn.DataParallel runs its module as torch's does without a GPU; it refuses GPUs and what is not a
module. DistributedDataParallel (nn/parallel/distributed.py) is tested in test_distributed.py."""
import numpy as np
import pytest
import torch

import chainrule as cr


def test_data_parallel_runs_its_module_as_torchs_does_without_a_gpu():
    ours = cr.nn.DataParallel(cr.nn.Linear(3, 2))
    theirs = torch.nn.DataParallel(torch.nn.Linear(3, 2))
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["module.weight",
                                                                     "module.bias"]
    assert isinstance(ours.module, cr.nn.Linear) and ours.device_ids == theirs.device_ids == []
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(ours(cr.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6, atol=1e-6)
    assert cr.nn.parallel.DataParallel is cr.nn.DataParallel
    assert len(list(ours.parameters())) == 2


def test_data_parallel_refuses_gpus_and_non_modules():
    with pytest.raises(RuntimeError, match="DataParallel: device 0 is an accelerator's number"):
        cr.nn.DataParallel(cr.nn.Linear(1, 1), device_ids=[0])
    with pytest.raises(TypeError, match="DataParallel: expected an nn.Module, got function"):
        cr.nn.DataParallel(lambda x: x)
