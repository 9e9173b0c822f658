"""`chainrule experiment mnist1d | features | scale | trajectories | bnn`: the MNIST-1D paper's
table, the lecture's two claims, and optimisation against sampling, measured; each prints its
table, writes it as CSV and draws its figures."""
import sys

from chainrule.cli.arguments import folder_name, output_folder, positive_int, seed_int
from chainrule.experiments import bnn, features, mnist1d, scale
from chainrule.experiments import trajectories as optimizer_paths
from chainrule.utils.files import write_csv
from chainrule.viz.bnn import BandPanel, band
from chainrule.viz.mnist1d import accuracy_bars, plot_filters, scale_curves
from chainrule.viz.trajectories import SurfacePanel
from chainrule.viz.trajectories import trajectories as draw_trajectories


def add_parser(commands):
    experiment = commands.add_parser("experiment", help="the lecture's claims, measured")
    kinds = experiment.add_subparsers(dest="experiment", required=True)
    for name, run, help_text in (
            ("mnist1d", run_table, "the MNIST-1D paper's table: four models, plain and shuffled"),
            ("features", run_features, "engineered features + classifier vs the end-to-end CNN"),
            ("scale", run_scale, "test accuracy against data size and model width")):
        command = kinds.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--out", type=folder_name, default=f"out/{name}",
                             help=f"folder for the table and figures (default out/{name})")
        default_steps = scale.STEPS if name == "scale" else mnist1d.STEPS
        command.add_argument("--steps", type=positive_int, default=default_steps,
                             help=f"optimizer steps per model (default {default_steps})")
        if name == "scale":
            command.add_argument("--seeds", type=positive_int, default=len(scale.SEEDS),
                                 help=f"seeds per point (default {len(scale.SEEDS)})")
        else:
            command.add_argument("--seed", type=seed_int, default=mnist1d.SEED)
        command.set_defaults(run=run)
    _add_sampling_parsers(kinds)


def _add_sampling_parsers(kinds):
    help_text = "SGD, momentum and Adam drawn as paths on 2-D loss surfaces"
    command = kinds.add_parser("trajectories", help=help_text, description=help_text)
    command.add_argument("--out", type=folder_name, default="out/trajectories",
                         help="folder for the table and figure (default out/trajectories)")
    command.add_argument("--steps", type=positive_int, default=optimizer_paths.STEPS,
                         help=f"steps per optimiser (default {optimizer_paths.STEPS})")
    command.set_defaults(run=run_trajectories)
    help_text = "a Bayesian MLP sampled by SGLD and HMC against one network optimised by Adam"
    command = kinds.add_parser("bnn", help=help_text, description=help_text)
    command.add_argument("--out", type=folder_name, default="out/bnn",
                         help="folder for the table and figure (default out/bnn)")
    command.add_argument("--samples", type=positive_int, default=bnn.SAMPLES,
                         help=f"draws kept by each sampler (default {bnn.SAMPLES})")
    command.add_argument("--steps", type=positive_int, default=bnn.MAP_STEPS,
                         help=f"Adam steps of the optimised network (default {bnn.MAP_STEPS})")
    command.add_argument("--seed", type=seed_int, default=bnn.SEED,
                         help=f"seed of the data, the network and the chains (default {bnn.SEED})")
    command.set_defaults(run=run_bnn)


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


def run_trajectories(args):
    out = _folder(args.out)
    print(f"SGD, SGD + momentum {optimizer_paths.MOMENTUM} and Adam from one start on each "
          f"surface, {args.steps} steps, float64")
    print(f"{'surface':28}{'optimizer':10}{'lr':>7}{'final loss':>12}"
          f"{f'steps to f < {optimizer_paths.TOLERANCE:g}':>21}   ends at")

    def row(path):
        steps = path.steps_to_tolerance
        print(f"{path.surface:28}{path.optimizer:10}{path.lr:>7g}{path.final_loss:>12.3g}"
              f"{'not reached' if steps is None else steps:>21}   "
              f"({_no_minus_zero(path.points[-1][0])}, {_no_minus_zero(path.points[-1][1])})",
              flush=True)
    paths = optimizer_paths.run_all(steps=args.steps, report=row)
    _write_csv(out / "trajectories.csv", ["surface", "optimizer", "lr", "final_loss",
                                          "steps_to_tolerance", "x", "y"],
               [[p.surface, p.optimizer, p.lr, p.final_loss, p.steps_to_tolerance,
                 *p.points[-1]] for p in paths])
    panels = []
    for surface in optimizer_paths.SURFACES:
        mine = [p for p in paths if p.surface == surface.name]
        notes = {p.optimizer: ("not reached" if p.steps_to_tolerance is None
                               else f"{p.steps_to_tolerance} steps") for p in mine}
        panels.append(SurfacePanel(surface.name, *optimizer_paths.grid(surface), surface.minima,
                                   {p.optimizer: p.points for p in mine}, notes))
    draw_trajectories(out / "optim_trajectories.png", panels,
                      title=f"Paths of {args.steps} steps; corner: steps to "
                            f"f < {optimizer_paths.TOLERANCE:g}")
    return _written(out, ["trajectories.csv", "optim_trajectories.png"])


