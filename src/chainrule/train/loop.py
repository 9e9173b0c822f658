"""fit and evaluate: the training loop written out plainly, with callbacks (train/callbacks/) as
its only extension point; Run, the state the callbacks see; the sums taken over the ranks of a
DistributedDataParallel model; and the random-number-generator states a checkpoint needs to
replay an epoch exactly."""
import dataclasses
import functools
import math

from chainrule.backend import float64, xp
from chainrule.grad_mode import no_grad
from chainrule.optim.lr_scheduler import ReduceLROnPlateau
from chainrule.random import default_generator
from chainrule.train.data_parallel import mean_over_ranks, process_group, sum_over_ranks
from chainrule.train.history import History
from chainrule.train.interrupt import deferred_interrupt
from chainrule.train.metrics import accumulator, metric_name


@dataclasses.dataclass
class Run:
    """What the callbacks see of a training run. The counters always describe completed work:
    step optimizer steps, epoch passes over train_loader, batch_in_epoch batches of the current
    pass. A callback may set stop = True (training ends after this step), and a resuming one
    (ModelCheckpoint) sets the counters, the history and the fields below them before training.
    rank is this process's rank in the process group of a DistributedDataParallel model (0
    without one): callbacks that write or print act on rank 0 alone."""
    model: object
    loss_fn: object
    optimizer: object
    scheduler: object
    train_loader: object
    val_loader: object
    metrics: tuple
    callbacks: tuple
    epochs: int = None              # the epochs to train for, or None when max_steps is given
    max_steps: int = None           # the steps to train for, or None when epochs is given
    eval_every: int = None          # evaluate every so many steps; None: at each epoch's end
    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    history: History = dataclasses.field(default_factory=History)
    stop: bool = False
    error: BaseException = None     # the exception that ended training (on_fit_end sees it)
    train_loss_sum: float = 0.0     # training losses since the last evaluation: their sum
    train_loss_count: int = 0       # and their number
    epoch_rng_state: dict = None    # rng_state(train_loader) as the current epoch began
    rank: int = 0


def fit(model, loss_fn, optimizer, train_loader, val_loader=None, epochs=None, steps=None,
        scheduler=None, callbacks=(), metrics=("accuracy",), eval_every=None):
    """Train model on train_loader for `epochs` passes or for `steps` optimizer steps (exactly
    one of them); with steps the loader is cycled, a new epoch beginning when it runs out.

    Each step: model.train(); loss = loss_fn(model(x), y); optimizer.zero_grad();
    loss.backward(); optimizer.step(); scheduler.step(). A scheduler steps once per optimizer
    step, so give it step counts (StepLR(step_size=1000)); ReduceLROnPlateau instead steps at each
    evaluation, on val_loss (train_loss without a val_loader).

    An evaluation comes every eval_every steps (default: at each epoch's end) and at the last
    step. It appends to the history {"step", "epoch", "train_loss": the mean training loss since
    the previous evaluation, "val_loss", "val_<metric>" for each metric} (the val_ entries only
    with a val_loader); metrics are as evaluate takes them.

    A loss that is NaN or infinite stops training with FloatingPointError before the optimizer
    applies it. Whatever ends training (the last step, run.stop, an error, Ctrl-C), each
    callback's on_fit_end runs, with run.error set to the exception, which is then re-raised.
    Ctrl-C (SIGINT, in the main thread) raises KeyboardInterrupt once the current step and its
    callbacks are complete, so the model never holds a half-applied step and no checkpoint or
    log write is cut short; a second Ctrl-C raises at once (train/interrupt.py).
    Data parallel, as with torch: start the processes with `chainrule run -n N`, wrap the model
    in nn.parallel.DistributedDataParallel and give train_loader a DistributedSampler, on every
    rank. fit then calls the sampler's set_epoch(epoch) as each epoch begins; each step's loss
    is the mean over the ranks (so every rank records the same history, stops on the same NaN
    and with the same EarlyStopping); evaluations are summed over the ranks (see evaluate); and
    the callbacks marked rank_zero_only (ProgressBar, CSVLogger, TensorBoardLogger) run on rank
    0 alone, as ModelCheckpoint writes there alone. A model not so wrapped trains on its rank
    alone, as in a program of one process.
    Returns the History.
    """
    _check_length(epochs, steps, eval_every, train_loader)
    if steps is not None and eval_every is None:
        eval_every = len(train_loader)
    run = Run(model, loss_fn, optimizer, scheduler, train_loader, val_loader,
              tuple(metrics or ()), tuple(callbacks), epochs, steps, eval_every)
    group = process_group(model)
    run.rank = 0 if group is None else group.rank()
    with deferred_interrupt() as interrupt:
        try:
            _call(run, "on_fit_start")
            interrupt.check()   # a Ctrl-C while a callback started (a resume loading, say)
            while not _finished(run):
                _train_epoch(run, interrupt)
        except BaseException as error:   # KeyboardInterrupt too: on_fit_end must see it
            run.error = error
            raise
        finally:
            _call(run, "on_fit_end")
    return run.history


