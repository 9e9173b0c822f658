"""The curve-fitting figures of the lecture (PRML §1.1, Figures 1.4-1.8; §1.2.6, Figure 1.17).

Each plot is two functions: `<name>_figure(...)` draws and returns a matplotlib Figure (for tests
and notebooks to inspect), and `<name>(path, ...)` draws it and saves it atomically. They take plain
arrays and compute nothing of the model: the caller fits, evaluates and passes the numbers.
"""
import dataclasses
import math

from matplotlib.colors import to_hex
from matplotlib import rcParams

from chainrule.backend import xp
from chainrule.data.datasets.sinusoid import true_curve
from chainrule.viz.figure import (DATA_COLOR, FIT_COLOR, TRUTH_COLOR, as_vector,
                                  check_same_length, legend_below, legend_entries, new_figure,
                                  save_figure)

# PRML Figures 1.4, 1.6 and 1.7 show t on [-1.5, 1.5] (the noisy sinusoid's range): an M = 9 fit
# swings far outside it between the data points, and plotting all of its swing would flatten the
# data into a line. The limits widen only to keep every data point in view, never for the fit.
BOOK_T_LIMITS = (-1.5, 1.5)
TRUTH_LABEL = r"$\sin(2\pi x)$"

# Fig. 1.5 draws the training error in blue and the test error in red; other curves take the
# default colour cycle without those two, so no curve is mistaken for them.
NAMED_COLORS = {"training": "tab:blue", "train": "tab:blue", "test": "tab:red"}
# The samplers' means drawn over the closed form's band in predictive_band, one style each.
SAMPLER_STYLES = [("tab:purple", "--"), ("black", ":"), ("tab:orange", "-."), ("tab:brown", "--")]


@dataclasses.dataclass
class Panel:
    """One subplot of fit_panels: the data (x, t), the fit sampled on a fine grid (fit may be
    None to show the data alone), and the true curve sin(2πx) on the grid when truth is True."""
    title: str
    x: object
    t: object
    grid: object = None
    fit: object = None
    truth: bool = True


def _draw_data(ax, x, t):
    """The observations as PRML draws them: open blue circles."""
    ax.plot(x, t, "o", markerfacecolor="none", markeredgecolor=DATA_COLOR, markeredgewidth=1.5,
            markersize=7, label="data", zorder=3)


def _draw_truth(ax, grid):
    ax.plot(grid, true_curve(grid), color=TRUTH_COLOR, linewidth=2, label=TRUTH_LABEL)


def _t_limits(*arrays):
    """The book's t range, widened (with a margin) only as far as the finite values of the given
    arrays (the data, or the data and the closed form's band) need."""
    values = xp.concatenate([array[xp.isfinite(array)] for array in arrays])
    if not values.size:
        return BOOK_T_LIMITS
    margin = 0.1 * (BOOK_T_LIMITS[1] - BOOK_T_LIMITS[0])
    return (min(BOOK_T_LIMITS[0], float(xp.min(values)) - margin),
            max(BOOK_T_LIMITS[1], float(xp.max(values)) + margin))


def _as_panel(panel, index):
    if isinstance(panel, dict):
        panel = Panel(**panel)
    where = f"panel {index} ({panel.title!r})"
    x = as_vector(panel.x, "fit_panels", f"{where} x")
    t = as_vector(panel.t, "fit_panels", f"{where} t")
    check_same_length("fit_panels", where, x=x, t=t)
    grid = None if panel.grid is None else as_vector(panel.grid, "fit_panels", f"{where} grid")
    fit = None if panel.fit is None else as_vector(panel.fit, "fit_panels", f"{where} fit")
    if (fit is not None or panel.truth) and grid is None:
        raise ValueError(f"fit_panels: {where}: a fit or the true curve needs a grid")
    if fit is not None:
        check_same_length("fit_panels", where, grid=grid, fit=fit)
    return Panel(panel.title, x, t, grid, fit, panel.truth)


