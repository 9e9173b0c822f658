"""`chainrule train translate`: a sequence-to-sequence translator (GRU with attention, or a
Transformer) trained on tab-separated sentence pairs, or on English -> German number words by
default; it ends with exact match and BLEU on the test pairs, greedy and with a beam."""
import math
import pathlib
import sys

from chainrule.cli.arguments import checked, output_folder, positive_int, seed_int
from chainrule.data.datasets.numbers import HIGH, LIMIT
from chainrule.experiments import translate

positive_number = checked(float, lambda x: x > 0 and math.isfinite(x), "a number > 0")
numbers_size = checked(int, lambda n: 20 <= n <= LIMIT, f"a whole number in [20, {LIMIT}]")
STEPS, EXAMPLES = 1000, 5


def add_parser(tasks):
    command = tasks.add_parser(
        "translate", help="a sequence-to-sequence translator (GRU + attention, or Transformer)",
        description="Train a Seq2Seq translator with Adam and teacher forcing, then print exact "
                    "match and BLEU (sacrebleu) on the test pairs, decoded greedily and with a "
                    "beam. Without --pairs it learns English number words -> German number "
                    "words (0..999, split by number 800/100/100): 'four hundred twenty-one' -> "
                    "'vierhunderteinundzwanzig', whose units come before the tens.")
    command.add_argument("--pairs", metavar="FILE.tsv",
                         help="source TAB target per line (a Tatoeba export; further columns "
                              "are ignored)")
    command.add_argument("--below", type=numbers_size,
                         help=f"the numbers task's size: 0 .. BELOW-1 (default {HIGH})")
    command.add_argument("--model", choices=list(translate.SETTINGS), default="gru",
                         help="the network (default gru)")
    command.add_argument("--steps", type=positive_int, default=STEPS,
                         help=f"optimizer steps (default {STEPS})")
    command.add_argument("--minutes", type=positive_number,
                         help="a time budget: stop when it or --steps ends, the first")
    command.add_argument("--beam", type=positive_int, default=5,
                         help="beam width for the second evaluation (default 5)")
    command.add_argument("--seed", type=seed_int, default=0,
                         help="seed of the weights and batches (default 0; the split is fixed)")
    command.add_argument("--out", help="folder for model.safetensors, history.csv, "
                                       "translations.csv and, for the GRU, attention.png "
                                       "(default out/translate/NAME-MODEL)")
    command.set_defaults(run=run)


def run(args):
    if args.pairs is not None and args.below is not None:
        return _fail("--below sets the size of the numbers task; it does not apply to --pairs")
    below = args.below or HIGH
    if args.pairs is not None and not args.pairs.strip():
        return _fail("--pairs needs a file name, got ''")
    if args.pairs:
        name = pathlib.Path(args.pairs).stem
    else:
        name = "numbers" + (str(below) if below != HIGH else "")
    out = pathlib.Path(args.out or f"out/translate/{name}-{args.model}")
    try:
        output_folder(out)
    except ValueError as error:
        return _fail(error)
    print(f"translate {name} with a {args.model} model: up to {args.steps} steps"
          f"{f' or {args.minutes:g} minutes' if args.minutes else ''}; writing to {out}/",
          flush=True)
    try:
        result = translate.run(args.model, args.pairs, args.steps,
                               None if args.minutes is None else 60 * args.minutes, args.beam,
                               args.seed, out, log=_progress, high=below)
    except (OSError, ValueError, FloatingPointError) as error:
        return _fail(error)
    except KeyboardInterrupt:
        print("\ninterrupted: nothing written", file=sys.stderr)
        return 130
    _report(result)
    return 0


def _progress(entry):
    if isinstance(entry, str):
        print(entry, flush=True)
    else:
        print(f"step {entry['step']:5d}  {entry['seconds']:6.1f} s  loss {entry['loss']:.4f}  "
              f"validation exact match {100 * entry['validation_exact']:5.1f}%", flush=True)


def _report(result):
    last = result.history[-1]
    print(f"trained {last['step']} steps in {last['seconds']:.0f} s; kept the weights of the best "
          f"validation check ({100 * max(h['validation_exact'] for h in result.history):.1f}%)")
    level = "character" if result.task.bleu_tokenize == "char" else "word (13a)"
    count = len(result.task.test)
    for label, evaluation in (("greedy", result.greedy), (f"beam {result.beam_width}",
                                                          result.beam)):
        print(f"test {label:8s} exact match {100 * evaluation.exact:5.1f}% of {count}  "
              f"BLEU {evaluation.bleu:5.1f} ({level}-level)")
    print("examples (source -> greedy | reference):")
    spread = range(0, count, max(1, count // EXAMPLES))
    for (source, reference), text in [(result.task.test[i], result.greedy.translations[i])
                                      for i in spread][:EXAMPLES]:
        right = text == result.task.batcher.as_written(reference)
        print(f"  {source} -> {text} {'=' if right else '| ' + reference}")
    print("wrote " + ", ".join(str(path) for path in result.files))


def _fail(error):
    print(f"chainrule train translate: {error}", file=sys.stderr)
    return 2
