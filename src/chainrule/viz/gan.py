"""The GAN figures: generated points on the ring over training with the mode metrics beneath,
and generated digits as grids, with the classifier's score over training."""
import math

from chainrule.backend import float64, xp
from chainrule.utils.files import write_atomically
from chainrule.viz.figure import new_figure, save_figure

RUN_COLORS = ("tab:blue", "tab:red", "tab:green", "tab:purple")


def ring_figure(runs, centres, std, steps=None, sigmas=3.0, points=1000):
    """One row of scatter plots per run, a column per step (generated points, and a circle of
    radius sigmas·std around each mode), then a row with the curves of modes covered and of the
    share of points within sigmas·std, one curve per run.

    runs: label → (history, snapshots), as in experiments.gan.RingResult (history: dicts with
        step, modes, share; snapshots: step → (n, 2) array). steps: the snapshot steps to draw
        (default: five spread over the run, from the first run's snapshots). points: how many
        of each snapshot's samples to draw (the first; all when fewer), to keep the PNG small.
    """
    if not runs:
        raise ValueError("ring_figure: expected at least one run, got none")
    first = next(iter(runs.values()))[1]
    steps = list(steps) if steps is not None else spread(sorted(first), 5)
    for label, (_, snapshots) in runs.items():
        missing = [step for step in steps if step not in snapshots]
        if missing:
            raise ValueError(f"ring_figure: run {label!r} has no snapshot at steps {missing}")
    centres = xp.asarray(centres, dtype=float64)
    fig, axes = new_figure(1.8 * len(steps), 1.9 * len(runs) + 2.4)
    axes[0, 0].remove()   # the figure holds two sub-figures: the scatter grid, the curves
    top, bottom = fig.subfigures(2, 1, height_ratios=[1.9 * len(runs), 2.4])
    grid = top.subplots(len(runs), len(steps), squeeze=False)
    limit = 1.25 * float(xp.abs(centres).max())
    for row, (label, (history, snapshots)) in enumerate(runs.items()):
        by_step = {entry["step"]: entry for entry in history}
        for column, step in enumerate(steps):
            _ring_panel(grid[row, column], snapshots[step][:points], centres, sigmas * std, limit,
                        RUN_COLORS[row % len(RUN_COLORS)])
            entry = by_step.get(step)
            note = f"\n{entry['modes']}/8 modes, {100 * entry['share']:.0f}% near" if entry else ""
            grid[row, column].set_title(f"step {step}{note}", fontsize=8)
        grid[row, 0].set_ylabel(label)
    _metric_curves(bottom.subplots(1, 2, squeeze=False)[0], runs, len(centres), sigmas)
    return fig


def ring(path, runs, centres, std, steps=None):
    """ring_figure saved to path; a PNG with its colours reduced to a palette of 256 (the
    translucent points make tens of thousands of shades: 220 KB become about 80)."""
    path = save_figure(ring_figure(runs, centres, std, steps), path)
    if path.suffix.lower() == ".png":
        _to_palette(path)
    return path


def _to_palette(path):
    from PIL import Image   # matplotlib's own dependency, for the PNG alone
    with Image.open(path) as image:
        reduced = image.convert("RGB").quantize(256)
    write_atomically(path, lambda temporary: reduced.save(temporary, format="PNG", optimize=True))


def _ring_panel(ax, samples, centres, radius, limit, color):
    """The points, a circle around each mode, and beside each mode the share of the drawn points
    inside its circle: a collapsed run's clumps are tiny next to the stray points of an arc,
    and only the numbers show where the mass is."""
    ax.scatter(samples[:, 0], samples[:, 1], s=2, alpha=0.4, color=color, linewidths=0)
    distances = xp.linalg.norm(samples[:, None, :] - centres[None, :, :], axis=-1)
    shares = (distances < radius).mean(axis=0) if len(samples) else xp.zeros(len(centres))
    for (x, y), share in zip(centres, shares):
        ax.add_patch(_circle((x, y), radius))
        ax.text(1.16 * x, 1.16 * y, f"{100 * share:.0f}", fontsize=6, ha="center", va="center",
                color="black" if share > 0 else "0.6")
    ax.set(xlim=(-limit, limit), ylim=(-limit, limit), aspect="equal", xticks=[], yticks=[])


