"""DistributedDataParallel across the ranks of a `chainrule run -n N` job, for
tests/nn/test_distributed.py: training against one process on the global batch (an MLP and a
Conv1d network, each with SGD momentum and with Adam), BatchNorm's buffers, no_sync,
find_unused_parameters, a model that differs across ranks, and buckets started during backward.
Each rank prints one JSON line, {"rank": r, case: result}; digests of the weights let the test
compare ranks exactly."""
import hashlib
import json
import warnings

import numpy as np

import chainrule as cr
import chainrule.distributed as dist
from chainrule.nn.parallel import DistributedDataParallel

SMALL_BUCKETS = 0.0002   # MiB (209 bytes): the models below span several buckets
PER_RANK = 4             # samples of each rank's share of a batch
STEPS = 4


def digest(tensors):
    """A hash of the tensors' bytes (None for a missing tensor): equal digests, equal values."""
    h = hashlib.sha256()
    for t in tensors:
        h.update(b"none" if t is None else t.detach().numpy().tobytes())
    return h.hexdigest()


def worst(ours, reference):
    """max |ours - reference| / (1e-5 |reference| + 1e-7) over the tensors: at most 1 when they
    agree to float32 round-off (rtol 1e-5)."""
    return max(float(np.max(np.abs(a.detach().numpy() - b.detach().numpy())
                            / (1e-5 * np.abs(b.detach().numpy()) + 1e-7)))
               for a, b in zip(ours, reference))


def mlp():
    return cr.nn.Sequential(cr.nn.Linear(6, 16), cr.nn.Tanh(), cr.nn.Linear(16, 16), cr.nn.Tanh(),
                            cr.nn.Linear(16, 3))


def cnn():
    return cr.nn.Sequential(cr.nn.Conv1d(2, 4, 3), cr.nn.ReLU(), cr.nn.Conv1d(4, 4, 3, padding=1),
                            cr.nn.ReLU(), cr.nn.Flatten(), cr.nn.Linear(4 * 6, 3))


OPTIMIZERS = {
    "SGD momentum": lambda params: cr.optim.SGD(params, lr=0.1, momentum=0.9),
    "Adam": lambda params: cr.optim.Adam(params, lr=0.01),
}


def batches(world, shape, seed):
    """STEPS global batches (the same on every rank), PER_RANK samples per rank each."""
    g = cr.Generator().manual_seed(seed)
    n = PER_RANK * world
    return [(cr.randn(n, *shape, generator=g), cr.randint(0, 3, (n,), generator=g))
            for _ in range(STEPS)]


def share(batch, rank):
    x, y = batch
    return x[rank * PER_RANK:(rank + 1) * PER_RANK], y[rank * PER_RANK:(rank + 1) * PER_RANK]


def train(model, optimizer, data):
    for x, y in data:
        loss = cr.nn.functional.cross_entropy(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def training(rank, world, build, optimizer, shape, seed):
    """DDP from each rank's own initialisation against one process, from rank 0's, on the
    global batches."""
    cr.manual_seed(seed + rank)
    local = build()
    initial = digest(local.parameters())
    ddp = DistributedDataParallel(local, bucket_cap_mb=SMALL_BUCKETS)
    broadcast = digest(local.parameters())
    data = batches(world, shape, seed)
    train(ddp, optimizer(ddp.parameters()), [share(b, rank) for b in data])
    cr.manual_seed(seed)
    alone = build()
    train(alone, optimizer(alone.parameters()), data)
    return {"initial": initial, "broadcast": broadcast, "weights": digest(local.parameters()),
            "vs_one_process": worst(list(local.parameters()), list(alone.parameters())),
            "buckets": len(ddp.reducer.buckets)}


def buffers(rank, world, broadcast_buffers):
    """The BatchNorm's buffers as each forward of the module begins (digests): two training
    steps on each rank's own data, then a forward in eval mode without grad."""
    cr.manual_seed(rank)
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.BatchNorm1d(4), cr.nn.Linear(4, 2))
    model[1].running_mean.add_(float(rank))   # buffers that differ across ranks at first
    seen = []
    model.register_forward_pre_hook(lambda module, inputs: seen.append(digest(module.buffers())))
    # torch 2.13's flag when buffers are synced (the default), its deprecated one when not (the
    # only way to keep rank-local buffers at construction too)
    flag = {} if broadcast_buffers else {"broadcast_buffers": False}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        ddp = DistributedDataParallel(model, bucket_cap_mb=SMALL_BUCKETS, **flag)
    optimizer = cr.optim.SGD(ddp.parameters(), lr=0.1)
    g = cr.Generator().manual_seed(50 + rank)   # each rank's own samples
    train(ddp, optimizer, [(cr.randn(5, 3, generator=g), cr.randint(0, 2, (5,), generator=g))
                           for _ in range(2)])
    ddp.eval()
    with cr.no_grad():
        ddp(cr.randn(5, 3, generator=g))
    return seen


