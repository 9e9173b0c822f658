"""`chainrule train mnist1d | charlm | translate | gan`, a module per task; mnist1d, here: one
of the MNIST-1D paper's models trained with its setup, with a progress bar, a checkpoint to
resume from, the history as CSV, TensorBoard events and a plot; data parallel when started by
`chainrule run -n N`, rank 0 alone printing and writing."""
import json
import os
import pathlib
import sys

from chainrule import distributed as dist
from chainrule.cli import train_charlm, train_gan, train_translate
from chainrule.cli.arguments import positive_int, seed_int
from chainrule.distributed.group import launched_world_size
from chainrule.experiments import mnist1d
from chainrule.models.mnist1d import MODELS
from chainrule.utils.files import make_writable_folder


def add_parser(commands):
    train = commands.add_parser(
        "train", help="train a model: mnist1d (the paper's four), charlm, translate, gan")
    tasks = train.add_subparsers(dest="task", required=True)
    _add_mnist1d(tasks)
    for task in (train_charlm, train_translate, train_gan):
        task.add_parser(tasks)


def _add_mnist1d(tasks):
    command = tasks.add_parser(
        "mnist1d", help="train one of the MNIST-1D paper's models",
        description="Train one of the four models of Greydanus (2020) on MNIST-1D with the "
                    "paper's setup (Adam, lr 1e-2, batch 100 in order, 6000 steps), then print "
                    "the final step's test accuracy.")
    command.add_argument("--model", choices=list(MODELS), default="cnn")
    command.add_argument("--shuffled", action="store_true",
                         help="permute the 40 positions (one fixed permutation)")
    command.add_argument("--steps", type=positive_int, default=mnist1d.STEPS,
                         help=f"optimizer steps (default {mnist1d.STEPS}, the paper's)")
    command.add_argument("--seed", type=seed_int, default=mnist1d.SEED,
                         help=f"seed of the initial weights (default {mnist1d.SEED})")
    command.add_argument("--out", help="folder for the checkpoint, logs and plot "
                                       "(default out/mnist1d/MODEL[-shuffled])")
    command.add_argument("--resume", action="store_true",
                         help="continue the run saved in --out from its last checkpoint")
    command.set_defaults(run=run, data_parallel=True)   # trains together under chainrule run -n


def run(args):
    if launched_world_size() > 1 and not dist.is_initialized():
        dist.init_process_group("mpi")   # started as N ranks (chainrule run -n N): train together
    out = pathlib.Path(args.out or f"out/mnist1d/{args.model}{'-shuffled' if args.shuffled else ''}")
    found = _file_identity(out / "last.safetensors")   # an earlier run's checkpoint, if any
    try:
        return _train(args, out)
    except KeyboardInterrupt:   # Ctrl-C at any moment, the start-up included
        return _interrupted(out, args.resume, found)


def _train(args, out):
    problem = _prepared_on_rank_zero(out, args)
    if problem is not None:
        # rank 0 says why and ends the job with status 2; the others have nothing to add
        return _fail(problem) if mnist1d.is_rank_zero() else 0
    if mnist1d.is_rank_zero():   # flushed, so that a pipe (| tee, a test) sees the run begin
        print(f"MNIST-1D, model {args.model}{' on shuffled positions' if args.shuffled else ''}: "
              f"{args.steps} steps of Adam (lr {mnist1d.LR:g}, batch {mnist1d.BATCH}"
              f"{_shares()}), seed {args.seed}; writing to {out}/", flush=True)
    try:
        result, _ = mnist1d.train(args.model, args.shuffled, args.steps, args.seed, out,
                                  resume=args.resume)
    except (OSError, RuntimeError, FloatingPointError) as error:
        return _fail(error)
    if mnist1d.is_rank_zero():
        print(f"{result.parameters:,} parameters; {result.seconds:.1f} s of training")
        print(f"wrote {out}/last.safetensors, history.csv, history.png and tensorboard/")
        print(f"test accuracy: {100 * result.test_accuracy:.1f}%")
    return 0


def _shares():
    world = mnist1d.world_size()
    return f", {mnist1d.BATCH // world} on each of {world} processes" if world > 1 else ""


def _prepared_on_rank_zero(out, args):
    """Rank 0 checks the number of processes and the run file (writing it for a new run), and
    every rank learns its verdict: the error, or None. The others never touch out, so that no
    two processes race to make it."""
    problem = None
    if mnist1d.is_rank_zero():
        try:
            mnist1d.check_world_size(mnist1d.world_size())
            _check_run_file(out, args)
        except ValueError as error:
            problem = error
    if mnist1d.world_size() > 1:
        verdict = [None if problem is None else str(problem)]
        dist.broadcast_object_list(verdict, src=0)
        problem = verdict[0]
    return problem


def _check_run_file(out, args):
    """The run's settings beside its checkpoint, so that --resume continues the same run (data
    parallel or not, as the model's keys carry DistributedDataParallel's "module." or not; any
    number of processes continues a data-parallel run, the global batch being the same)."""
    settings = {"model": args.model, "shuffled": args.shuffled, "seed": args.seed}
    if mnist1d.world_size() > 1:
        settings["data_parallel"] = True
    path = out / "run.json"
    if args.resume:
        if not (out / "last.safetensors").is_file():
            raise ValueError(f"nothing to resume: {out}/last.safetensors does not exist")
        try:
            saved = json.loads(path.read_text())
        except (OSError, ValueError):
            raise ValueError(f"cannot resume: {path} is missing or unreadable") from None
        if saved != settings:
            raise ValueError(f"cannot resume: {out} holds a run of {saved}, not {settings}")
        return
    try:
        make_writable_folder(out)
        path.write_text(json.dumps(settings) + "\n")
    except OSError as error:
        raise ValueError(f"cannot write into {out}: {error.strerror or error}") from None


def _interrupted(out, resumed, found):
    """Status 130 (128 + SIGINT, what a shell reports for a Ctrl-C) and one line saying what is
    left to continue from. A checkpoint is written atomically, so the file there is whole; it is
    this run's if the run resumed from it or replaced it since it began; before that, a file
    there is an earlier run's, not this one's: nothing to resume."""
    path = out / "last.safetensors"
    current = _file_identity(path)
    if not mnist1d.is_rank_zero():
        pass   # rank 0 says it
    elif current is not None and (resumed or current != found):
        print(f"\ninterrupted: {path} holds the last checkpoint; continue with the same command "
              "and --resume", file=sys.stderr)
    else:
        print("\ninterrupted before the run's first checkpoint: nothing to resume; run the same "
              "command again to start over", file=sys.stderr)
    _clear_the_unhandled_interrupt_mark()
    return 130


def _clear_the_unhandled_interrupt_mark():
    """Let the exit status be the 130 returned. A KeyboardInterrupt that passed through a string
    exec() or eval() (NumPy's and SciPy's lazy imports run some) marks the interpreter as ended
    by an unhandled Ctrl-C, even once caught, and under `python -m` CPython (3.11 to 3.13 at
    least) then kills the process with SIGINT at exit (status -2 to a parent) instead of
    exiting 130. Every string exec() clears that mark as it begins."""
    exec("pass")   # noqa: S102 (a constant: runs nothing)


def _file_identity(path):
    """(inode, modification time) of path, or None if there is no such file: a checkpoint
    written since is a new file (write_atomically renames a new one over it)."""
    try:
        status = os.stat(path)
    except OSError:
        return None
    return status.st_ino, status.st_mtime_ns


def _fail(error):
    print(f"chainrule train: error: {error}", file=sys.stderr)
    return 2