def run_bnn(args):
    out = _folder(args.out)
    mlp = bnn.FlatMLP()
    (low, gap_low), (gap_high, high) = bnn.CLUSTERS
    print(f"Bayesian MLP {'-'.join(map(str, mlp.sizes))} (tanh, {mlp.size} weights, prior "
          f"N(0, {bnn.PRIOR_STD:g}²), noise σ = {bnn.NOISE:g}) on {bnn.N_TRAIN} points with x in "
          f"[{low:g}, {gap_low:g}] ∪ [{gap_high:g}, {high:g}]; seed {args.seed}")
    print(f"{'method':14}{'draws':>6}{'acceptance':>12}{'seconds':>9}{'test RMSE':>11}"
          f"{'gap RMSE':>10}{'band: data':>12}{'gap':>7}{'outside':>9}")
    experiment = bnn.run(n_samples=args.samples, seed=args.seed, map_steps=args.steps,
                         report=lambda m: print(f"  ({m.name} done in {m.seconds:.1f} s)",
                                                flush=True))
    widths = {}
    for method in experiment.methods:
        widths[method.name] = width = experiment.widths(method)
        rate = "—" if method.acceptance_rate is None else f"{method.acceptance_rate:.2f}"
        print(f"{method.name:14}{len(method.draws):>6}{rate:>12}{method.seconds:>9.1f}"
              f"{experiment.test_rmse(method):>11.3f}{experiment.gap_rmse(method):>10.3f}"
              f"{width['data']:>12.2f}{width['gap']:>7.2f}{width['outside']:>9.2f}")
    for name in ("SGLD", "HMC"):
        width = widths[name]
        print(f"{name}'s band is {width['gap'] / width['data']:.1f}x as wide in the gap and "
              f"{width['outside'] / width['data']:.1f}x outside the data as among them")
    print(f"test RMSE: {bnn.N_TEST} new points from the clusters (their noise σ = {bnn.NOISE:g} "
          "included); gap RMSE: the mean against sin(2x) between the clusters; band: the mean "
          "width of the ±2σ predictive band (noise included) among the data, in the gap and "
          f"outside, up to |x| = {bnn.WINDOW[1]:g}")
    _write_csv(out / "bnn.csv", ["x", "truth"] + [f"{m.name} {q}" for m in experiment.methods
                                                  for q in ("mean", "std")],
               [[x, truth, *[v for m in experiment.methods
                             for v in (m.grid_mean[i], m.grid_std[i])]]
                for i, (x, truth) in enumerate(zip(experiment.grid,
                                                   bnn.truth(experiment.grid)))])
    panels = [BandPanel(m.name if m.acceptance_rate is None
                        else f"{m.name} (acceptance {m.acceptance_rate:.2f})",
                        m.grid_mean, m.grid_std,
                        None if len(m.draws) == 1 else experiment.curves(m))
              for m in experiment.methods]
    band(out / "bnn_band.png", experiment.grid, experiment.x, experiment.t, panels,
         truth=bnn.truth(experiment.grid), shade=[(gap_low, gap_high)], ylim=(-3, 3),
         title=f"One optimised network against {args.samples} posterior draws "
               "(shaded: the gap without data)")
    return _written(out, ["bnn.csv", "bnn_band.png"])


def _no_minus_zero(value):
    """value to 3 decimals, without the "-0.000" of a tiny negative number."""
    return f"{round(float(value), 3) + 0.0:.3f}"


def _folder(out):
    try:
        return output_folder(out)
    except ValueError as error:
        print(f"chainrule experiment: error: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def _write_csv(path, header, rows):
    write_csv(path, [dict(zip(header, row)) for row in rows], header)


def _written(out, names):
    print(f"written to {out}/: {', '.join(names)}")
    return 0
