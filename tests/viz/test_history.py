"""The training-curves figure: its panels, lines and labels inspected on the Figure, and the PNG
saved atomically, read back and not blank."""
import math
import os

import matplotlib.image
import pytest

from chainrule.train.history import History
from chainrule.viz.history import history_figure, plot_history


def fake_history(count=24):
    """A plausible run: losses decaying towards a floor, accuracy rising towards 95 %."""
    history = History()
    for index in range(count):
        step = 50 * (index + 1)
        history.append({"step": step, "epoch": step // 200,
                        "train_loss": 2.3 * math.exp(-step / 300) + 0.08,
                        "val_loss": 2.3 * math.exp(-step / 320) + 0.15,
                        "val_accuracy": 0.95 - 0.85 * math.exp(-step / 250)})
    return history


def lines_by_label(ax):
    return {line.get_label(): line for line in ax.get_lines()}


def test_a_loss_panel_and_an_accuracy_panel_in_percent():
    history = fake_history()
    fig = history_figure(history, title="MLP")
    loss_ax, accuracy_ax = fig.axes
    assert fig.get_suptitle() == "MLP"
    assert (loss_ax.get_xlabel(), loss_ax.get_ylabel()) == ("step", "loss")
    assert (accuracy_ax.get_xlabel(), accuracy_ax.get_ylabel()) == ("step", "accuracy (%)")
    losses = lines_by_label(loss_ax)
    assert set(losses) == {"training", "validation"}
    assert list(losses["training"].get_xdata()) == history["step"]
    assert list(losses["training"].get_ydata()) == history["train_loss"]
    assert list(losses["validation"].get_ydata()) == history["val_loss"]
    (accuracy,) = accuracy_ax.get_lines()
    assert list(accuracy.get_ydata()) == pytest.approx([100 * a for a in history["val_accuracy"]])
    for ax in fig.axes:
        assert ax.get_legend() is not None


def test_training_and_validation_of_one_metric_share_its_panel():
    records = [{"step": s, "train_loss": 1 / s, "val_loss": 2 / s, "train_accuracy": 0.5,
                "val_accuracy": 0.4, "val_f1": 0.3, "lr": 0.1} for s in (1, 2, 3)]
    fig = history_figure(records)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy", "f1", "lr"]
    assert set(lines_by_label(fig.axes[1])) == {"training", "validation"}


def test_a_column_missing_from_some_records_is_drawn_where_it_was_measured():
    records = [{"step": 1, "train_loss": 1.0}, {"step": 2, "train_loss": 0.5, "val_loss": 0.7},
               {"step": 3, "train_loss": 0.2, "val_loss": float("inf")}]
    fig = history_figure(History(records))
    validation = lines_by_label(fig.axes[0])["validation"]
    assert list(validation.get_xdata()) == [2, 3]
    assert validation.get_ydata()[0] == 0.7 and math.isnan(validation.get_ydata()[1])


# Histories with nothing to draw, and the error each gives.
NOTHING_TO_DRAW = [
    ("empty", History(), "no records"),
    ("bookkeeping only", [{"step": 1, "epoch": 0}], "no numeric column"),
]


@pytest.mark.parametrize("why,history,message", NOTHING_TO_DRAW,
                         ids=[case[0] for case in NOTHING_TO_DRAW])
def test_nothing_to_draw_is_refused(why, history, message):
    with pytest.raises(ValueError, match=message):
        history_figure(history)


def test_the_saved_png_reads_back_at_the_figure_size_and_is_not_blank(tmp_path):
    fig = history_figure(fake_history())
    width, height = fig.get_size_inches() * fig.dpi
    path = plot_history(tmp_path / "curves" / "history.png", fake_history())
    assert path == tmp_path / "curves" / "history.png"
    image = matplotlib.image.imread(path)
    assert image.shape[:2] == (round(height), round(width))
    assert image.var() > 0
    assert os.listdir(path.parent) == ["history.png"]   # no temporary file left behind
