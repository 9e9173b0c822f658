"""SyncBatchNorm: across 2 and, oversubscribed, 4 processes (programs/sync_batchnorm.py) it is
BatchNorm on the whole batch in one process, forward, backward and running statistics, and a
converted CNN trains under DDP to one process's weights; in a world of one, and without a
process group, it is BatchNorm; convert_sync_batchnorm swaps the layers as torch's does."""
import pathlib

import numpy as np
import pytest
import torch

import chainrule as cr
from tests.distributed.launching import chainrule_run, rank_lines

PROGRAMS = pathlib.Path(__file__).resolve().parent / "programs"


@pytest.mark.parametrize("world", [2, 4])
def test_across_ranks_it_is_batchnorm_on_the_whole_batch_in_one_process(world):
    job = chainrule_run(world, PROGRAMS / "sync_batchnorm.py", timeout=90)
    assert job.returncode == 0, job.stderr[-4000:]
    for line in rank_lines(job.stdout, world):
        layer, training = line["layer"], line["training"]
        assert max(layer.values()) < 1e-5, layer
        assert training["layer"] == "SyncBatchNorm" and training["vs one process"] < 1e-5


def model(library):
    library.manual_seed(0)
    nn = library.nn
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Sequential(nn.BatchNorm1d(4)),
                         nn.InstanceNorm1d(4), nn.LayerNorm(4))


def test_convert_sync_batchnorm_swaps_batchnorms_keeping_their_tensors_as_torchs_does():
    ours, theirs = model(cr), model(torch)
    ours.eval()
    bn = ours[1]
    converted = cr.nn.SyncBatchNorm.convert_sync_batchnorm(ours)
    expected = torch.nn.SyncBatchNorm.convert_sync_batchnorm(theirs)
    assert [type(m).__name__ for m in converted.modules()] == \
        [type(m).__name__ for m in expected.modules()]
    assert converted[1].weight is bn.weight and converted[1].running_mean is bn.running_mean
    assert converted[1].training is False and list(converted.state_dict()) == \
        list(expected.state_dict())


@pytest.mark.parametrize("grouped", [False, True], ids=["no process group", "a world of one"])
def test_in_one_process_it_is_batchnorm(grouped, request):
    if grouped:
        request.getfixturevalue("world_of_one")
    x = np.random.default_rng(0).normal(size=(6, 3, 4)).astype(np.float32)
    sync, plain = cr.nn.SyncBatchNorm(3), cr.nn.BatchNorm1d(3)
    ours, theirs = cr.tensor(x, requires_grad=True), cr.tensor(x, requires_grad=True)
    sync(ours).square().sum().backward()
    plain(theirs).square().sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    np.testing.assert_array_equal(sync.running_var.numpy(), plain.running_var.numpy())


def test_an_input_of_one_dimension_is_refused_as_torchs_is():
    with pytest.raises(ValueError, match=r"expected at least 2D input \(got 1D input\)"):
        cr.nn.SyncBatchNorm(3)(cr.ones(3))
