"""The MNIST-1D figures: bars beside the paper's marks, scale curves on a log axis, filters."""
import numpy as np
import pytest

from chainrule.viz.mnist1d import accuracy_bars_figure, filters_figure, scale_figure


def test_bars_mark_the_papers_numbers():
    fig = accuracy_bars_figure(["a", "b"], [0.5, 0.9], {"b": 94}, title="t")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b"]
    assert ax.get_xlabel() == "test accuracy (%)"
    assert sorted(t.get_text() for t in fig.legends[0].get_texts()) == ["chainrule", "paper"]
    with pytest.raises(ValueError, match="2 labels for 3 accuracies"):
        accuracy_bars_figure(["a", "b"], [0.1, 0.2, 0.3])


def test_scale_curves_are_percent_on_a_log_axis():
    fig = scale_figure((250, 500, 1000), {"cnn": (np.array([0.5, 0.6, 0.7]), np.full(3, 0.02))},
                       "training examples")
    ax = fig.axes[0]
    assert ax.get_xscale() == "log" and ax.get_ylim() == (0, 100)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), [50, 60, 70])


def test_filters_one_panel_each():
    fig = filters_figure(np.random.default_rng(0).standard_normal((7, 1, 5)), columns=5)
    assert len(fig.axes) == 7
    with pytest.raises(ValueError, match=r"expected weights of shape \(C, 1, K\)"):
        filters_figure(np.zeros((3, 5)))
