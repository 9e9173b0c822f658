"""`chainrule curvefit`: the lecture's curve-fitting example (PRML §1.1) on generated data or on a
user's own x,t file: the tables printed, the figures written."""
import argparse
import math
import sys

from chainrule.cli.arguments import checked, folder_name, positive_int, seed_int
from chainrule.data.table import DataFileError, read_xt
from chainrule.experiments import curvefit, curvefit_bayes, curvefit_figures
from chainrule.models import rms_error
from chainrule.utils.files import make_writable_folder


def add_parser(commands):
    command = commands.add_parser(
        "curvefit", help="polynomial curve fitting, model selection and sampling (PRML §1.1)",
        description="Fit polynomials of degree M to t = sin(2πx) + noise (or to your x,t data), "
                    "print Bishop's Table 1.1, E_RMS per M and the M chosen on held-out data, "
                    "and write the figures of PRML §1.1 as PNG.")
    command.add_argument("--n", type=positive_int, default=10,
                         help="training points to generate (default 10, as in the book)")
    command.add_argument("--degrees", type=_degrees, default=list(range(10)),
                         help="degrees M to fit: a range 0-9, a list 0,1,3,9, or one (default 0-9)")
    command.add_argument("--ln-lambda", type=_ln_lambda, default=curvefit.BOOK_LN_LAMBDAS[0],
                         help="ln λ of the regularised fit shown beside ln λ = 0 (default -18)")
    command.add_argument("--seed", type=seed_int, default=curvefit.DEFAULT_SEED,
                         help=f"seed of the generated data (default {curvefit.DEFAULT_SEED})")
    command.add_argument("--data", metavar="FILE.csv",
                         help="fit your own points instead: a CSV of x,t (header optional)")
    command.add_argument("--out", type=folder_name, default="out",
                         help="folder for the figures (default out)")
    command.set_defaults(run=run)


def run(args):
    try:
        data = _data(args)
        _make_folder(args.out)   # before the work, so a bad --out costs nothing
    except (DataFileError, _Unfittable) as error:
        print(f"chainrule curvefit: error: {error}", file=sys.stderr)
        return 2
    report = curvefit.report(data, args.degrees, args.ln_lambda)
    bayes = None
    if _well_scaled(data):
        bayes = curvefit_bayes.compare(data, report.top_degree, seed=args.seed)
        bayes_lines = curvefit_bayes.summary(bayes)
    else:
        bayes_lines = [f"The Bayesian comparison is skipped: with |x| up to {abs(data.x).max():.3g} "
                       f"and |t| up to {abs(data.t).max():.3g}, the book's prior and noise "
                       f"(α = {curvefit_bayes.ALPHA:g}, β = {curvefit_bayes.BETA:g}) do not fit "
                       "the data's scale. Rescale x to [0, 1] and t to order one for it."]
    for lines in (_source(args, data), _coefficients(report), _regularised(report),
                  _gradient(report), _rms(report), _data_size(report), _selection(report),
                  bayes_lines):
        print("\n".join(lines) + "\n")
    paths = curvefit_figures.write(report, bayes, args.out)
    print(f"figures written to {args.out}/:")
    print("\n".join(f"  {path.name}" for path in paths))
    return 0


def _data(args):
    degree = max(args.degrees)
    need = max(degree + 1, 2)   # M + 1 coefficients; and one point to hold out, one to fit
    if args.data is None:
        if args.n < need:
            raise _Unfittable(f"--n {args.n} gives fewer than the {need} points needed to fit a "
                              f"polynomial of degree {degree} and validate it")
        return curvefit.generate(args.n, seed=args.seed)
    x, t = read_xt(args.data, min_points=need)
    top = float(abs(x).max())
    if top > 1 and degree * math.log10(top) > 150:   # Φ's squares would overflow float64
        raise _Unfittable(f"{args.data}: x up to {top:.3g} makes x^{degree} about "
                          f"1e{degree * math.log10(top):.0f}, past what float64 can fit; "
                          "rescale x")
    if float(abs(t).max()) > 1e150:   # so would the squared errors
        raise _Unfittable(f"{args.data}: t up to {float(abs(t).max()):.3g} is past what float64 "
                          "can square; rescale t")
    return curvefit.Data(x, t)


class _Unfittable(ValueError):
    """Data the polynomials cannot be fitted to (too few points, x beyond float64's range), or
    nowhere to put the figures."""


def _make_folder(out):
    """Make the folder and prove it writable (a folder may exist and still refuse files)."""
    try:
        make_writable_folder(out)
    except OSError as error:
        raise _Unfittable(f"cannot write the figures into {out}: {error.strerror}") from None


def _well_scaled(data):
    # the book's prior (α) and noise (β = 1/0.3²) assume x and t of order one, as on [0, 1]
    return float(abs(data.x).max()) <= 2.0 and float(abs(data.t).max()) <= 100.0


# ----- the tables ---------------------------------------------------------------------------------
def _source(args, data):
    if data.generated:
        return [f"{len(data.x)} training points t = sin(2πx) + ε, ε ~ N(0, 0.3²), x on an even "
                f"grid over [0, 1] (seed {args.seed}); a test set of {len(data.test.x)} points "
                f"and a validation set of {len(data.validation.x)} made the same way "
                "(the validation x drawn at random)."]
    return [f"{len(data.x)} points read from {args.data}."]


