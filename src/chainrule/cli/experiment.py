"""`chainrule experiment mnist1d | features | scale`: the MNIST-1D paper's table and the lecture's
two claims measured; each prints its table, writes it as CSV and draws its figures."""
import csv
import io
import pathlib
import sys

from chainrule.cli.arguments import natural_int, positive_int
from chainrule.experiments import features, mnist1d, scale
from chainrule.utils.files import make_writable_folder, write_atomically
from chainrule.viz.mnist1d import accuracy_bars, plot_filters, scale_curves


def add_parser(commands):
    experiment = commands.add_parser("experiment", help="the lecture's claims, measured")
    kinds = experiment.add_subparsers(dest="experiment", required=True)
    for name, run, help_text in (
            ("mnist1d", run_table, "the MNIST-1D paper's table: four models, plain and shuffled"),
            ("features", run_features, "engineered features + classifier vs the end-to-end CNN"),
            ("scale", run_scale, "test accuracy against data size and model width")):
        command = kinds.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--out", default=f"out/{name}",
                             help=f"folder for the table and figures (default out/{name})")
        default_steps = scale.STEPS if name == "scale" else mnist1d.STEPS
        command.add_argument("--steps", type=positive_int, default=default_steps,
                             help=f"optimizer steps per model (default {default_steps})")
        if name == "scale":
            command.add_argument("--seeds", type=positive_int, default=len(scale.SEEDS),
                                 help=f"seeds per point (default {len(scale.SEEDS)})")
        else:
            command.add_argument("--seed", type=natural_int, default=mnist1d.SEED)
        command.set_defaults(run=run)


def run_table(args):
    out = _folder(args.out)
    print(f"MNIST-1D, the paper's setup ({args.steps} steps); test accuracy at the last step")
    print(f"{'model':10}{'positions':>11}{'parameters':>12}{'chainrule':>11}{'paper':>8}"
          f"{'seconds':>9}")

    def row(result):
        paper = (mnist1d.PAPER_SHUFFLED if result.shuffled else mnist1d.PAPER)[result.name]
        print(f"{result.name:10}{'shuffled' if result.shuffled else 'in order':>11}"
              f"{result.parameters:>12,}{100 * result.test_accuracy:>10.1f}%{paper:>7}%"
              f"{result.seconds:>9.1f}", flush=True)
    results = mnist1d.table(steps=args.steps, seed=args.seed, report=row)
    labels = [r.name + (" (shuffled)" if r.shuffled else "") for r in results]
    reference = {**mnist1d.PAPER, **{f"{k} (shuffled)": v
                                     for k, v in mnist1d.PAPER_SHUFFLED.items()}}
    _write_csv(out / "table.csv", ["model", "shuffled", "parameters", "test_accuracy", "paper"],
               [[r.name, r.shuffled, r.parameters, r.test_accuracy, reference[label] / 100]
                for r, label in zip(results, labels)])
    accuracy_bars(out / "mnist1d_table.png", labels, [r.test_accuracy for r in results],
                  reference, title="MNIST-1D: chainrule against the paper")
    return _written(out, ["table.csv", "mnist1d_table.png"])


def run_features(args):
    out = _folder(args.out)
    print("The classical pipeline against end-to-end learning on MNIST-1D "
          f"({args.steps} steps each)")
    print(f"{'inputs':22}{'classifier':18}{'parameters':>11}{'test accuracy':>15}")
    rows, cnn = features.compare(args.steps, args.seed, report=lambda p: print(
        f"{p.inputs:22}{p.classifier:18}{p.parameters:>11,}{100 * p.test_accuracy:>14.1f}%",
        flush=True))
    _write_csv(out / "features.csv", ["inputs", "classifier", "parameters", "test_accuracy"],
               [[p.inputs, p.classifier, p.parameters, p.test_accuracy] for p in rows])
    accuracy_bars(out / "features.png", [f"{p.inputs} → {p.classifier}" for p in rows],
                  [p.test_accuracy for p in rows], title="Engineered features vs learned")
    plot_filters(out / "cnn_filters.png", cnn.conv1.weight.detach().numpy())
    return _written(out, ["features.csv", "features.png", "cnn_filters.png"])


def run_scale(args):
    out = _folder(args.out)
    seeds = tuple(range(args.seeds))
    print(f"Scale on MNIST-1D: test accuracy, mean ± std over {len(seeds)} seeds, "
          f"{args.steps} steps each")

    def row(curve):
        cells = "".join(f"{100 * m:7.1f} ±{100 * s:4.1f}" for m, s in zip(curve.mean, curve.std))
        print(f"{curve.label:10}{cells}", flush=True)
    print(f"{'examples':10}" + "".join(f"{n:>13}" for n in scale.SIZES))
    by_size = scale.by_data_size(seeds=seeds, steps=args.steps, report=row)
    print(f"{'MLP width':10}" + "".join(f"{w:>13}" for w in scale.WIDTHS))
    by_width = scale.by_width(seeds=seeds, steps=args.steps, report=row)
    _write_csv(out / "scale.csv", ["model", "axis", "x", "mean", "std"],
               [[c.label, axis, x, m, s] for axis, curves in (("examples", by_size),
                                                              ("width", [by_width]))
                for c in curves for x, m, s in zip(c.x, c.mean, c.std)])
    scale_curves(out / "scale_data.png", scale.SIZES,
                 {c.label: (c.mean, c.std) for c in by_size}, "training examples",
                 title=f"More data (mean ± std of {len(seeds)} seeds)")
    scale_curves(out / "scale_width.png", scale.WIDTHS, {"mlp": (by_width.mean, by_width.std)},
                 "hidden units of the MLP", title=f"Bigger model (mean ± std of {len(seeds)} seeds)")
    return _written(out, ["scale.csv", "scale_data.png", "scale_width.png"])


def _folder(out):
    out = pathlib.Path(out)
    try:
        make_writable_folder(out)
    except OSError as error:
        print(f"chainrule experiment: error: cannot write into {out}: {error.strerror}",
              file=sys.stderr)
        raise SystemExit(2) from None
    return out


def _write_csv(path, header, rows):
    text = io.StringIO()
    csv.writer(text).writerows([header, *rows])
    write_atomically(path, lambda temporary: pathlib.Path(temporary).write_text(text.getvalue()))


def _written(out, names):
    print(f"written to {out}/: {', '.join(names)}")
    return 0
