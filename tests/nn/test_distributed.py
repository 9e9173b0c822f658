"""DistributedDataParallel: across 2 and 4 processes of a `chainrule run -n N` job (the programs
in programs/, each rank printing a JSON line), and in a world of one (this process, without a
launcher), where it must change nothing but the names of the state dict."""
import inspect
import pathlib

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn.parallel import DistributedDataParallel
from tests.distributed.launching import chainrule_run, rank_lines

PROGRAMS = pathlib.Path(__file__).resolve().parent / "programs"


# ----- across processes -------------------------------------------------------------------------
@pytest.fixture(scope="module", params=[2, 4], ids=["2 processes", "4 processes"])
def ranks(request):
    """Each rank's results from programs/ddp_training.py, in rank order."""
    code, out, err, _ = chainrule_run(request.param, PROGRAMS / "ddp_training.py")
    assert code == 0, err
    return rank_lines(out, request.param)


@pytest.mark.parametrize("case", ["mlp, SGD momentum", "mlp, Adam", "cnn, SGD momentum",
                                  "cnn, Adam"])
def test_training_gives_every_rank_the_weights_of_one_process_on_the_global_batch(ranks, case):
    results = [rank[case] for rank in ranks]
    # each rank made its own initial weights; DDP gave them all rank 0's
    assert len({r["initial"] for r in results}) == len(results)
    assert {r["broadcast"] for r in results} == {results[0]["initial"]}
    assert len({r["weights"] for r in results}) == 1            # exactly equal on every rank
    assert all(r["vs_one_process"] <= 1 for r in results)        # rtol 1e-5 (atol 1e-7)
    assert all(r["buckets"] >= 3 for r in results)


def test_buffers_are_rank_0s_at_each_forward_with_broadcast_buffers_only(ranks):
    # two training forwards, then one in eval mode without grad (torch syncs before it too)
    synced = [rank["buffers broadcast"] for rank in ranks]
    assert all(seen == synced[0] for seen in synced) and len(synced[0]) == 3
    unsynced = [rank["buffers not broadcast"] for rank in ranks]   # nor at construction
    assert all(len(set(forward)) == len(ranks) for forward in zip(*unsynced))


def test_no_sync_accumulates_locally_then_one_backward_averages_it_all(ranks):
    results = [rank["no_sync"] for rank in ranks]
    assert len({r["in_no_sync"] for r in results}) == len(results)
    assert len({r["synced"] for r in results}) == 1
    assert all(r["vs_one_process"] <= 1 for r in results)


def test_find_unused_parameters_averages_zeros_for_a_branch_one_rank_left_out(ranks):
    for rank in ranks:
        for iteration in rank["find_unused_parameters"]:
            # trunk and branch (weight, bias) have gradients; the layer no rank used has none
            assert iteration["none"] == [False] * 4 + [True] * 2
            assert iteration["vs_average"] <= 1


def test_a_model_that_differs_across_ranks_is_refused_on_every_rank(ranks):
    messages = {rank["a model that differs"] for rank in ranks}
    assert len(messages) == 1
    assert "the model differs across ranks" in messages.pop() and \
        "rank 0 has 0.weight float32 (3, 4), rank 1 has 0.weight float32 (4, 4)" in \
        ranks[0]["a model that differs"]


def test_buckets_all_reduces_start_before_backward_reaches_the_first_layer(ranks):
    for rank in ranks:
        overlap = rank["overlap"]
        last = overlap["first layer's bucket"]
        assert last >= 1 and overlap["during"][0] and not overlap["during"][last]
        assert all(overlap["after"])


def test_a_parameter_one_rank_leaves_unused_ends_the_job_with_its_name():
    code, out, err, _ = chainrule_run(2, PROGRAMS / "ddp_unused.py", timeout=30)
    assert code != 0 and "the job went on" not in out
    assert "2 parameter(s) got no gradient in this backward (branch.bias, branch.weight)" in err
    assert "find_unused_parameters=True" in err
    assert "chainrule run: rank 1 failed" in err


# ----- in a world of one ------------------------------------------------------------------------
@pytest.fixture
def wrap(ddp_of_one):
    return ddp_of_one


def test_without_a_process_group_it_is_refused_as_torch_refuses_it():
    with pytest.raises(ValueError) as theirs:
        torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError) as ours:
        DistributedDataParallel(cr.nn.Linear(2, 2))
    assert str(theirs.value) in str(ours.value)


def models():
    cr.manual_seed(0)
    mlp = cr.nn.Sequential(cr.nn.Linear(6, 8), cr.nn.Tanh(), cr.nn.Linear(8, 3))
    cnn = cr.nn.Sequential(cr.nn.Conv1d(2, 3, 3), cr.nn.ReLU(), cr.nn.Flatten(),
                           cr.nn.Linear(3 * 4, 3))
    return [(mlp, (6,)), (cnn, (2, 6))]


