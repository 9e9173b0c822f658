"""The attention heat maps: one panel per example, rows labelled by the produced tokens and columns
by the source tokens, a PNG read back and not blank; weights that do not fit are refused."""
import matplotlib.image
import numpy as np
import pytest

from chainrule.viz.attention import MIN_HEIGHT, plot_attention
from chainrule.viz.figure import DPI

EXAMPLE = {"source": ["twenty", "-", "one"], "target": list("einundzwanzig") + ["<eos>"],
           "weights": np.full((14, 3), 1 / 3), "correct": True, "title": "twenty-one"}


def test_one_panel_per_example_written_as_png(tmp_path):
    path = plot_attention([EXAMPLE, EXAMPLE], tmp_path / "attention.png", title="numbers")
    image = matplotlib.image.imread(path)
    assert image.shape[1] > image.shape[0] > 100
    assert image[..., :3].std() > 0.05


def test_a_short_sentence_gets_room_for_its_rows(tmp_path):
    # 3 rows under a three-line title: at 1.2 + 0.2 a row the map was a strip of 0.3 inches
    short = {"source": ["Go", "!"], "target": ["Geh", "!", "<eos>"], "weights": np.eye(3, 2),
             "correct": True, "title": "Go!\n→ Geh !"}
    image = matplotlib.image.imread(plot_attention([short], tmp_path / "a.png", title="pairs"))
    assert image.shape[0] >= MIN_HEIGHT * DPI - 1 and MIN_HEIGHT >= 3


def test_weights_that_do_not_fit_the_tokens_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"shape \(14, 2\) do not fit 14 target and 3 source"):
        plot_attention([{**EXAMPLE, "weights": np.ones((14, 2))}], tmp_path / "a.png")
    with pytest.raises(ValueError, match="no example"):
        plot_attention([], tmp_path / "a.png")
