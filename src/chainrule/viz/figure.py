"""What every plot shares: a Figure made without pyplot, arrays checked on the way in, and an
atomic save. The plots themselves live in one module per topic (curvefit.py, ...)."""
import math
import pathlib

from matplotlib.figure import Figure

from chainrule.backend import float64, xp
from chainrule.utils.files import write_atomically

# 120 dots per inch: a 6-inch figure is 720 pixels wide, sharp on a slide and small on disk.
DPI = 120

# Colours chosen once so every figure agrees (PRML's convention: data blue, truth green, fit red).
DATA_COLOR = "tab:blue"
TRUTH_COLOR = "tab:green"
FIT_COLOR = "tab:red"


def new_figure(width, height, nrows=1, ncols=1, **subplot_kw):
    """A Figure of width × height inches and its grid of axes (always a 2-D array of Axes).

    Built from matplotlib.figure.Figure, not pyplot: pyplot keeps every figure alive in a global
    registry until closed and needs a backend chosen, while a bare Figure is freed with its last
    reference and draws through Agg when saved. Constrained layout keeps titles, labels and an
    outside legend from overlapping."""
    fig = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False, **subplot_kw)
    return fig, axes


def save_figure(fig, path):
    """Write fig to path (the format from its suffix, PNG when it has none) and return the path.
    The file appears whole or not at all (chainrule.utils.files.write_atomically); a missing
    parent folder is created."""
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = path.suffix.lstrip(".").lower() or "png"
    write_atomically(path, lambda temporary: fig.savefig(temporary, format=fmt, dpi=fig.dpi))
    return path


def as_vector(values, func, name):
    """values (a list, a NumPy array, anything array-like) as a 1-D float64 array; a clear
    ValueError naming func and the argument otherwise."""
    array = xp.asarray(values, dtype=float64)
    if array.ndim != 1:
        raise ValueError(f"{func}: {name} must be 1-D, got shape {array.shape}")
    return array


def check_same_length(func, where, **arrays):
    """Raise a ValueError naming func, where (e.g. "panel 0 ('M = 3')") and every shape, unless
    all the given 1-D arrays have the same length."""
    shapes = {name: array.shape for name, array in arrays.items()}
    if len(set(shapes.values())) > 1:
        listed = ", ".join(f"{name} has shape {shape}" for name, shape in shapes.items())
        prefix = f"{func}: {where}: " if where else f"{func}: "
        raise ValueError(f"{prefix}lengths differ: {listed}")


def legend_entries(axes, replace=None):
    """The (handles, labels) of every labelled artist in axes, each label once. replace maps an
    artist to the handle its key should show instead: a (band, line) tuple draws the shaded band
    and the line one over the other, as they look in the plot."""
    handles, labels = [], []
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels()):
            if label not in labels:
                handles.append((replace or {}).get(handle, handle))
                labels.append(label)
    return handles, labels


def legend_below(fig, axes, replace=None):
    """One legend for the whole figure, outside and below the axes, so it never hides data (see
    legend_entries for replace): one row, or two when the labels would not fit across."""
    handles, labels = legend_entries(axes, replace)
    # About 12 characters fit per inch at the default 10-point font, and each key's handle and
    # spacing take about 6 more: a rough measure, but drawing to measure would cost a render.
    width = sum(len(label) + 6 for label in labels)
    ncols = len(labels) if width <= 12 * fig.get_figwidth() else math.ceil(len(labels) / 2)
    return fig.legend(handles, labels, loc="outside lower center", ncols=max(ncols, 1),
                      frameon=False)
