"""The Bayesian network's predictive band beside a point prediction: one panel per method, each
with the data, the true curve, the predictive mean, its ±2σ band and a few sampled networks.
The caller samples and predicts; this module only draws the arrays it is given."""
import dataclasses

from chainrule.backend import xp
from chainrule.viz.figure import (
    DATA_COLOR,
    FIT_COLOR,
    TRUTH_COLOR,
    as_vector,
    check_same_length,
    legend_below,
    new_figure,
    save_figure,
)


@dataclasses.dataclass
class BandPanel:
    """One method on the grid: its predictive mean and std (the band is mean ± 2·std), and
    optionally curves (S, len(grid)) of single sampled networks to draw thinly."""
    title: str
    mean: object
    std: object
    curves: object = None


def band_figure(grid, x, t, panels, truth=None, shade=(), ylim=None, title=None):
    """Panels side by side on a shared y axis. shade lists (low, high) intervals of x to mark
    (the gap without data); truth is the true curve on grid, drawn when given."""
    func = "band_figure"
    grid, x, t = (as_vector(v, func, name) for v, name in ((grid, "grid"), (x, "x"), (t, "t")))
    check_same_length(func, "data", x=x, t=t)
    if not panels:
        raise ValueError(f"{func}: expected at least one panel, got none")
    fig, axes = new_figure(4.0 * len(panels), 3.6, 1, len(panels), sharey=True)
    for ax, panel in zip(axes[0], panels):
        mean = as_vector(panel.mean, func, f"{panel.title} mean")
        std = as_vector(panel.std, func, f"{panel.title} std")
        check_same_length(func, f"panel {panel.title!r}", grid=grid, mean=mean, std=std)
        for low, high in shade:
            ax.axvspan(low, high, color="0.92", zorder=0)
        if panel.curves is not None:
            for index, curve in enumerate(xp.atleast_2d(panel.curves)):
                ax.plot(grid, curve, color=FIT_COLOR, alpha=0.25, linewidth=0.7,
                        label="sampled networks" if index == 0 else None)
        ax.fill_between(grid, mean - 2 * std, mean + 2 * std, color=FIT_COLOR, alpha=0.18,
                        linewidth=0, label="±2σ predictive")
        ax.plot(grid, mean, color=FIT_COLOR, linewidth=2, label="predictive mean")
        if truth is not None:
            ax.plot(grid, as_vector(truth, func, "truth"), "--", color=TRUTH_COLOR,
                    linewidth=1.5, label="truth")
        ax.plot(x, t, "o", markerfacecolor="none", markeredgecolor=DATA_COLOR, markersize=5,
                label="data", zorder=3)
        ax.set(title=panel.title, xlabel="$x$", xlim=(grid.min(), grid.max()))
    axes[0, 0].set_ylabel("$t$")
    if ylim is not None:
        axes[0, 0].set_ylim(*ylim)
    if title:
        fig.suptitle(title)
    legend_below(fig, axes[0])
    return fig


def band(path, grid, x, t, panels, truth=None, shade=(), ylim=None, title=None):
    return save_figure(band_figure(grid, x, t, panels, truth, shade, ylim, title), path)
