"""The training curves of a fit: its History (one record per evaluation) drawn against the step,
the losses in one panel and each other metric in its own.

As in curvefit.py, `history_figure(...)` returns the Figure and `plot_history(path, ...)` saves it
atomically; they draw the numbers recorded and compute nothing of the model.
"""
import math
import numbers

from matplotlib.ticker import MaxNLocator

from chainrule.viz.figure import new_figure, save_figure

# The record's bookkeeping, not measurements: step is the x axis, epoch a second clock.
NOT_PLOTTED = ("step", "epoch")
# Training blue and validation red, as the training and test errors of PRML Fig. 1.5 (curvefit).
SPLITS = {"train": ("training", "tab:blue"), "val": ("validation", "tab:red")}
OTHER_COLORS = ["tab:green", "tab:purple", "tab:orange", "tab:brown"]
# Past this many evaluations the markers would merge into a thick line; only the line is drawn.
MARKER_LIMIT = 40


def _split(column):
    """("val", "accuracy") for val_accuracy, ("train", "loss") for train_loss, (None, "lr") for
    a column with neither prefix."""
    for prefix in SPLITS:
        if column.startswith(prefix + "_"):
            return prefix, column[len(prefix) + 1:]
    return None, column


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _panels(records):
    """metric → its columns, the losses first, then the others as first seen in the records."""
    panels = {"loss": []}
    for record in records:
        for column, value in record.items():
            if column in NOT_PLOTTED or not _is_number(value):
                continue
            metric = _split(column)[1]
            if column not in panels.setdefault(metric, []):
                panels[metric].append(column)
    return {metric: columns for metric, columns in panels.items() if columns}


def _series(records, column, scale):
    """The steps at which column was measured and its values (× scale); an infinite value
    becomes NaN, a gap, so one diverged evaluation does not stretch the axis to infinity."""
    steps, values = [], []
    for record in records:
        value = record.get(column)
        if _is_number(value) and _is_number(record.get("step")):
            steps.append(record["step"])
            values.append(float(value) * scale if math.isfinite(value) else math.nan)
    return steps, values


def _draw_panel(ax, records, metric, columns):
    percent = "accuracy" in metric
    scale = 100.0 if percent else 1.0   # accuracies are recorded as fractions in [0, 1]
    others = iter(OTHER_COLORS)
    for column in columns:
        prefix, _ = _split(column)
        label, color = SPLITS.get(prefix) or (column, next(others, None))
        steps, values = _series(records, column, scale)
        marker = "o" if len(steps) <= MARKER_LIMIT else None
        ax.plot(steps, values, color=color, marker=marker, markersize=3.5, linewidth=1.6,
                label=label)
    pretty = metric.replace("_", " ")
    ax.set(xlabel="step", ylabel=f"{pretty} (%)" if percent else pretty, title=pretty)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(loc="best")


def history_figure(history, title=None):
    """The curves of a History (or a list of its records): one panel of the losses (train_loss
    and val_loss against the step), then one per other metric, training and validation values of
    the same metric sharing a panel (train_accuracy and val_accuracy, say). A metric whose name
    contains "accuracy" is shown in percent. Returns the Figure."""
    records = list(history)
    if not records:
        raise ValueError("history_figure: the history has no records; nothing to plot")
    panels = _panels(records)
    if not panels:
        raise ValueError(f"history_figure: no numeric column to plot besides {NOT_PLOTTED}; "
                         f"the first record is {records[0]}")
    ncols = min(len(panels), 3)
    nrows = math.ceil(len(panels) / ncols)
    fig, grid_of_axes = new_figure(4.8 * ncols, 3.6 * nrows + (0.4 if title else 0), nrows, ncols)
    axes = list(grid_of_axes.flat)
    for ax in axes[len(panels):]:
        ax.remove()   # a count that does not fill the last row leaves its spare axes blank
    for ax, (metric, columns) in zip(axes, panels.items()):
        _draw_panel(ax, records, metric, columns)
    if title:
        fig.suptitle(title)
    return fig


def plot_history(path, history, title=None):
    """Draw history_figure(history, title) and save it to path; returns the path."""
    return save_figure(history_figure(history, title), path)
