"""The character-level language model's figure: validation loss (nats per character) against
the training step, with the unigram and bigram baselines (and a published result, if given) as
horizontal lines, so that the distance to each is read off the plot."""
import math

from matplotlib.ticker import MaxNLocator

from chainrule.viz.figure import as_vector, check_same_length, new_figure, save_figure

# The baselines in greys and browns, darker for the stronger one; the models in the usual cycle.
BASELINE_STYLES = {"unigram": ("tab:gray", ":"), "bigram": ("tab:brown", "--")}
REFERENCE_STYLE = ("tab:green", "-.")
MODEL_COLORS = ["tab:red", "tab:blue", "tab:purple", "tab:orange"]


def _curve(records, column):
    steps = as_vector([record["step"] for record in records], "charlm_loss", "step")
    values = as_vector([record[column] for record in records], "charlm_loss", column)
    check_same_length("charlm_loss", column, step=steps, values=values)
    return steps, values


def charlm_loss_figure(runs, baselines=None, reference=None, title=None):
    """runs: label -> its history (records with "step", "val_loss" and optionally "train_loss",
    in nats per character), one curve each (validation solid, training faint); baselines: name ->
    nats, drawn as horizontal lines; reference: (label, nats), e.g. makemore's published loss
    (labelled "about" its value as given: 1.92, not 1.920).
    Returns the Figure."""
    if isinstance(runs, (list, tuple)):
        runs = {"model": runs}
    if not runs or not all(runs.values()):
        raise ValueError("charlm_loss_figure: no history to plot (runs must map a label to a "
                         "non-empty list of records)")
    fig, axes = new_figure(6.4, 4.2)
    ax = axes[0, 0]
    lowest, highest = math.inf, -math.inf
    for color, (label, records) in zip(MODEL_COLORS * 4, runs.items()):
        steps, val = _curve(records, "val_loss")
        ax.plot(steps, val, color=color, linewidth=1.8, marker="o" if len(steps) <= 40 else None,
                markersize=3, label=f"{label}, validation ({val[-1]:.3f} at the end)")
        lowest, highest = min(lowest, val.min()), max(highest, val.max())
        if all("train_loss" in record for record in records):
            steps, train = _curve(records, "train_loss")
            ax.plot(steps, train, color=color, linewidth=1.0, alpha=0.35,
                    label=f"{label}, training (mean since the last point)")
            lowest = min(lowest, train.min())
    lines = [(f"{name} ({nats:.3f})", nats, *BASELINE_STYLES.get(name, ("tab:gray", ":")))
             for name, nats in (baselines or {}).items()]
    if reference is not None:   # a published number, with the digits it was published with
        lines.append((f"{reference[0]} (about {reference[1]:g})", reference[1],
                      *REFERENCE_STYLE))
    for label, nats, color, style in lines:
        ax.axhline(nats, color=color, linestyle=style, linewidth=1.4, label=label)
        lowest, highest = min(lowest, nats), max(highest, nats)
    # The validation curves, the lines and the training curve's lowest point in view; the
    # training curve's first mean (over the untrained model's first steps) may be cut off above.
    span = highest - lowest
    ax.set_ylim(lowest - 0.08 * span - 0.02, highest + 0.08 * span + 0.02)
    ax.set(xlabel="training step", ylabel="loss (nats per character)", title=title)
    # Round steps (1, 2, 2.5 or 5 times a power of ten): matplotlib's default also allows 4
    # and 8, which put ticks at 800, 1600, ... between evaluations every 1000 steps.
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 2.5, 5, 10]))
    ax.grid(alpha=0.3)
    fig.legend(loc="outside lower center", ncols=2, frameon=False, fontsize=8)
    return fig


def plot_charlm_loss(path, runs, baselines=None, reference=None, title=None):
    """Draw charlm_loss_figure(runs, baselines, reference, title) and save it to path."""
    return save_figure(charlm_loss_figure(runs, baselines, reference, title), path)
