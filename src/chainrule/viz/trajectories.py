"""Optimisers' paths drawn over the contours of 2-D loss surfaces (one panel per surface). The
caller runs the optimisers and passes the numbers; nothing here computes a loss."""
import dataclasses

from matplotlib.colors import LogNorm

from chainrule.backend import xp
from chainrule.viz.figure import legend_below, new_figure, save_figure

# One colour per optimiser, the same in every panel (and in lab 08).
PATH_COLORS = {"SGD": "tab:blue", "momentum": "tab:orange", "Adam": "tab:red"}
# Steps marked with a dot: enough to show the early step lengths; past them the dots of a slow
# path pile up into a thick line that hides the others.
DOTTED = 100


@dataclasses.dataclass
class SurfacePanel:
    """One panel: the surface sampled on a grid (X, Y, F as from numpy.meshgrid), its minima
    [(x, y), ...], and paths {label: points (n, 2)}; notes {label: text} are listed in a corner
    (e.g. the steps each took to converge)."""
    title: str
    X: object
    Y: object
    F: object
    minima: tuple
    paths: dict
    notes: dict = dataclasses.field(default_factory=dict)


def trajectories_figure(panels, title=None):
    """Contours of each surface on a log scale (valleys a thousand times shallower than the
    walls stay visible), the paths with a dot at each of the first DOTTED steps, the start
    (square), each path's end (a circle in its colour) and the minima (stars). A path that leaves the window is drawn as far as it is
    inside."""
    if not panels:
        raise ValueError("trajectories_figure: expected at least one panel, got none")
    fig, axes = new_figure(4.0 * len(panels), 4.2, 1, len(panels))
    for ax, panel in zip(axes[0], panels):
        _draw_panel(ax, panel)
    if title:
        fig.suptitle(title)
    legend_below(fig, axes[0])
    return fig


def _draw_panel(ax, panel):
    F = xp.asarray(panel.F, dtype=float)
    if F.shape != xp.shape(panel.X) or F.shape != xp.shape(panel.Y):
        raise ValueError(f"trajectories_figure: panel {panel.title!r}: X, Y and F must have one "
                         f"shape, got {xp.shape(panel.X)}, {xp.shape(panel.Y)}, {F.shape}")
    floor = max(float(F.max()) * 1e-6, 1e-3)   # log levels need F > 0; the minima are 0
    levels = xp.geomspace(floor, float(F.max()), 13)
    ax.contourf(panel.X, panel.Y, xp.maximum(F, floor), levels=levels, norm=LogNorm(),
                cmap="Greys_r", alpha=0.55)
    ax.contour(panel.X, panel.Y, xp.maximum(F, floor), levels=levels[::2], norm=LogNorm(),
               colors="0.35", linewidths=0.5)
    for label, points in panel.paths.items():
        points = xp.asarray(points, dtype=float)
        if points.ndim != 2 or points.shape[1] != 2:
            raise ValueError(f"trajectories_figure: path {label!r} must have shape (n, 2), got "
                             f"{points.shape}")
        color = PATH_COLORS.get(label)
        ax.plot(points[:, 0], points[:, 1], "-", color=color, linewidth=1.4, label=label)
        ax.plot(points[:DOTTED, 0], points[:DOTTED, 1], ".", color=color, markersize=2.5)
        ax.plot(*points[-1], "o", color=color, markeredgecolor="black", markersize=5)
    starts = [xp.asarray(p, dtype=float)[0] for p in panel.paths.values()]
    if starts:
        ax.plot(*starts[0], "s", color="white", markeredgecolor="black", markersize=7,
                label="start")
        # the legend's key for the ends (each drawn in its path's colour)
        ax.plot([], [], "o", color="white", markeredgecolor="black", markersize=5, label="end")
    for minimum in panel.minima:
        ax.plot(*minimum, "*", color="gold", markeredgecolor="black", markersize=13,
                label="minimum")
    if panel.notes:
        ax.text(0.98, 0.02, "\n".join(f"{k}: {v}" for k, v in panel.notes.items()),
                transform=ax.transAxes, fontsize=8, va="bottom", ha="right",
                bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.85})
    ax.set(xlim=(panel.X.min(), panel.X.max()), ylim=(panel.Y.min(), panel.Y.max()),
           xlabel="$x$", ylabel="$y$", title=panel.title)


def trajectories(path, panels, title=None):
    return save_figure(trajectories_figure(panels, title), path)
