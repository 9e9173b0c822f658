"""The band figure: one panel per method, the band ±2σ around the mean, bad lengths named."""
import matplotlib.image
import numpy as np
import pytest

from chainrule.viz.bnn import BandPanel, band, band_figure

GRID = np.linspace(-3, 3, 50)
X, T = np.array([-1.0, 1.0]), np.array([0.5, -0.5])


def test_panels_with_band_mean_and_curves(tmp_path):
    panels = [BandPanel("point", np.sin(GRID), np.full(50, 0.1)),
              BandPanel("HMC", np.sin(GRID), np.abs(GRID) / 3, np.stack([np.sin(GRID)] * 4))]
    fig = band_figure(GRID, X, T, panels, truth=np.sin(GRID), shade=[(-0.5, 0.5)])
    assert [ax.get_title() for ax in fig.axes] == ["point", "HMC"]
    band_polygon = fig.axes[1].collections[0].get_paths()[0].vertices
    assert band_polygon[:, 1].max() == pytest.approx(np.max(np.sin(GRID) + 2 * np.abs(GRID) / 3),
                                                     abs=1e-9)
    path = band(tmp_path / "band.png", GRID, X, T, panels, ylim=(-3, 3))
    assert matplotlib.image.imread(path).std() > 0.01


def test_lengths_that_differ_are_named():
    with pytest.raises(ValueError, match="panel 'HMC': lengths differ"):
        band_figure(GRID, X, T, [BandPanel("HMC", np.zeros(49), np.zeros(50))])
    with pytest.raises(ValueError, match="at least one panel"):
        band_figure(GRID, X, T, [])
