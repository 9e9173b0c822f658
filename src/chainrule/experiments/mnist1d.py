"""MNIST-1D's table (Greydanus, "Scaling Down Deep Learning", 2020): the paper's four models
trained with its setup, on the data and on their spatially shuffled variant."""
import dataclasses
import pathlib
import time

from chainrule import distributed as dist
from chainrule.data.dataset import Subset
from chainrule.data.datasets.mnist1d import mnist1d_splits
from chainrule.data.distributed import DistributedSampler
from chainrule.data.loader import DataLoader
from chainrule.models.mnist1d import MODELS, count_parameters
from chainrule.nn.functional import cross_entropy
from chainrule.nn.parallel.distributed import DistributedDataParallel
from chainrule.optim.adam import Adam
from chainrule.random import manual_seed
from chainrule.train import CSVLogger, ModelCheckpoint, ProgressBar, TensorBoardLogger, fit
from chainrule.viz.history import plot_history

# The paper's Table 1 (test accuracy, %), and with the 40 positions shuffled.
PAPER = {"logistic": 32, "mlp": 68, "cnn": 94, "gru": 91}
PAPER_SHUFFLED = {"logistic": 32, "mlp": 68, "cnn": 56, "gru": 57}
# The paper's setup (REFERENCES.md): Adam, lr 1e-2, batch 100 taken in order, 6000 steps,
# an evaluation every 250 steps, seed 42.
LR, BATCH, STEPS, EVAL_EVERY, SEED = 1e-2, 100, 6000, 250, 42


@dataclasses.dataclass
class Result:
    name: str
    shuffled: bool
    parameters: int
    test_accuracy: float     # a fraction, at the last step
    history: object
    seconds: float = None


def fit_classifier(model, train_set, test_set, steps=STEPS, callbacks=(), eval_every=EVAL_EVERY):
    """The paper's training of any classifier on any (train, test) pair of Datasets: Adam, lr
    1e-2, batches of 100 taken in order (batch index = step × 100 mod N), a test evaluation every
    250 steps for the curves. Returns (history, the last step's test accuracy).

    In a process group of more than one rank (`chainrule run -n N`), data parallel: see
    data_parallel. The run is the one-process run, to float32 round-off."""
    if world_size() > 1:
        model, train_loader, test_loader = data_parallel(model, train_set, test_set)
    else:
        train_loader = DataLoader(train_set, batch_size=BATCH)
        test_loader = DataLoader(test_set, batch_size=1000)
    history = fit(model, cross_entropy, Adam(model.parameters(), lr=LR), train_loader,
                  val_loader=test_loader, steps=steps, eval_every=min(eval_every, steps),
                  callbacks=callbacks)
    return history, history[-1]["val_accuracy"]


def data_parallel(model, train_set, test_set):
    """(the model in DistributedDataParallel, train loader, test loader) for this rank of N.

    The batch of 100 stays the global batch: rank r's k-th batch holds every N-th sample of the
    k-th batch of 100, from its r-th on (a DistributedSampler in order, batches of 100 / N),
    and DistributedDataParallel averages the N ranks' gradients into that batch's (exactly so
    while the train set's size is a multiple of 100, as MNIST-1D's 4000 is). Rank r
    evaluates test samples r, r + N, ..., each sample once in all (fit sums over the ranks)."""
    world, rank = world_size(), dist.get_rank()
    check_world_size(world)
    train_loader = DataLoader(train_set, batch_size=BATCH // world,
                              sampler=DistributedSampler(train_set, shuffle=False))
    test_loader = DataLoader(Subset(test_set, range(rank, len(test_set), world)), batch_size=1000)
    return DistributedDataParallel(model), train_loader, test_loader


def check_world_size(world):
    """Refuse a number of processes that cannot share the batch of 100 evenly."""
    if BATCH % world:
        divisors = ", ".join(str(n) for n in range(1, BATCH + 1) if BATCH % n == 0)
        raise ValueError(f"the batch of {BATCH} cannot be shared evenly by {world} processes: "
                         f"run {divisors} of them")


def world_size():
    """The number of processes training together: the process group's size, else 1."""
    return dist.get_world_size() if dist.is_initialized() else 1


def is_rank_zero():
    """Whether this process prints and writes: rank 0 of the process group, or a lone process."""
    return not dist.is_initialized() or dist.get_rank() == 0


def train(name, shuffled=False, steps=STEPS, seed=SEED, out=None, resume=False, progress=True,
          root=None, model_options=None):
    """Train one of the paper's models with its setup and return its Result.

    As in the paper's notebooks, the test set is evaluated every 250 steps to draw the curves and
    the last step's accuracy is reported; nothing is chosen on it (no early stopping, no "best"
    checkpoint). With out, the run writes there: last.safetensors (everything a --resume needs),
    history.csv, TensorBoard events (tensorboard/) and history.png. In a process group of N
    (`chainrule run -n N`), rank 0 alone writes them and draws the progress bar.
    """
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}: choose one of {', '.join(MODELS)}")
    manual_seed(seed)   # the initial weights; the batches come in a fixed order
    model = MODELS[name](**(model_options or {}))
    callbacks = [ProgressBar()] if progress else []
    if out is not None:
        out = pathlib.Path(out)
        callbacks += [ModelCheckpoint(out, monitor=None, resume=resume),
                      CSVLogger(out / "history.csv", append=resume),
                      TensorBoardLogger(out / "tensorboard")]
    start = time.perf_counter()
    history, accuracy = fit_classifier(model, *mnist1d_splits(shuffled, root), steps, callbacks)
    seconds = time.perf_counter() - start
    if out is not None and is_rank_zero():
        plot_history(out / "history.png", history, title=_title(name, shuffled))
    return Result(name, shuffled, count_parameters(model), accuracy, history, seconds), model


def table(names=tuple(PAPER), steps=STEPS, seed=SEED, root=None, progress=False, report=None):
    """Every model on the data and on the shuffled data: a list of Results. report(result), if
    given, is called as each run ends (the command prints its row as it goes)."""
    results = []
    for shuffled in (False, True):
        for name in names:
            result, _ = train(name, shuffled, steps, seed, progress=progress, root=root)
            results.append(result)
            if report is not None:
                report(result)
    return results


def _title(name, shuffled):
    return (f"MNIST-1D, {name}{' (shuffled positions)' if shuffled else ''}; validation is the "
            "test set, as the paper plots it")