def fit_panels_figure(panels, ncols=2, suptitle=None):
    """Polynomial fits side by side, one subplot per Panel (or dict of its fields): PRML Fig. 1.4
    (M = 0, 1, 3, 9 in a 2 × 2 grid), Fig. 1.6 (N = 15 and N = 100 at M = 9) and Fig. 1.7
    (ln λ = −18 and ln λ = 0 at M = 9). Returns the Figure."""
    panels = [_as_panel(panel, index) for index, panel in enumerate(panels)]
    if not panels:
        raise ValueError("fit_panels: panels is empty")
    ncols = max(1, min(ncols, len(panels)))
    nrows = math.ceil(len(panels) / ncols)
    fig, grid_of_axes = new_figure(4.0 * ncols, 3.0 * nrows + 0.5, nrows, ncols)
    axes = list(grid_of_axes.flat)
    for ax in axes[len(panels):]:
        ax.remove()   # an odd count leaves the last row's spare axes blank
    for ax, panel in zip(axes, panels):
        _draw_data(ax, panel.x, panel.t)   # first in the legend; its zorder keeps it on top
        if panel.truth:
            _draw_truth(ax, panel.grid)
        if panel.fit is not None:
            ax.plot(panel.grid, panel.fit, color=FIT_COLOR, linewidth=2, label="fit")
        ax.set_ylim(*_t_limits(panel.t))
        ax.set(title=panel.title, xlabel="$x$", ylabel="$t$")
    if suptitle:
        fig.suptitle(suptitle)
    legend_below(fig, axes[:len(panels)])
    return fig


def fit_panels(path, panels, ncols=2, suptitle=None):
    """Draw fit_panels_figure(panels, ncols, suptitle) and save it to path; returns the path."""
    return save_figure(fit_panels_figure(panels, ncols, suptitle), path)


def _curve_colors(labels):
    """Blue for the training curve and red for the test curve (Fig. 1.5); the others take the
    default cycle, skipping those two."""
    reserved = {to_hex(color) for color in NAMED_COLORS.values()}
    cycle = [c for c in rcParams["axes.prop_cycle"].by_key().get("color", [])
             if to_hex(c) not in reserved] or ["tab:orange"]
    colors, next_color = {}, 0
    for label in labels:
        if label.lower() in NAMED_COLORS:
            colors[label] = NAMED_COLORS[label.lower()]
        else:
            colors[label] = cycle[next_color % len(cycle)]
            next_color += 1
    return colors


def _draw_bands(ax, x, bands, colors):
    """Shade each band (label → (low, high)) in its curve's colour; returns label → the shading."""
    func, shaded = "error_curves", {}
    for label, (low, high) in bands.items():
        if label not in colors:
            raise ValueError(f"{func}: band {label!r} has no curve of that label "
                             f"(curves: {list(colors)})")
        low = as_vector(low, func, f"bands[{label!r}] low")
        high = as_vector(high, func, f"bands[{label!r}] high")
        check_same_length(func, f"band {label!r}", x=x, low=low, high=high)
        shaded[label] = ax.fill_between(x, low, high, color=colors[label], alpha=0.2, linewidth=0)
    return shaded