@pytest.mark.parametrize("optimizer", [
    lambda params: cr.optim.SGD(params, lr=0.1, momentum=0.9),
    lambda params: cr.optim.Adam(params, lr=0.01)], ids=["SGD momentum", "Adam"])
def test_in_a_world_of_one_training_is_the_plain_models_exactly(wrap, optimizer):
    for (model, shape), (plain, _) in zip(models(), models()):
        ddp = wrap(model, bucket_cap_mb=0.0002)
        assert ddp.module is model and len(ddp.reducer.buckets) >= 2
        g = cr.Generator().manual_seed(1)
        for module in (ddp, plain):
            opt = optimizer(module.parameters())
            for _ in range(3):
                x, y = cr.randn(5, *shape, generator=g), cr.randint(0, 3, (5,), generator=g)
                opt.zero_grad()
                cr.nn.functional.cross_entropy(module(x), y).backward()
                opt.step()
            g.manual_seed(1)
        for ours, theirs in zip(model.parameters(), plain.parameters()):
            np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
            np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())


def test_the_state_dict_has_torchs_module_prefix_and_loads_into_the_plain_model(wrap):
    (mlp, _), _ = models()
    ddp = wrap(mlp)
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    state = ddp.state_dict()
    assert list(state) == [f"module.{key}" for key in theirs.state_dict()]
    fresh = cr.nn.Sequential(cr.nn.Linear(6, 8), cr.nn.Tanh(), cr.nn.Linear(8, 3))
    fresh.load_state_dict({key.removeprefix("module."): value for key, value in state.items()})
    x = cr.randn(2, 6)
    np.testing.assert_array_equal(fresh(x).detach().numpy(), ddp(x).detach().numpy())
    ddp.load_state_dict(state)   # and back into the wrapper, prefix and all


def test_modules_without_gradients_and_other_devices_are_refused(wrap):
    with pytest.raises(TypeError, match="expected an nn.Module, got Tensor"):
        wrap(cr.ones(2))
    frozen = cr.nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(RuntimeError, match="doesn't have any parameter that requires a gradient"):
        wrap(frozen)
    with pytest.raises(RuntimeError):
        wrap(cr.nn.Linear(2, 2), device_ids=["cuda:0"])


def test_no_sync_in_a_world_of_one_accumulates_as_the_plain_model(wrap):
    (model, _), _ = models()
    (plain, _), _ = models()
    ddp = wrap(model)
    xs = [cr.randn(3, 6, generator=cr.Generator().manual_seed(k)) for k in range(3)]
    with ddp.no_sync():
        for x in xs[:2]:
            ddp(x).sum().backward()
            assert not ddp.reducer.expecting
    ddp(xs[2]).sum().backward()
    for x in xs:
        plain(x).sum().backward()
    for ours, theirs in zip(model.parameters(), plain.parameters()):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)


class Branches(cr.nn.Module):
    def __init__(self):
        super().__init__()
        self.trunk, self.branch = cr.nn.Linear(3, 3), cr.nn.Linear(3, 3)

    def forward(self, x, use_branch=True):
        h = self.trunk(x)
        return (h + self.branch(h) if use_branch else h).sum()


def test_an_unused_parameter_is_named_unless_find_unused_parameters(wrap):
    ddp = wrap(Branches())
    with pytest.raises(RuntimeError, match=r"2 parameter\(s\) got no gradient in this backward "
                                           r"\(branch.bias, branch.weight\).*"
                                           "find_unused_parameters=True"):
        ddp(cr.ones(1, 3), use_branch=False).backward()
    ddp.zero_grad()
    ddp(cr.ones(1, 3)).backward()   # the next iteration, with every parameter used, is fine
    assert all(p.grad is not None for p in ddp.parameters())
    found = wrap(Branches(), find_unused_parameters=True)
    found(cr.ones(1, 3), use_branch=False).backward()
    assert found.module.branch.weight.grad is None and found.module.trunk.weight.grad is not None


def test_torch_2_13s_buffer_flags_and_signature(wrap):
    theirs = inspect.signature(torch.nn.parallel.DistributedDataParallel.__init__).parameters
    ours = inspect.signature(DistributedDataParallel.__init__).parameters
    assert list(ours) == list(theirs)   # the same names in the same order, positional use too
    with pytest.warns(FutureWarning, match="`broadcast_buffers` is deprecated"):
        ddp = wrap(cr.nn.Linear(2, 2), broadcast_buffers=False)
    assert ddp.forward_sync_buffers is False and ddp.broadcast_buffers is False
    assert wrap(cr.nn.Linear(2, 2), forward_sync_buffers=False).forward_sync_buffers is False
    assert wrap(cr.nn.Linear(2, 2)).forward_sync_buffers is True
