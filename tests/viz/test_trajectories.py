"""The paths figure: one panel per surface, the paths drawn, bad shapes refused by name."""
import matplotlib.image
import numpy as np
import pytest

from chainrule.viz.trajectories import SurfacePanel, trajectories, trajectories_figure


def panel(points=None):
    X, Y = np.meshgrid(np.linspace(-1, 1, 30), np.linspace(-1, 1, 30))
    points = np.array([[-0.8, 0.8], [-0.3, 0.2], [0.0, 0.0]]) if points is None else points
    return SurfacePanel("bowl", X, Y, X ** 2 + Y ** 2, ((0.0, 0.0),), {"SGD": points},
                        {"SGD": "2 steps"})


def test_one_panel_per_surface_with_its_paths(tmp_path):
    fig = trajectories_figure([panel(), panel()], title="two")
    assert len(fig.axes) == 2 and fig.axes[0].get_title() == "bowl"
    lines = fig.axes[0].get_lines()
    np.testing.assert_allclose(lines[0].get_xydata(), panel().paths["SGD"])
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["SGD", "start", "end",
                                                                 "minimum"]
    path = trajectories(tmp_path / "paths.png", [panel()])
    assert matplotlib.image.imread(path).std() > 0.01


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="path 'SGD' must have shape \\(n, 2\\)"):
        trajectories_figure([panel(np.zeros((3, 3)))])
    with pytest.raises(ValueError, match="at least one panel"):
        trajectories_figure([])
