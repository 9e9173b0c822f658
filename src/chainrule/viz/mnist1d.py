"""The MNIST-1D figures: accuracies beside the paper's, accuracy against scale, and a CNN's
learned first-layer filters."""
from chainrule.backend import xp
from chainrule.viz.curvefit import error_curves_figure
from chainrule.viz.figure import as_vector, new_figure, save_figure


def accuracy_bars_figure(labels, accuracies, reference=None, title=None):
    """Horizontal bars of test accuracy (fractions, drawn in %), one per label; reference
    (label → %, e.g. the paper's) marked beside each bar it has a value for."""
    func = "accuracy_bars"
    values = 100 * as_vector(accuracies, func, "accuracies")
    labels = list(labels)
    if len(labels) != len(values):
        raise ValueError(f"{func}: {len(labels)} labels for {len(values)} accuracies")
    fig, axes = new_figure(7.0, 0.45 * len(values) + 1.4)
    ax = axes[0, 0]
    rows = xp.arange(len(values))[::-1]   # the first label on top
    ax.barh(rows, values, color="tab:blue", alpha=0.8, label="chainrule")
    reference = reference or {}
    for row, label, value in zip(rows, labels, values):   # the number right of bar and marker
        ax.text(max(value, reference.get(label, 0)) + 2, row, f"{value:.1f} %", va="center",
                fontsize=9)
    marked = [(row, reference[label]) for row, label in zip(rows, labels) if label in reference]
    if marked:
        ax.plot([m[1] for m in marked], [m[0] for m in marked], "D", color="tab:red",
                label="paper")
    ax.set_yticks(rows, labels)
    ax.set(xlim=(0, 115), xlabel="test accuracy (%)", title=title)
    if marked:   # a key only where there are two things to tell apart
        fig.legend(loc="outside lower center", ncols=2)
    return fig


def accuracy_bars(path, labels, accuracies, reference=None, title=None):
    return save_figure(accuracy_bars_figure(labels, accuracies, reference, title), path)


def scale_figure(x, curves, xlabel, title=None):
    """Test accuracy (%) against a scale knob on a log-2 axis: curves is label → (mean, std) of
    fractions over seeds; the band is ± one standard deviation."""
    means = {label: 100 * as_vector(mean, "scale_curves", label) for label, (mean, _) in
             curves.items()}
    bands = {label: (means[label] - 100 * as_vector(std, "scale_curves", label),
                     means[label] + 100 * as_vector(std, "scale_curves", label))
             for label, (_, std) in curves.items()}
    fig = error_curves_figure(x, means, xlabel, ylabel="test accuracy (%)", title=title,
                              bands=bands, ylim=(0, 100))
    fig.axes[0].set_xscale("log", base=2)
    fig.axes[0].set_xticks(list(x), [f"{v:g}" for v in x])
    return fig


def scale_curves(path, x, curves, xlabel, title=None):
    return save_figure(scale_figure(x, curves, xlabel, title), path)


def filters_figure(weights, title=None, columns=5):
    """Each first-layer convolution filter (weights (C, 1, K)) as a stem plot of its K taps, on
    one shared scale so their sizes compare."""
    weights = xp.asarray(weights)
    if weights.ndim != 3 or weights.shape[1] != 1:
        raise ValueError(f"filters: expected weights of shape (C, 1, K), got {weights.shape}")
    count, _, taps = weights.shape
    rows = -(-count // columns)
    fig, axes = new_figure(1.6 * columns, 1.1 * rows + 0.6, rows, columns, sharey=True)
    limit = float(xp.abs(weights).max()) * 1.1
    for index, ax in enumerate(axes.flat):
        if index >= count:
            ax.remove()
            continue
        ax.stem(xp.arange(taps), weights[index, 0], basefmt="0.6")
        ax.set(ylim=(-limit, limit), xticks=[], yticks=[], title=f"filter {index + 1}")
        ax.title.set_fontsize(8)
    fig.suptitle(title or f"The CNN's {count} learned first-layer filters ({taps} taps each)")
    return fig


def plot_filters(path, weights, title=None):
    return save_figure(filters_figure(weights, title), path)
