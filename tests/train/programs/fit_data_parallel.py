"""fit under `chainrule run -n N`: a small MLP trained by one process (the reference) and by the
N ranks with DistributedDataParallel and a DistributedSampler, then the same run stopped
mid-epoch and resumed from its checkpoint, then stopped early, then evaluate on sharded and
whole data. Each rank
prints one JSON line of what it measured; tests/train/test_loop.py checks them.

Usage: chainrule run -n N tests/train/programs/fit_data_parallel.py OUT_FOLDER"""
import io
import json
import pathlib
import sys

import numpy as np

import chainrule as cr
import chainrule.distributed as dist
from chainrule import nn
from chainrule.data import DataLoader, DistributedSampler, Subset, TensorDataset
from chainrule.nn.parallel import DistributedDataParallel
from chainrule.train import CSVLogger, EarlyStopping, ModelCheckpoint, ProgressBar, evaluate, fit
from chainrule.train.callbacks import Callback, checkpointing

SAMPLES, BATCH, STEPS, EVAL_EVERY = 48, 8, 15, 4   # 6 global batches an epoch
STOP_AT = 9                                        # mid-epoch: epoch 1, its 3rd batch


def largest_logit(outputs, targets):
    """A metric given as a function: the batch's mean largest logit."""
    return float(outputs.max(dim=1).values.mean())


METRICS = ("accuracy", "top2", "confusion_matrix", largest_logit)


def data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(SAMPLES, 5)).astype(np.float32)
    return TensorDataset(cr.tensor(x), cr.tensor(x[:, :3].argmax(axis=1)))


def mlp():
    cr.manual_seed(1)
    return nn.Sequential(nn.Linear(5, 16), nn.Tanh(), nn.Linear(16, 3))


def train(model, sampler, batch, val_loader, steps=STEPS, callbacks=()):
    """fit with the setup every phase shares: Adam, cross-entropy, shuffled epochs."""
    loader = DataLoader(data(), batch_size=batch, sampler=sampler)
    return fit(model, nn.CrossEntropyLoss(), cr.optim.Adam(model.parameters(), lr=0.05), loader,
               val_loader, steps=steps, eval_every=EVAL_EVERY, callbacks=callbacks,
               metrics=METRICS)


class Counter(Callback):
    """Counts its calls: one that is rank_zero_only must see none on the other ranks."""
    rank_zero_only = True

    def __init__(self):
        self.calls = 0

    def on_step_end(self, run, logs):
        self.calls += 1


class Crash(Callback):
    """Ends the run with an error after the given step (its checkpoint written first)."""

    def __init__(self, step):
        self.step = step

    def on_step_end(self, run, logs):
        if run.step == self.step:
            raise RuntimeError("stopped on purpose")


def weights(model):
    return {name: tensor.numpy().copy() for name, tensor in model.state_dict().items()}


def main(out):
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    saves = []
    real_save = checkpointing.save
    checkpointing.save = lambda state, path: (saves.append(str(path)), real_save(state, path))
    whole = DataLoader(data(), batch_size=10)
    shard = DataLoader(Subset(data(), range(rank, SAMPLES, world)), batch_size=10)

    # the reference: one process, the global batch, the same shuffled order (a world of one)
    reference_model = mlp()
    reference = train(reference_model, DistributedSampler(data(), 1, 0), BATCH, whole)

    # N ranks: a share of each batch, rank 0 alone drawing, logging and saving
    straight = DistributedDataParallel(mlp())
    bar, counter = io.StringIO(), Counter()
    history = train(straight, DistributedSampler(data()), BATCH // world, shard, callbacks=[
        ProgressBar(file=bar, disable=False), counter, CSVLogger(out / "straight.csv"),
        ModelCheckpoint(out / "straight")])
    saves_straight = len(saves)

    # stopped at a mid-epoch step, then resumed from its checkpoint by a fresh model, made
    # first: nothing but ModelCheckpoint then holds rank 1 back from reading the checkpoint
    # before rank 0 has written it
    crashing, resumed_model = DistributedDataParallel(mlp()), DistributedDataParallel(mlp())
    stopped = ModelCheckpoint(out / "resumed", every=3)
    try:
        train(crashing, DistributedSampler(data()), BATCH // world, shard,
              callbacks=[stopped, CSVLogger(out / "resumed.csv"), Crash(STOP_AT)])
    except RuntimeError:
        pass
    resumed = train(resumed_model, DistributedSampler(data()), BATCH // world, shard, callbacks=[
        ModelCheckpoint(out / "resumed", every=3, resume=True),
        CSVLogger(out / "resumed.csv", append=True)])

    # early stopping: every rank sees the same history, so all stop where one process stops
    early_reference = train(mlp(), DistributedSampler(data(), 1, 0), BATCH, whole,
                            callbacks=[EarlyStopping(min_delta=0.2, patience=1)])
    early = train(DistributedDataParallel(mlp()), DistributedSampler(data()), BATCH // world,
                  shard, callbacks=[EarlyStopping(min_delta=0.2, patience=1)])

    dist.barrier()   # every file written before any rank reads
    a, b, c = weights(straight), weights(resumed_model), weights(reference_model)
    sharded = evaluate(straight, shard, nn.CrossEntropyLoss(), METRICS)
    unsharded = evaluate(straight, whole, nn.CrossEntropyLoss(), METRICS)
    alone = evaluate(straight.module, whole, nn.CrossEntropyLoss(), METRICS)
    on_rank_zero = DataLoader(Subset(data(), range(SAMPLES if rank == 0 else 0)), batch_size=10)
    lopsided = evaluate(straight, on_rank_zero, nn.CrossEntropyLoss(), METRICS)
    print(json.dumps({
        "rank": rank,
        "history": list(history), "reference": list(reference), "resumed": list(resumed),
        "stopped_at": [early_reference["step"][-1], early["step"][-1]],
        "keys": sorted(a),
        "off_reference": max(float(np.abs(a[k] - c[k.removeprefix("module.")]).max())
                             for k in a),
        "resumed_equal": all(np.array_equal(a[k], b[k]) for k in a),
        "bar_drawn": bool(bar.getvalue()), "counted": counter.calls,
        "saves": saves_straight, "saves_all": len(saves),
        "files": sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()),
        "csv": {name: (out / name).read_text() for name in ("straight.csv", "resumed.csv")},
        "evaluations": [_plain(r) for r in (sharded, unsharded, alone, lopsided)],
    }), flush=True)


def _plain(results):
    return {k: v.tolist() if hasattr(v, "tolist") else v for k, v in results.items()}


if __name__ == "__main__":
    main(pathlib.Path(sys.argv[1]))