def _train_epoch(run, interrupt):
    """The rest of the current epoch: every batch of it after a fresh start. A pending Ctrl-C
    is raised between steps: after a step's callbacks, before the next batch is drawn."""
    expected = len(run.train_loader)
    for inputs, targets in _epoch_batches(run):
        lr = run.optimizer.param_groups[0]["lr"]
        loss = _train_step(run, inputs, targets)
        run.step += 1
        run.batch_in_epoch += 1
        epoch_ended = run.batch_in_epoch == expected
        if epoch_ended:
            run.epoch, run.batch_in_epoch = run.epoch + 1, 0
        _call(run, "on_step_end", {"loss": loss, "lr": lr})
        due = epoch_ended if run.eval_every is None else run.step % run.eval_every == 0
        if due or _finished(run):
            _evaluate_and_record(run)
        if epoch_ended:
            _call(run, "on_epoch_end")
        interrupt.check()
        if epoch_ended or _finished(run):
            return
    raise RuntimeError(f"fit: train_loader ran out after {run.batch_in_epoch} batches of an "
                       f"epoch, but its len() is {expected}")


def _train_step(run, inputs, targets):
    """One optimizer step; returns the loss as a float."""
    run.model.train()
    loss = run.loss_fn(run.model(inputs), targets)
    value = mean_over_ranks(run.model, float(loss.item()))
    if not math.isfinite(value):
        raise FloatingPointError(
            f"fit: the loss is {value} at step {run.step + 1}; it was not applied, so the model "
            f"holds the weights after step {run.step}. Lower the learning rate, check the data "
            "for nan or inf, or clip the gradients (chainrule.nn.utils.clip_grad_norm_)")
    run.optimizer.zero_grad()
    loss.backward()
    run.optimizer.step()
    if run.scheduler is not None and not isinstance(run.scheduler, ReduceLROnPlateau):
        run.scheduler.step()
    run.train_loss_sum += value
    run.train_loss_count += 1
    return value


def _evaluate_and_record(run):
    record = {"step": run.step, "epoch": run.epoch,
              "train_loss": run.train_loss_sum / max(run.train_loss_count, 1)}
    run.train_loss_sum, run.train_loss_count = 0.0, 0
    if run.val_loader is not None:
        results = evaluate(run.model, run.val_loader, run.loss_fn, run.metrics)
        record.update({f"val_{name}": _plain(value) for name, value in results.items()})
    if isinstance(run.scheduler, ReduceLROnPlateau):
        run.scheduler.step(record.get("val_loss", record["train_loss"]))
    run.history.append(record)
    _call(run, "on_evaluate", run.history[-1])


def _finished(run):
    return (run.stop or (run.max_steps is not None and run.step >= run.max_steps)
            or (run.epochs is not None and run.epoch >= run.epochs))


def _call(run, hook, *args):
    for callback in run.callbacks:
        if run.rank == 0 or not getattr(callback, "rank_zero_only", False):
            getattr(callback, hook)(run, *args)


