"""The GAN figures: the ring's scatter grid and curves, digit grids and tiles, the score curves."""
import math

import numpy as np
import pytest
from PIL import Image

from chainrule.data.datasets.ring import ring_modes
from chainrule.experiments.gan import DigitScore
from chainrule.viz.gan import (digit_grids, digit_grids_figure, digit_scores_figure, ring,
                               ring_figure, spread, tile)


def run(modes):
    rng = np.random.default_rng(0)
    history = [{"step": s, "modes": m, "share": m / 8} for s, m in zip((0, 10, 20), modes)]
    return history, {s: rng.standard_normal((50, 2)) for s in (0, 10, 20)}


def test_the_ring_figure_has_a_row_per_run_and_the_metric_curves(tmp_path):
    runs = {"non-saturating": run([0, 4, 8]), "minimax": run([0, 1, 1])}
    fig = ring_figure(runs, ring_modes(), 0.02)
    scatter = [ax for ax in fig.axes if ax.collections]
    assert len(scatter) == 2 * 3 and len(scatter[0].patches) == 8   # a 3σ circle per mode
    assert scatter[2].get_title() == "step 20\n8/8 modes, 100% near"
    curves = [ax for ax in fig.axes if ax.lines]
    assert [ax.get_ylabel() for ax in curves] == ["modes covered", "% within 3σ of a mode"]
    np.testing.assert_array_equal(curves[0].lines[1].get_ydata(), [0, 1, 1])
    path = ring(tmp_path / "ring.png", runs, ring_modes(), 0.02)
    with Image.open(path) as image:   # saved with a palette, to stay small
        assert image.mode == "P" and image.size[0] > 500


def test_each_mode_is_labelled_with_the_share_of_points_inside_its_circle():
    centres = ring_modes()
    points = np.concatenate([np.repeat(centres[:1], 30, axis=0),
                             np.repeat(centres[1:2], 10, axis=0),
                             np.full((10, 2), 9.0)])   # 60 %, 20 %, the rest far from every mode
    history = [{"step": 0, "modes": 2, "share": 0.8}]
    fig = ring_figure({"collapsed": (history, {0: points})}, centres, 0.02)
    panel = next(ax for ax in fig.axes if ax.collections)
    assert [text.get_text() for text in panel.texts] == ["60", "20"] + ["0"] * 6


def test_the_ring_figure_refuses_missing_snapshots_and_no_runs():
    with pytest.raises(ValueError, match=r"run 'a' has no snapshot at steps \[5\]"):
        ring_figure({"a": run([0, 0, 0])}, ring_modes(), 0.02, steps=[0, 5])
    with pytest.raises(ValueError, match="ring_figure: expected at least one run"):
        ring_figure({}, ring_modes(), 0.02)


def test_tile_lays_images_out_in_rows_with_gaps_in_the_unit_range():
    images = np.stack([np.full((1, 8, 8), value) for value in (-1.0, 1.0, 0.0)])
    canvas = tile(images, columns=2)
    assert canvas.shape == (8 + 1 + 8, 8 + 1 + 8)
    assert canvas[0, 0] == 0 and canvas[0, 9] == 1 and canvas[9, 0] == 0.5
    assert canvas[8, 0] == 0 and canvas[0, 8] == 0   # the gaps
    with pytest.raises(ValueError, match=r"tile: expected images of shape \(n, 1, H, W\)"):
        tile(np.zeros((3, 8, 8)))


def test_digit_grids_one_panel_per_epoch(tmp_path):
    grids = {5: np.zeros((20, 1, 8, 8)), 10: np.ones((20, 1, 8, 8))}
    fig = digit_grids_figure(grids)
    assert [ax.get_title() for ax in fig.axes] == ["epoch 5", "epoch 10"]
    assert fig.axes[0].images[0].get_array().shape == (26, 71)   # 3 rows of 8, gaps of 1
    assert digit_grids(tmp_path / "grid.png", grids).stat().st_size > 0


def test_digit_scores_draw_the_real_digits_as_reference():
    history = [{"epoch": 1, "d_loss": 1.0}, {"epoch": 2, "confidence": 0.5, "class_entropy": 2.0,
                                              "inception_score": 4.0}]
    reference = DigitScore(0.98, [0.1] * 10, math.log(10), 9.4)
    fig = digit_scores_figure(history, reference)
    assert [ax.lines[0].get_ydata().tolist() for ax in fig.axes] == [[0.5], [2.0], [4.0]]
    assert fig.axes[2].lines[1].get_ydata()[0] == 9.4
    with pytest.raises(ValueError, match="digit_scores: no entry of the history holds a score"):
        digit_scores_figure(history[:1], reference)


@pytest.mark.parametrize("values, count, expected", [
    ([0, 5, 10, 15, 20], 3, [0, 10, 20]),
    ([1, 2], 5, [1, 2]),
    (list(range(0, 45, 5)), 5, [0, 10, 20, 30, 40]),
])
def test_spread_picks_evenly_with_both_ends(values, count, expected):
    assert spread(values, count) == expected
