"""SyncBatchNorm across the ranks of a `chainrule run -n N` job: each rank normalizes its share
of one batch, and every rank checks its output, its input's gradient, the parameters' gradients
(summed over the ranks) and the running statistics against BatchNorm on the whole batch in one
process; then a small CNN converted with convert_sync_batchnorm trains under DDP, and its
weights and running statistics must equal one process's. Each rank prints one JSON line."""
import json

import chainrule as cr
import chainrule.distributed as dist
from chainrule.nn.parallel import DistributedDataParallel


def worst(a, b):
    return float((a.detach() - b.detach()).abs().max())


def one_layer(rank, world):
    g = cr.Generator().manual_seed(0)
    batch = cr.randn(4 * world, 3, 5, generator=g) * 2 + 1
    upstream = cr.randn(4 * world, 3, 5, generator=g)
    sync, alone = cr.nn.SyncBatchNorm(3), cr.nn.BatchNorm1d(3)
    with cr.no_grad():
        for layer in (sync, alone):
            layer.weight.copy_(cr.linspace(0.5, 1.5, 3))
            layer.bias.copy_(cr.linspace(-1, 1, 3))
    mine = batch[rank::world].clone().requires_grad_()
    ours = sync(mine)
    (ours * upstream[rank::world]).sum().backward()
    whole = batch.clone().requires_grad_()
    theirs = alone(whole)
    (theirs * upstream).sum().backward()
    grads = [sync.weight.grad.clone(), sync.bias.grad.clone()]
    for grad in grads:   # each rank's share of the parameters' gradients, summed
        dist.all_reduce(grad)
    return {"output": worst(ours, theirs[rank::world]),
            "input grad": worst(mine.grad, whole.grad[rank::world]),
            "weight grad": worst(grads[0], alone.weight.grad),
            "bias grad": worst(grads[1], alone.bias.grad),
            "running mean": worst(sync.running_mean, alone.running_mean),
            "running var": worst(sync.running_var, alone.running_var),
            "eval": worst(sync.eval()(mine), alone.eval()(whole)[rank::world])}


def cnn():
    cr.manual_seed(0)
    return cr.nn.Sequential(cr.nn.Conv1d(1, 4, 3), cr.nn.BatchNorm1d(4), cr.nn.ReLU(),
                            cr.nn.Flatten(), cr.nn.Linear(4 * 10, 2))


def training(rank, world, steps=3):
    g = cr.Generator().manual_seed(1)
    data = [(cr.randn(4 * world, 1, 12, generator=g), cr.randint(0, 2, (4 * world,), generator=g))
            for _ in range(steps)]
    model = DistributedDataParallel(cr.nn.SyncBatchNorm.convert_sync_batchnorm(cnn()))
    alone = cnn()
    for net, share in ((model, slice(rank, None, world)), (alone, slice(None))):
        optimizer = cr.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
        for x, y in data:
            optimizer.zero_grad()
            cr.nn.functional.cross_entropy(net(x[share]), y[share]).backward()
            optimizer.step()
    ours = list(model.module.parameters()) + [model.module[1].running_mean,
                                               model.module[1].running_var]
    theirs = list(alone.parameters()) + [alone[1].running_mean, alone[1].running_var]
    return {"layer": type(model.module[1]).__name__,
            "vs one process": max(worst(a, b) for a, b in zip(ours, theirs))}


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    print(json.dumps({"rank": rank, "layer": one_layer(rank, world),
                      "training": training(rank, world)}), flush=True)


if __name__ == "__main__":
    main()
