"""`chainrule train charlm`: a character-level language model trained on any UTF-8 text (one
document, or one item per line as in makemore), the names list by default; it prints samples as
it goes and ends with the validation loss beside the unigram and bigram baselines."""
import math
import pathlib
import sys

from chainrule.cli.arguments import checked, output_folder, positive_int, seed_int
from chainrule.data.datasets.text import CORPORA, load_corpus, read_text
from chainrule.experiments import charlm
from chainrule.models.charlm import KINDS
from chainrule.models.ngram import bits

positive_number = checked(float, lambda x: x > 0 and math.isfinite(x), "a number > 0")


def add_parser(tasks):
    command = tasks.add_parser(
        "charlm", help="a character-level language model (RNN, LSTM, GRU or Transformer)",
        description="Train a character-level language model with Adam and print its validation "
                    "loss in nats and bits per character beside a unigram and a bigram "
                    "baseline, with samples as it goes. Without --text it trains on the list "
                    "of 32,033 names shipped with chainrule, one name per line (makemore's "
                    "data).")
    source = command.add_mutually_exclusive_group()
    source.add_argument("--text", metavar="FILE", help="a UTF-8 text file to train on")
    source.add_argument("--corpus", choices=list(CORPORA),
                        help="a corpus shipped with chainrule (default names)")
    mode = command.add_mutually_exclusive_group()
    mode.add_argument("--lines", dest="lines", action="store_true", default=None,
                      help="one item per line (the default for names)")
    mode.add_argument("--document", dest="lines", action="store_false",
                      help="one document, split by position (the default for a --text file "
                           "and for shakespeare)")
    command.add_argument("--model", choices=list(KINDS), default=charlm.Settings.kind,
                         help=f"the network (default {charlm.Settings.kind})")
    command.add_argument("--steps", type=positive_int, default=charlm.STEPS,
                         help=f"optimizer steps (default {charlm.STEPS})")
    command.add_argument("--minutes", type=positive_number,
                         help="a time budget: stop when it or --steps ends, the first")
    command.add_argument("--seed", type=seed_int, default=0, help="seed (default 0)")
    command.add_argument("--block-size", type=positive_int, default=charlm.Settings.block_size,
                         help="context length in document mode (default "
                              f"{charlm.Settings.block_size})")
    command.add_argument("--batch-size", type=positive_int,
                         help="items per step (default: the model's, see experiments/charlm.py)")
    command.add_argument("--lr", type=positive_number, help="Adam's peak learning rate")
    command.add_argument("--eval-every", type=positive_int, default=charlm.Settings.eval_every,
                         help="steps between validation losses (default "
                              f"{charlm.Settings.eval_every}); samples come every 4 of them")
    command.add_argument("--temperature", type=positive_number, default=1.0,
                         help="sampling temperature (default 1)")
    command.add_argument("--top-k", type=positive_int, help="sample among the k most likely")
    command.add_argument("--prompt", default="",
                         help="the samples begin with it (in lines mode: each item does)")
    command.add_argument("--out", help="folder for history.csv, loss.png, model.safetensors "
                                       "and samples.txt (default out/charlm/NAME-MODEL)")
    command.set_defaults(run=run)


def run(args):
    try:
        name, text = _read(args)
    except (OSError, ValueError) as error:
        return _fail(error)
    shipped_names = args.text is None and name == "names"
    lines = args.lines if args.lines is not None else shipped_names
    out = pathlib.Path(args.out or f"out/charlm/{name}-{args.model}")
    try:
        output_folder(out)
    except ValueError as error:
        return _fail(error)
    settings = charlm.Settings(
        kind=args.model, steps=args.steps, minutes=args.minutes, seed=args.seed,
        batch_size=args.batch_size, lr=args.lr, block_size=args.block_size,
        eval_every=args.eval_every, sample_every=4 * args.eval_every,
        temperature=args.temperature, top_k=args.top_k, prompt=args.prompt)
    reference = None
    if shipped_names and lines:
        reference = ("makemore's Transformer (PyTorch)", charlm.MAKEMORE_NAMES)
    print(f"{name}: {len(text):,} characters, {'one item per line' if lines else 'one document'}"
          f"; writing to {out}/", flush=True)
    try:
        result = charlm.train(text, lines, settings, out, report=_report, reference=reference)
    except (OSError, ValueError, FloatingPointError) as error:
        return _fail(error)
    except MemoryError as error:   # e.g. a --batch-size of 10**12: NumPy refuses the array
        return _fail(f"out of memory ({error}); lower --batch-size or --block-size")
    except KeyboardInterrupt:
        print("\ninterrupted: nothing written", file=sys.stderr)
        return 130
    _summary(result, reference, out)
    return 0


def _read(args):
    """(a name for the text, its contents)."""
    if args.text is None:
        name = args.corpus or "names"
        return name, load_corpus(name)
    if not args.text:
        raise ValueError("--text needs a file name")
    return pathlib.Path(args.text).stem or "text", read_text(args.text)


def _report(line):
    print(line, flush=True)


def _summary(result, reference, out):
    print("\nvalidation loss     nats/char  bits/char")
    rows = [*result.baselines.items(), (result.kind, result.val_loss)]
    for name, nats in rows:
        print(f"  {name:<16} {nats:9.3f}  {bits(nats):9.3f}")
    print(f"  ({result.kind}: {result.parameters:,} parameters, {result.steps} steps, "
          f"{result.seconds:.0f} s)")
    if reference is not None:
        print(f"  {reference[0]}: about {reference[1]:.2f} nats/char (its own test split)")
    margin = result.baselines["bigram"] - result.val_loss
    verdict = "below" if margin > 0 else "above"
    print(f"{result.kind} is {abs(margin):.3f} nats/char {verdict} the bigram")
    print(f"wrote {out}/history.csv, loss.png, model.safetensors, samples.txt")


def _fail(error):
    print(f"chainrule train charlm: error: {error}", file=sys.stderr)
    return 2

