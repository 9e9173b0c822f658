"""The charlm loss figure: one curve per run, a line per baseline, a PNG written; bad input
refused in one line."""
import pytest

from chainrule.viz.charlm import charlm_loss_figure, plot_charlm_loss

HISTORY = [{"step": 100, "train_loss": 2.6, "val_loss": 2.5},
           {"step": 200, "train_loss": 2.2, "val_loss": 2.25},
           {"step": 300, "train_loss": 2.0, "val_loss": 2.1}]
BASELINES = {"unigram": 2.82, "bigram": 2.45}


def test_curves_and_baselines_are_drawn_with_their_values_in_the_legend():
    fig = charlm_loss_figure({"gru": HISTORY, "lstm": HISTORY[:2]}, BASELINES,
                             reference=("makemore", 1.92), title="names")
    ax = fig.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert list(lines["gru, validation (2.100 at the end)"].get_ydata()) == [2.5, 2.25, 2.1]
    assert list(lines["lstm, validation (2.250 at the end)"].get_ydata()) == [2.5, 2.25]
    assert list(lines["gru, training (mean since the last point)"].get_ydata()) == [2.6, 2.2, 2.0]
    for label, nats in (("unigram (2.820)", 2.82), ("bigram (2.450)", 2.45),
                        ("makemore (about 1.92)", 1.92)):
        assert set(lines[label].get_ydata()) == {nats}
    legend = {text.get_text() for text in fig.legends[0].get_texts()}
    assert set(lines) <= legend
    low, high = ax.get_ylim()
    assert low < 1.92 and high > 2.82   # every line in view


def test_the_steps_are_ticked_at_round_numbers():
    history = [{"step": 1000 * i, "val_loss": 2.5 - 0.05 * i} for i in range(1, 9)]
    fig = charlm_loss_figure({"transformer": history})
    fig.canvas.draw()
    ticks = [tick for tick in fig.axes[0].get_xticks() if 1000 <= tick <= 8000]
    assert ticks and all(tick % 500 == 0 for tick in ticks), ticks   # not 800, 1600, ...


def test_a_list_of_records_is_one_run_and_the_png_is_written(tmp_path):
    path = plot_charlm_loss(tmp_path / "loss.png", HISTORY, BASELINES)
    assert path.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("runs", [{}, {"gru": []}, []])
def test_an_empty_history_is_refused(runs):
    with pytest.raises(ValueError, match="charlm_loss_figure: no history"):
        charlm_loss_figure(runs)