def error_curves_figure(x, curves, xlabel, ylabel="$E_{RMS}$", title=None, chosen=None,
                        bands=None, ylim=None):
    """Errors (or scores) against a model-complexity knob, one line with markers per entry of
    curves (label → values): PRML Fig. 1.5 (E_RMS against M), Fig. 1.8 (E_RMS against ln λ), and
    the validation curve of model selection. bands (label → (low, high)) shades a region around
    the line of the same label, e.g. ± 1 standard deviation across cross-validation folds;
    chosen marks an x value with a dashed vertical line. Returns the Figure."""
    func = "error_curves"
    x = as_vector(x, func, "x")
    curves = {label: as_vector(values, func, f"curves[{label!r}]")
              for label, values in curves.items()}
    if not curves:
        raise ValueError(f"{func}: curves is empty")
    for label, values in curves.items():
        check_same_length(func, f"curve {label!r}", x=x, values=values)
    colors = _curve_colors(curves)
    fig, axes = new_figure(6.0, 4.0)
    ax = axes[0, 0]
    shaded = _draw_bands(ax, x, bands or {}, colors)
    replace = {}
    for label, values in curves.items():
        (line,) = ax.plot(x, values, "o-", color=colors[label], markerfacecolor="none",
                          markeredgewidth=1.5, label=label)
        if label in shaded:
            replace[line] = (shaded[label], line)   # the key shows the band behind the line
    if chosen is not None:
        ax.axvline(chosen, color="0.3", linestyle="--", linewidth=1.2,
                   label=f"chosen {xlabel} = {chosen:g}")
    if ylim is not None:
        ax.set_ylim(*ylim)
    elif all(float(xp.nanmin(values)) >= 0 for values in curves.values()):
        ax.set_ylim(bottom=0)   # an error is never negative: start its axis at zero
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(*legend_entries([ax], replace), loc="best")
    return fig


def error_curves(path, x, curves, xlabel, ylabel="$E_{RMS}$", title=None, chosen=None,
                 bands=None, ylim=None):
    """Draw error_curves_figure(...) and save it to path; returns the path."""
    return save_figure(error_curves_figure(x, curves, xlabel, ylabel, title, chosen, bands, ylim),
                       path)


def _checked_bands(grid, bands):
    func = "predictive_band"
    checked = []
    for index, (label, mean, std) in enumerate(bands):
        mean = as_vector(mean, func, f"bands[{index}] ({label!r}) mean")
        std = as_vector(std, func, f"bands[{index}] ({label!r}) std")
        check_same_length(func, f"band {index} ({label!r})", grid=grid, mean=mean, std=std)
        checked.append((label, mean, std))
    if not checked:
        raise ValueError(f"{func}: bands is empty")
    return checked


def predictive_band_figure(x, t, grid, bands, title=None):
    """The predictive distribution as mean ± 1 std on the grid, over the data and sin(2πx), as in
    PRML Fig. 1.17 (and 3.8). bands is a list of (label, mean, std): the first, the closed form, is
    a light red band around a solid red mean; the rest (samplers such as HMC or SGLD) are drawn as
    dashed or dotted mean and band-edge lines in other colours, to be seen lying over it.
    Returns the Figure."""
    func = "predictive_band"
    x, t, grid = as_vector(x, func, "x"), as_vector(t, func, "t"), as_vector(grid, func, "grid")
    check_same_length(func, "", x=x, t=t)
    bands = _checked_bands(grid, bands)
    fig, axes = new_figure(7.0, 4.8)
    ax = axes[0, 0]
    _draw_data(ax, x, t)
    _draw_truth(ax, grid)
    (label, mean, std), samplers = bands[0], bands[1:]
    band = ax.fill_between(grid, mean - std, mean + std, color=FIT_COLOR, alpha=0.2, linewidth=0)
    (line,) = ax.plot(grid, mean, color=FIT_COLOR, linewidth=2, label=f"{label}: mean ± 1 std")
    for index, (label, mean, std) in enumerate(samplers):
        color, style = SAMPLER_STYLES[index % len(SAMPLER_STYLES)]
        ax.plot(grid, mean, color=color, linestyle=style, linewidth=1.8, label=label)
        for edge in (mean - std, mean + std):
            ax.plot(grid, edge, color=color, linestyle=style, linewidth=1.0, alpha=0.8)
    # Unlike an over-fitted curve, the closed form's band is the figure's subject: keep it in view.
    ax.set_ylim(*_t_limits(t, bands[0][1] - bands[0][2], bands[0][1] + bands[0][2]))
    ax.set(xlabel="$x$", ylabel="$t$", title=title)
    legend_below(fig, [ax], replace={line: (band, line)})
    return fig


def predictive_band(path, x, t, grid, bands, title=None):
    """Draw predictive_band_figure(x, t, grid, bands, title) and save it to path; returns the
    path."""
    return save_figure(predictive_band_figure(x, t, grid, bands, title), path)
