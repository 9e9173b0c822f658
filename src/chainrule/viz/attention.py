"""Attention heat maps: for each translation, which source token each produced target token
attended to (a row per target token, a column per source token, the weights of each row sum to
1)."""
import textwrap

from chainrule.backend import float64, xp
from chainrule.viz.figure import new_figure, save_figure

# Characters of a title line over a 3.2-inch panel at 8 points.
TITLE_WIDTH = 46
# The figure's height in inches: 0.2 a produced token, plus 1.2 for the labels, and at least
# MIN_HEIGHT: the titles (up to three lines) and the rotated source words take about 1.6, which
# squeezed a short sentence's rows into a strip.
ROW_HEIGHT, MARGIN, MIN_HEIGHT = 0.2, 1.2, 3.6


def plot_attention(examples, path, title=None):
    """One heat map per example, side by side, written to path (PNG).

    Args: examples, a non-empty list of dicts: "source" (S tokens), "target" (T tokens, the
        rows' labels), "weights" (T, S) array-like, rows summing to 1, and optionally "correct"
        (bool) and "title" (str), shown over the panel; path; title, over all panels.
    Returns the path written.
    """
    if not examples:
        raise ValueError("plot_attention: no example to draw")
    heights = [len(example["target"]) for example in examples]
    height = max(MIN_HEIGHT, MARGIN + ROW_HEIGHT * max(heights))
    fig, axes = new_figure(3.2 * len(examples) + 0.8, height, 1, len(examples))
    for ax, example in zip(axes[0], examples):
        weights = _weights(example)
        image = ax.imshow(weights, cmap="viridis", vmin=0, vmax=1, aspect="auto",
                          interpolation="nearest")
        ax.set_xticks(range(weights.shape[1]), example["source"], rotation=45, ha="right")
        ax.set_yticks(range(weights.shape[0]), example["target"][:weights.shape[0]], fontsize=8)
        ax.tick_params(length=0)
        ax.set_title(_title(example), fontsize=8)
        ax.set_xlabel("source")
    axes[0][0].set_ylabel("produced (one row per token)")
    fig.colorbar(image, ax=axes[0].tolist(), shrink=0.6, label="attention weight")
    if title:
        fig.suptitle(title)
    return save_figure(fig, path)


def _title(example):
    """The example's title, each line wrapped to fit a panel (a German number is one long word),
    then "correct" or "wrong" on a line of its own."""
    lines = [textwrap.fill(line, TITLE_WIDTH) for line in example.get("title", "").splitlines()]
    mark = {True: "(correct)", False: "(wrong)"}.get(example.get("correct"))
    return "\n".join(lines + ([mark] if mark else []))


def _weights(example):
    weights = xp.asarray(example["weights"], dtype=float64)
    source, target = example["source"], example["target"]
    if weights.ndim != 2 or weights.shape[1] != len(source) or weights.shape[0] > len(target):
        raise ValueError(f"plot_attention: weights of shape {weights.shape} do not fit "
                         f"{len(target)} target and {len(source)} source tokens")
    return weights