def _coefficients(report):
    """Table 1.1 (p. 8): the coefficients side by side, two decimals as in the book."""
    degrees = list(report.coefficients)
    header = "Table 1.1: coefficients w* of the least-squares polynomials"
    rows = [f"{'':6}" + "".join(f"{f'M = {m}':>14}" for m in degrees)]
    for j in range(max(degrees) + 1):
        cells = [f"{w[j]:14.2f}" if j < len(w) else " " * 14 for w in report.coefficients.values()]
        rows.append(f"{f'w{j}*':6}" + "".join(cells))
    return [header, *rows]


def _regularised(report):
    """Table 1.2 (p. 11): the degree-M coefficients as λ grows."""
    m = report.top_degree
    header = (f"Table 1.2: coefficients w* at M = {m} with the penalty (λ/2)‖w‖² "
              "(the book's printed ln λ = 0 column uses Nλ)")
    labels = [f"ln λ = {'-∞' if v == -math.inf else f'{v:g}'}" for v in report.regularised]
    rows = [f"{'':6}" + "".join(f"{label:>16}" for label in labels)]
    for j in range(m + 1):
        rows.append(f"{f'w{j}*':6}" + "".join(f"{w[j]:16.2f}" for w in report.regularised.values()))
    return [header, *rows]


def _gradient(report):
    closed, trained = report.by_gradient
    return [f"The same fit by gradient descent through the engine (Adam, 10,000 full-batch "
            f"steps) at M = {len(closed) - 1}: largest |w_gradient - w*| = "
            f"{abs(trained - closed).max():.1e}"]


def _rms(report):
    """Figure 1.5's numbers: E_RMS = sqrt(2E(w*)/N) per degree."""
    names = list(report.rms)
    split = curvefit.split_name(report.by_degree["cross"].split)
    rows = [f"E_RMS = sqrt(2 E(w*) / N) per degree (validation: {split} on the training points)",
            f"{'M':>3}" + "".join(f"{name:>16}" for name in names)]
    for i, m in enumerate(report.degrees):
        rows.append(f"{m:3d}" + "".join(f"{report.rms[name][i]:16.4f}" for name in names))
    return rows


def _data_size(report):
    """Figure 1.6's numbers: the top degree fitted to more points of the same kind."""
    if report.by_size is None:
        return ["(Figure 1.6, more data of the same kind, needs generated data.)"]
    m, test = report.top_degree, report.rms.get("test")
    lines = [f"More data (Figure 1.6): M = {m} fitted to N points, E_RMS on the same test set",
             f"{'N':>5}{'train':>16}{'test':>16}",
             f"{len(report.data.x):5d}{report.rms['train'][-1]:16.4f}{test[-1]:16.4f}"]
    lines += [f"{n:5d}{train:16.4f}{test:16.4f}" for n, (_, train, test) in report.by_size.items()]
    return lines


def _selection(report):
    hold_out, cross = report.by_degree["hold-out"], report.by_degree["cross"]
    held = ("an independent validation set" if report.data.generated
            else f"{hold_out.split.count} of the {len(report.data.x)} points held out")
    lines = [f"chosen M = {cross.best['degree']} by {curvefit.split_name(cross.split)} "
             f"(validation E_RMS {math.sqrt(cross.best_score):.4f})",
             f"chosen M = {hold_out.best['degree']} by hold-out on {held} "
             f"(validation E_RMS {math.sqrt(hold_out.best_score):.4f})",
             f"chosen ln λ = {report.by_ln_lambda.best['ln_lambda']:g} at M = "
             f"{report.top_degree} by {curvefit.split_name(report.by_ln_lambda.split)} "
             "(validation E_RMS "
             f"{math.sqrt(report.by_ln_lambda.best_score):.4f})"]
    if report.data.test is not None:   # the test set's one use, after every choice is made
        score = cross.test(_test_rms, report.data.test)
        lines.append(f"test E_RMS of M = {cross.best['degree']} refit on all {len(report.data.x)} "
                     f"training points: {score:.4f}")
    return lines


def _test_rms(model, test):
    return rms_error(curvefit.predict(model, test.x), test.t)


# ----- the arguments ------------------------------------------------------------------------------
def _degrees(text):
    try:
        if "-" in text.strip("-"):
            low, high = (int(v) for v in text.split("-"))
            degrees = list(range(low, high + 1))
        else:
            degrees = [int(v) for v in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a range 0-9, a list 0,1,3,9 or one degree, "
                                         f"got {text!r}") from None
    if not degrees:
        raise argparse.ArgumentTypeError(f"the range {text!r} is empty; write it low-high")
    if min(degrees) < 0 or max(degrees) > 30:
        raise argparse.ArgumentTypeError(f"degrees must lie in 0..30 (past that the monomials "
                                         f"are numerically useless in float64), got {text!r}")
    return sorted(set(degrees))


_ln_lambda = checked(float, lambda v: abs(v) <= 700, "a number between -700 and 700")
