"""The cost of the chain rule drawn: the seconds each way of computing a gradient took against the
input size n (log-log), beside the passes through the layers each made.

As in curvefit.py, `backprop_cost_figure(rows)` draws and returns the Figure and
`plot_backprop_cost(path, rows)` saves it; the rows are experiments.backprop_cost's (anything with
attributes n, explicit, forward, reverse and a dict passes).
"""
from chainrule.viz.figure import legend_below, new_figure, save_figure

# (attribute, label, colour, marker): the ways in the order the lecture introduces them
WAYS = [("explicit", "explicit Jacobians (matrix products)", "tab:purple", "s"),
        ("forward", "forward mode (one jvp per input)", "tab:orange", "^"),
        ("reverse", "reverse mode (one vjp)", "tab:green", "o")]


def backprop_cost_figure(rows, title=None):
    """Two panels over n, both log-log: seconds per gradient for each way, and passes per gradient."""
    rows = _checked(rows)
    sizes = [row.n for row in rows]
    fig, axes = new_figure(9, 4, 1, 2)
    time_ax, pass_ax = axes[0]
    for name, label, color, marker in WAYS:
        seconds = [getattr(row, name) for row in rows]
        # explicit's markers hollow and larger: its passes (one) lie under reverse's
        style = {"marker": marker, "color": color, "label": label}
        if name == "explicit":
            style.update(markerfacecolor="none", markersize=9)
        time_ax.plot(sizes, seconds, **style)
        pass_ax.plot(sizes, [row.passes[name] for row in rows], **style)
    for ax, ylabel in ((time_ax, "seconds per gradient (best of the repeats)"),
                       (pass_ax, "passes through the layers per gradient")):
        ax.set_xscale("log", base=2)
        ax.set_xticks(sizes, [str(n) for n in sizes])
        ax.minorticks_off()
        ax.set_yscale("log")
        ax.set_xlabel("n (input size; the layers are n × n)")
        ax.set_ylabel(ylabel)
        ax.grid(True, which="major", alpha=0.3)
    time_ax.set_title("time")
    pass_ax.set_title("passes (explicit: one, carrying n × n matrices)")
    legend_below(fig, [time_ax])
    fig.suptitle(title or r"The gradient of $f:\mathbb{R}^n\to\mathbb{R}$, three ways")
    return fig


def plot_backprop_cost(path, rows, title=None):
    """Draw backprop_cost_figure(rows) and save it to path (format from the suffix)."""
    return save_figure(backprop_cost_figure(rows, title), path)


def _checked(rows):
    rows = list(rows)
    if not rows:
        raise ValueError("backprop_cost_figure: no rows to draw")
    for index, row in enumerate(rows):
        missing = [name for name in ("n", "passes", *(way[0] for way in WAYS))
                   if not hasattr(row, name)]
        if missing:
            raise ValueError(f"backprop_cost_figure: row {index} has no {', '.join(missing)} "
                             "(expected experiments.backprop_cost.Row)")
    return sorted(rows, key=lambda row: row.n)
