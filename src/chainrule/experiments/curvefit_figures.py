"""The figures of PRML §1.1 and §1.2.6 drawn from a curve-fitting Report (experiments/curvefit.py)
and a Bayesian comparison (experiments/curvefit_bayes.py), written as PNG files into a folder."""
import math
import pathlib

from chainrule.experiments.curvefit import (
    LN_LAMBDA_SWEEP, curve_grid, fit, predict, split_name)
from chainrule.viz import Panel, error_curves, fit_panels, predictive_band



def write(report, bayes, out):
    """Every figure into the folder out (created if missing); returns their paths. Figure 1.6
    needs generated data, Figure 1.17 a Bayesian comparison (bayes, or None)."""
    out = pathlib.Path(out)
    paths = [fits_by_degree(report, out / "fig1_4_fits_by_degree.png"),
             rms_by_degree(report, out / "fig1_5_rms_by_degree.png")]
    if report.data.generated:
        paths.append(fits_by_data_size(report, out / "fig1_6_fits_by_data_size.png"))
    paths += [fits_by_ln_lambda(report, out / "fig1_7_fits_by_ln_lambda.png"),
              rms_by_ln_lambda(report, out / "fig1_8_rms_by_ln_lambda.png"),
              validation_curve(report, out / "validation_curve.png")]
    if bayes is not None:
        paths.append(predictive_bands(report, bayes, out / "fig1_17_predictive_band.png"))
    return paths


def _panel(title, x, t, degree, lam, generated):
    grid = curve_grid(x, generated)
    return Panel(title, x, t, grid, predict(fit(x, t, degree, lam), grid), truth=generated)


def fits_by_degree(report, path):
    """Figure 1.4 (p. 7): the fits of degree 0, 1, 3 and 9."""
    data = report.data
    panels = [_panel(f"$M = {m}$", data.x, data.t, m, 0.0, data.generated)
              for m in report.coefficients]
    return fit_panels(path, panels, suptitle=f"Polynomials fitted to {len(data.x)} points")


def fits_by_data_size(report, path):
    """Figure 1.6 (p. 9): the degree-M fit to 15 and to 100 points (more data, less over-fitting)."""
    m = report.top_degree
    panels = [_panel(f"$N = {n}$", more.x, more.t, m, 0.0, True)
              for n, (more, _, _) in report.by_size.items()]
    return fit_panels(path, panels, suptitle=f"$M = {m}$ fitted to more data")


def fits_by_ln_lambda(report, path):
    """Figure 1.7 (p. 10): the degree-M fit with the penalty at ln λ = L and at ln λ = 0."""
    data, m = report.data, report.top_degree
    panels = [_panel(f"$\\ln \\lambda = {v:g}$", data.x, data.t, m, math.exp(v), data.generated)
              for v in report.regularised if v != -math.inf]
    return fit_panels(path, panels, suptitle=f"$M = {m}$ with the penalty $(\\lambda/2)\\|w\\|^2$")


def rms_by_degree(report, path):
    """Figure 1.5 (p. 8): E_RMS on the training and test sets against M."""
    curves = {"Training": report.rms["train"]}
    if "test" in report.rms:
        curves["Test"] = report.rms["test"]
    return error_curves(path, report.degrees, curves, "$M$", title="Over-fitting",
                        ylim=(0, _ceiling(curves)))


def rms_by_ln_lambda(report, path):
    """Figure 1.8 (p. 10): E_RMS on the training and test sets against ln λ at degree M."""
    curves = {"Training": report.rms_lambda["train"]}
    if "test" in report.rms_lambda:
        curves["Test"] = report.rms_lambda["test"]
    return error_curves(path, list(LN_LAMBDA_SWEEP), curves, "$\\ln \\lambda$",
                        title=f"$M = {report.top_degree}$", ylim=(0, _ceiling(curves)))


def validation_curve(report, path):
    """The choice of M: training (the mean over the folds' fits) and cross-validation E_RMS
    against M, and the chosen M."""
    selection = report.by_degree["cross"]
    curves = {"Training": [math.sqrt(t.train_score) for t in selection.trials],
              f"Validation ({split_name(selection.split)})":
                  [math.sqrt(t.score) for t in selection.trials]}
    return error_curves(path, report.degrees, curves, "$M$", chosen=selection.best["degree"],
                        title="Choosing $M$ by cross-validation", ylim=(0, _ceiling(curves)))


def predictive_bands(report, bayes, path):
    """Figure 1.17 (p. 32): the Bayesian predictive mean ± one standard deviation, in closed form
    and from the samplers drawn over it."""
    return predictive_band(path, report.data.x, report.data.t, bayes.grid, bayes.bands,
                           title=bayes.title)


def _ceiling(curves):
    """A y-limit that keeps the interesting range readable: the worst error of a simple model,
    not the interpolant's blow-up (the book's Figure 1.5 stops at 1)."""
    first = max(values[0] for values in curves.values())
    return max(1.0, 1.3 * first) if math.isfinite(first) else 1.0