def _circle(centre, radius):
    from matplotlib.patches import Circle   # matplotlib's own, only where a figure is drawn
    return Circle(centre, radius, fill=False, color="black", linewidth=0.8)


def _metric_curves(axes, runs, modes, sigmas):
    """Modes covered (left) and the share of points near a mode (right), a curve per run."""
    left, right = axes
    for index, (label, (history, _)) in enumerate(runs.items()):
        step = [entry["step"] for entry in history]
        color = RUN_COLORS[index % len(RUN_COLORS)]
        left.plot(step, [entry["modes"] for entry in history], color=color, label=label)
        right.plot(step, [100 * entry["share"] for entry in history], color=color, label=label)
    left.set(xlabel="step", ylabel="modes covered", ylim=(-0.3, modes + 0.3),
             yticks=range(0, modes + 1, 2))
    right.set(xlabel="step", ylabel=f"% within {sigmas:g}σ of a mode", ylim=(0, 100))
    right.legend(fontsize=8, loc="upper left")   # empty there: no run is near a mode early


def digit_grids_figure(grids, columns=8, title=None):
    """One panel per epoch: the generated images (epoch → (n, 1, 8, 8) array in [-1, 1]) tiled
    columns wide, ink dark on white (as the digits were written)."""
    if not grids:
        raise ValueError("digit_grids: expected at least one grid, got none")
    fig, axes = new_figure(2.4 * len(grids), 2.8, 1, len(grids))
    for ax, (epoch, images) in zip(axes[0], grids.items()):
        ax.imshow(tile(images, columns), cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
        ax.set(title=f"epoch {epoch}", xticks=[], yticks=[])
    if title:
        fig.suptitle(title)
    return fig


def digit_grids(path, grids, columns=8, title=None):
    """digit_grids_figure saved to path."""
    return save_figure(digit_grids_figure(grids, columns, title), path)


def tile(images, columns=10, gap=1):
    """Images (n, 1, H, W) in [-1, 1] as one array in [0, 1], columns wide, a white gap between."""
    images = xp.asarray(images, dtype=float64)
    if images.ndim != 4 or images.shape[1] != 1:
        raise ValueError(f"tile: expected images of shape (n, 1, H, W), got {images.shape}")
    n, _, height, width = images.shape
    rows = math.ceil(n / columns)
    canvas = xp.zeros((rows * (height + gap) - gap, columns * (width + gap) - gap))
    for i, image in enumerate(xp.clip((images[:, 0] + 1) / 2, 0, 1)):
        top, left = (i // columns) * (height + gap), (i % columns) * (width + gap)
        canvas[top:top + height, left:left + width] = image
    return canvas


def digit_scores_figure(history, reference):
    """The classifier's verdict over training: mean confidence, entropy of the predicted-class
    histogram (log 10 is balance) and the classifier's inception score, with the real test
    digits' values (reference: a DigitScore) as dashed lines."""
    scored = [entry for entry in history if "confidence" in entry]
    if not scored:
        raise ValueError("digit_scores: no entry of the history holds a score")
    epochs = [entry["epoch"] for entry in scored]
    panels = [("confidence", "mean max probability", (0, 1.02)),
              ("class_entropy", "class entropy (nats)", (0, math.log(10) * 1.08)),
              ("inception_score", "classifier's inception score", (1, 10.3))]
    fig, axes = new_figure(9.5, 2.8, 1, 3)
    for ax, (key, label, limits) in zip(axes[0], panels):
        ax.plot(epochs, [entry[key] for entry in scored], "o-", color="tab:blue",
                label="generated")
        ax.axhline(getattr(reference, key), color="tab:green", linestyle="--",
                   label="real test digits")
        ax.set(xlabel="epoch", ylabel=label, ylim=limits)
    axes[0, 0].legend(fontsize=8, loc="lower right")
    return fig


def digit_scores(path, history, reference):
    """digit_scores_figure saved to path."""
    return save_figure(digit_scores_figure(history, reference), path)


def spread(values, count):
    """count values of the sorted list, evenly spread, its first and last included."""
    if len(values) <= count:
        return list(values)
    return [values[round(i * (len(values) - 1) / (count - 1))] for i in range(count)]
