"""The Reducer behind DistributedDataParallel, in a world of one (this process, without a
launcher): its buckets, all-reduces started while backward goes on, and what it leaves in .grad.
Across processes it is tested through DistributedDataParallel (test_distributed.py)."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.distributed.group import default_group
from chainrule.nn.parallel.reducer import Reducer


@pytest.fixture
def world(ddp_of_one):
    return ddp_of_one


def test_buckets_hold_the_parameters_in_reverse_one_dtype_each_up_to_their_size(world):
    shapes = {"a": (10, "float32"), "b": (3, "float32"), "c": (20, "float32"),
              "d": (2, "float64"), "e": (5, "float32")}
    params = {name: cr.zeros(n, dtype=getattr(cr, dtype), requires_grad=True)
              for name, (n, dtype) in shapes.items()}
    reducer = Reducer(list(params.values()), {id(p): n for n, p in params.items()},
                      default_group(), caps=[32, 64], find_unused=False)
    names = {id(p): n for n, p in params.items()}
    # e (20 bytes) fills the small first bucket; d's dtype starts another; c (80 bytes) is
    # alone over the size; b and a (52 bytes) share the last
    assert [[names[id(p)] for p in b.params] for b in reducer.buckets] == \
        [["e"], ["d"], ["c"], ["b", "a"]]
    assert [str(b.flat.dtype) for b in reducer.buckets] == ["float32", "float64"] + \
        ["float32"] * 2
    assert reducer.buckets[3].offsets == [0, 3] and reducer.buckets[3].flat.size == 13


def mlp():
    cr.manual_seed(0)
    return cr.nn.Sequential(cr.nn.Linear(4, 8), cr.nn.Tanh(), cr.nn.Linear(8, 8), cr.nn.Tanh(),
                            cr.nn.Linear(8, 2))


def test_a_buckets_all_reduce_starts_while_backward_goes_on(world):
    model = mlp()
    ddp = world(model, bucket_cap_mb=0.0002)   # 209 bytes: a bucket per layer, or per weight
    buckets, seen, returned = ddp.reducer.buckets, [], [False]
    assert len(buckets) >= 3
    first = model[0].weight   # the input side: in the last bucket, its gradient among the last
    handle = first.register_post_accumulate_grad_hook(lambda t: seen.append(
        ([b.request is not None for b in buckets], ddp.reducer.expecting, returned[0])))
    ddp(cr.randn(3, 4)).sum().backward()
    returned[0] = True
    handle.remove()
    (started, expecting, after) = seen.pop()
    # the output side's bucket started; the pass still running, its end not yet reached
    assert started[0] and expecting and not after
    assert all(b.request is not None for b in buckets) and not ddp.reducer.expecting
    assert ddp.reducer.comm_seconds > 0


def test_the_average_of_one_rank_is_what_backward_accumulated(world):
    model, plain = mlp(), mlp()
    ddp = world(model, bucket_cap_mb=0.0002)
    x = cr.randn(3, 4)
    for module in (ddp, plain):   # a .grad already there is added to, then averaged
        module(x).sum().backward()
        module(x * 2).square().sum().backward()
    for ours, theirs in zip(model.parameters(), plain.parameters()):
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-6)


class Half(cr.nn.Module):
    """Two layers, of which forward uses one."""

    def __init__(self):
        super().__init__()
        self.used, self.unused = cr.nn.Linear(2, 2), cr.nn.Linear(2, 2)

    def forward(self, x):
        return self.used(x)


def test_a_parameter_no_rank_used_keeps_its_grad_with_find_unused_parameters(world):
    model = Half()
    ddp = world(model, find_unused_parameters=True)
    model.unused.weight.grad = cr.full((2, 2), 7.0)
    for _ in range(2):
        ddp(cr.ones(1, 2)).sum().backward()
    assert model.unused.weight.grad.tolist() == [[7.0, 7.0]] * 2
    assert model.unused.bias.grad is None and model.used.bias.grad.tolist() == [2.0, 2.0]


def test_a_backward_no_synchronised_forward_asked_for_only_accumulates(world):
    model = Half()
    ddp = world(model)   # without find_unused_parameters: a synchronised backward would refuse
    model(cr.ones(1, 2)).sum().backward()   # the module itself, not the wrapper
    assert not ddp.reducer.queued and model.used.bias.grad.tolist() == [1.0, 1.0]
    with cr.no_grad():
        ddp(cr.ones(1, 2))
    assert not ddp.reducer.expecting
    model(cr.ones(1, 2)).sum().backward()
    assert not ddp.reducer.queued and model.used.bias.grad.tolist() == [2.0, 2.0]