def evaluate(model, loader, loss_fn=None, metrics=("accuracy",)):
    """Measure model on every batch of loader, in eval mode and without a graph, then put each
    module back in the mode it was in. Returns {"loss": ..., <metric>: ...}, each a mean over
    samples (not batches): "loss" with a loss_fn (one that averages over its batch, as the
    default reduction="mean" does); metrics as train/metrics.py names them: "accuracy", "top5",
    "confusion_matrix" (an array), or functions (outputs, targets) -> float. "loss" may be listed
    among the metrics too: it is the loss_fn's.

    With a DistributedDataParallel model, every rank of its process group must call evaluate:
    the sums (the loss's, the sample count, each metric's) are added over the ranks before the
    means are taken, so each rank may evaluate a disjoint share of the data (each sample once
    in all) or the whole of it (every mean is then as one rank's, a confusion matrix N times
    one rank's counts)."""
    names = [metric_name(metric) for metric in metrics or ()]
    if "loss" in names and loss_fn is None:
        raise ValueError("evaluate: the metric 'loss' needs a loss_fn")
    accumulators = {name: accumulator(metric)
                    for name, metric in zip(names, metrics or ()) if name != "loss"}
    modes = [(module, module.training) for module in model.modules()]
    loss_total, count = 0.0, 0
    model.eval()
    try:
        with no_grad():
            for inputs, targets in loader:
                outputs = model(inputs)
                size = len(targets)
                if loss_fn is not None:
                    loss_total += float(loss_fn(outputs, targets).item()) * size
                for metric in accumulators.values():
                    metric.update(outputs, targets)
                count += size
    finally:
        for module, training in modes:
            module.training = training
    group = process_group(model)
    if group is not None:
        total = functools.partial(sum_over_ranks, group)
        loss_total, count = total(xp.array([loss_total, count], dtype=float64)).tolist()
        count = int(count)
        for metric in accumulators.values():
            metric.reduce(total)
    if count == 0:
        raise ValueError("evaluate: the loader gave no samples")
    results = {"loss": loss_total / count} if loss_fn is not None else {}
    results.update({name: metric.compute() for name, metric in accumulators.items()})
    return results


def _plain(value):
    """A metric's value as the history keeps it: a float, or nested lists (a confusion matrix)."""
    return value.tolist() if hasattr(value, "tolist") else value


def _check_length(epochs, steps, eval_every, train_loader):
    if (epochs is None) == (steps is None):
        raise ValueError(f"fit: give exactly one of epochs and steps, got epochs={epochs!r}, "
                         f"steps={steps!r}")
    for name, value in (("epochs", epochs), ("steps", steps), ("eval_every", eval_every)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 1):
            raise ValueError(f"fit: {name} must be a positive integer, got {value!r}")
    if len(train_loader) == 0:
        raise ValueError("fit: train_loader has no batches")


# ----- random-number-generator states: what an exact resume needs ------------------------------
def _epoch_batches(run):
    """An iterator over the current epoch's batches. At an epoch's start it records the generator
    states the epoch's order is about to be drawn from. A run resumed mid-epoch (batch_in_epoch
    > 0) puts those recorded states back, draws the same order, skips the batches already
    consumed, then returns the generators to their states at the checkpoint."""
    loader = run.train_loader
    sampler = getattr(loader, "sampler", None)
    if hasattr(sampler, "set_epoch"):   # a DistributedSampler: the epoch's order is drawn anew
        sampler.set_epoch(run.epoch)
    if run.batch_in_epoch == 0:
        run.epoch_rng_state = rng_state(loader)
        return iter(loader)
    at_checkpoint = rng_state(loader)
    set_rng_state(loader, run.epoch_rng_state)
    batches = iter(loader)
    for _ in range(run.batch_in_epoch):
        if next(batches, None) is None:
            raise RuntimeError(f"fit: cannot skip {run.batch_in_epoch} batches to resume: "
                               f"train_loader has only {len(loader)}")
    set_rng_state(loader, at_checkpoint)
    return batches


def rng_state(loader):
    """{"global": the global generator's state (dropout, init, and shuffling without a generator
    of its own), "loader": [the state of each Generator the loader shuffles with]}."""
    return {"global": default_generator.get_state(),
            "loader": [generator.get_state() for generator in _loader_generators(loader)]}


def set_rng_state(loader, state):
    generators = _loader_generators(loader)
    if len(generators) != len(state["loader"]):
        raise ValueError(f"the saved state holds {len(state['loader'])} train-loader generators, "
                         f"the train_loader has {len(generators)}")
    default_generator.set_state(state["global"])
    for generator, saved in zip(generators, state["loader"]):
        generator.set_state(saved)


def _loader_generators(loader):
    """The distinct Generators of a DataLoader and of its sampler (none for a plain list)."""
    found = [getattr(loader, "generator", None),
             getattr(getattr(loader, "sampler", None), "generator", None)]
    unique = {id(generator): generator for generator in found if generator is not None}
    return list(unique.values())