def no_sync(rank, world, micro=3):
    """micro-1 backwards within no_sync, then a synchronised one: the gradients before and after
    it, against one process's accumulated over the global micro-batches."""
    cr.manual_seed(7 + rank)
    model = mlp()
    ddp = DistributedDataParallel(model, bucket_cap_mb=SMALL_BUCKETS)
    data = batches(world, (6,), seed=7)[:micro]

    def step(module, x, y):
        cr.nn.functional.cross_entropy(module(x), y).backward()
    with ddp.no_sync():
        for batch in data[:-1]:
            step(ddp, *share(batch, rank))
    local = digest(p.grad for p in model.parameters())
    step(ddp, *share(data[-1], rank))
    cr.manual_seed(7)
    alone = mlp()
    for batch in data:
        step(alone, *batch)
    return {"in_no_sync": local, "synced": digest(p.grad for p in model.parameters()),
            "vs_one_process": worst([p.grad for p in model.parameters()],
                                    [p.grad for p in alone.parameters()])}


class Branches(cr.nn.Module):
    """A trunk every rank uses, a branch some ranks use, and a layer no rank uses."""

    def __init__(self):
        super().__init__()
        self.trunk, self.branch, self.never = (cr.nn.Linear(3, 3) for _ in range(3))

    def forward(self, x, use_branch):
        h = self.trunk(x)
        return (h + self.branch(h) if use_branch else h).square().mean()


def unused(rank, world):
    """find_unused_parameters: in each of two iterations the branch is left out on one rank
    (another each time); the gradients against the average of each rank's own gradients (zeros
    where it left the branch out)."""
    cr.manual_seed(3 + rank)
    model = Branches()
    ddp = DistributedDataParallel(model, find_unused_parameters=True, bucket_cap_mb=SMALL_BUCKETS)
    cr.manual_seed(3)
    alone = Branches()   # rank 0's initial weights, which DDP broadcast
    result = []
    for iteration in range(2):
        x = cr.randn(4, 3, generator=cr.Generator().manual_seed(rank + 10 * iteration))
        use = rank != (world - 1 - iteration) % world
        model.zero_grad(set_to_none=True)
        alone.zero_grad(set_to_none=True)
        ddp(x, use_branch=use).backward()
        alone(x, use_branch=use).backward()
        ours = [p.grad for p in model.parameters()]
        everyone = [None] * world
        dist.all_gather_object(everyone, [None if p.grad is None else p.grad.numpy()
                                          for p in alone.parameters()])
        expected = [_average([grads[i] for grads in everyone]) for i in range(len(ours))]
        result.append({"none": [g is None for g in ours],
                       "vs_average": worst([g for g in ours if g is not None],
                                           [g for g in expected if g is not None])})
    return result


def _average(grads):
    """The ranks' mean of one parameter's gradients, zeros for None (None if all are)."""
    if all(g is None for g in grads):
        return None
    return cr.tensor(sum(0.0 if g is None else g for g in grads) / len(grads))


def differing(rank):
    """The error every rank gets when rank 1's model has a wider first layer."""
    model = cr.nn.Sequential(cr.nn.Linear(4, 3 + (rank == 1)), cr.nn.Linear(3, 1))
    try:
        DistributedDataParallel(model)
    except RuntimeError as error:
        return str(error)
    return "no error"


def overlap(rank):
    """Which buckets had their all-reduce started when the gradient reached the first layer's
    output, before that layer's backward (the last of the pass) ran; and after backward."""
    cr.manual_seed(0)
    model = mlp()
    ddp = DistributedDataParallel(model, bucket_cap_mb=SMALL_BUCKETS)
    started = {}

    def record(grad):
        started["during"] = [b.request is not None for b in ddp.reducer.buckets]

    def watch(module, inputs, output):
        output.register_hook(record)
    model[0].register_forward_hook(watch)
    ddp(cr.randn(PER_RANK, 6)).sum().backward()
    started["after"] = [b.request is not None for b in ddp.reducer.buckets]
    started["first layer's bucket"] = ddp.reducer.where[id(model[0].weight)][0]
    return started


def main():
    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    try:
        results = {"rank": rank}
        for seed, (name, build, shape) in enumerate([("mlp", mlp, (6,)), ("cnn", cnn, (2, 8))]):
            for optimizer, make in OPTIMIZERS.items():
                results[f"{name}, {optimizer}"] = training(rank, world, build, make, shape,
                                                           seed=100 + 10 * seed)
        results.update({
            "buffers broadcast": buffers(rank, world, broadcast_buffers=True),
            "buffers not broadcast": buffers(rank, world, broadcast_buffers=False),
            "no_sync": no_sync(rank, world),
            "find_unused_parameters": unused(rank, world),
            "a model that differs": differing(rank),
            "overlap": overlap(rank),
        })
        print(json.dumps(results), flush=True)
    finally:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
