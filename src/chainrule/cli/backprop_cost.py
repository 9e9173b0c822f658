"""`chainrule backprop-cost`: the gradient of f: Rⁿ → R by explicit Jacobian matrices, by forward
mode and by reverse mode, timed for growing n: the table printed, the figure written."""
import sys

from chainrule.cli.arguments import checked, positive_int
from chainrule.experiments import backprop_cost
from chainrule.utils.files import make_writable_folder
from chainrule.viz.backprop_cost import plot_backprop_cost

FIGURE = "backprop_cost.png"


def _sizes(text):
    """'8,16,32' -> [8, 16, 32]: positive, each once, in increasing order."""
    sizes = [int(part) for part in text.split(",")]
    return sizes if sizes == sorted(set(sizes)) and sizes[0] >= 1 else None


def add_parser(commands):
    default_sizes = ",".join(str(n) for n in backprop_cost.SIZES)
    command = commands.add_parser(
        "backprop-cost", help="the gradient of f: Rⁿ → R three ways, timed against n",
        description="Compute the gradient of f(x) = sum(tanh(W_L ⋯ tanh(W_1 x))), n × n weights, "
                    "by explicit Jacobian matrices, by forward mode (one jvp per input) and by "
                    "reverse mode (one vjp); check that they agree, time each, print the table "
                    "and write the figure. Times on a shared machine are steadier with "
                    "OPENBLAS_NUM_THREADS=1.")
    command.add_argument("--sizes", type=checked(_sizes, bool, "increasing positive whole numbers "
                                                              "separated by commas, e.g. 8,16,32"),
                         default=list(backprop_cost.SIZES),
                         help=f"input sizes n (default {default_sizes})")
    command.add_argument("--layers", type=positive_int, default=backprop_cost.LAYERS,
                         help=f"layers L (default {backprop_cost.LAYERS})")
    command.add_argument("--repeats", type=positive_int, default=backprop_cost.REPEATS,
                         help="timed runs per way at least, the best kept; a cheap way runs more, "
                              f"for {1e3 * backprop_cost.BUDGET:g} ms in all (default "
                              f"{backprop_cost.REPEATS})")
    command.add_argument("--out", default="out", help=f"folder for {FIGURE} (default out)")
    command.set_defaults(run=run)


def run(args):
    try:
        make_writable_folder(args.out)   # before the work, so a bad --out costs nothing
    except OSError as error:
        print(f"chainrule backprop-cost: error: cannot write the figure into {args.out}: "
              f"{error.strerror}", file=sys.stderr)
        return 2
    print(f"The gradient of f: R^n -> R, {args.layers} layers x -> tanh(W x) then a sum; "
          f"milliseconds, the best of at least {args.repeats} runs; the three ways agree before "
          "they are timed.")
    print(f"{'n':>6}{'explicit ms':>14}{'forward ms':>14}{'reverse ms':>14}"
          f"{'passes: expl.':>16}{'fwd':>7}{'rev':>5}")

    def row(r):
        print(f"{r.n:>6}{1e3 * r.explicit:>14.3f}{1e3 * r.forward:>14.3f}{1e3 * r.reverse:>14.3f}"
              f"{r.passes['explicit']:>16}{r.passes['forward']:>7}{r.passes['reverse']:>5}",
              flush=True)
    rows = backprop_cost.measure(args.sizes, args.layers, args.repeats, report=row)
    path = plot_backprop_cost(f"{args.out}/{FIGURE}", rows)
    print(f"figure written to {path}")
    return 0
