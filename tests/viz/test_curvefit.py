"""The curve-fitting figures: each one is drawn from small arrays, inspected as a Figure, saved,
read back as a PNG, and its save is atomic (whole file or none, no temporary left behind)."""
import os

import matplotlib.image
import numpy as np
import pytest
from matplotlib.figure import Figure

from chainrule.viz import (Panel, error_curves, error_curves_figure, fit_panels,
                           fit_panels_figure, predictive_band, predictive_band_figure)

X = np.linspace(0, 1, 6)
T = np.sin(2 * np.pi * X) + 0.1
GRID = np.linspace(0, 1, 50)
FIT = np.sin(2 * np.pi * GRID) * 1.1
M_VALUES = [0, 1, 3, 9]
ERRORS = {"Training": [1, .5, .2, 0], "Test": [1, .6, .3, 2]}


def panels(count=4):
    return [Panel(f"M = {m}", X, T, GRID, FIT * (m + 1)) for m in M_VALUES[:count]]


def bands():
    std = np.full_like(GRID, 0.3)
    return [("closed form", FIT, std), ("HMC", FIT + 0.01, std), ("SGLD", FIT - 0.01, std)]


# Each figure drawn twice the same way: once as a Figure, once saved (name, draw, save).
FIGURES = [
    ("fit_panels", lambda: fit_panels_figure(panels()), lambda p: fit_panels(p, panels())),
    ("error_curves", lambda: error_curves_figure(M_VALUES, ERRORS, "M"),
     lambda p: error_curves(p, M_VALUES, ERRORS, "M")),
    ("predictive_band", lambda: predictive_band_figure(X, T, GRID, bands()),
     lambda p: predictive_band(p, X, T, GRID, bands())),
]


def legend_labels(fig):
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    return [text.get_text() for legend in legends for text in legend.get_texts()]


@pytest.mark.parametrize("name,draw,save", FIGURES, ids=[f[0] for f in FIGURES])
def test_the_saved_png_reads_back_at_the_figure_size_and_is_not_blank(tmp_path, name, draw, save):
    width, height = draw().get_size_inches() * draw().dpi
    path = save(tmp_path / f"{name}.png")
    assert path == tmp_path / f"{name}.png"
    image = matplotlib.image.imread(path)
    assert image.shape[:2] == (round(height), round(width))
    assert image.var() > 0
    assert os.listdir(tmp_path) == [f"{name}.png"]   # no temporary file left behind


@pytest.mark.parametrize("name,draw,save", FIGURES, ids=[f[0] for f in FIGURES])
def test_saving_into_a_missing_directory_creates_it(tmp_path, name, draw, save):
    path = save(tmp_path / "new" / "deeper" / f"{name}.png")
    assert path.is_file() and os.listdir(path.parent) == [path.name]


@pytest.mark.parametrize("name,draw,save", FIGURES, ids=[f[0] for f in FIGURES])
def test_a_failed_save_leaves_neither_a_partial_file_nor_a_temporary(tmp_path, monkeypatch,
                                                                     name, draw, save):
    def write_half_then_fail(self, target, **kwargs):
        with open(target, "wb") as stream:
            stream.write(b"\x89PNG half")
        raise OSError("disk full")
    monkeypatch.setattr(Figure, "savefig", write_half_then_fail)
    with pytest.raises(OSError, match="disk full"):
        save(tmp_path / f"{name}.png")
    assert os.listdir(tmp_path) == []


def test_a_failed_save_keeps_the_previous_file_whole(tmp_path, monkeypatch):
    path = fit_panels(tmp_path / "fig.png", panels())
    before = path.read_bytes()
    monkeypatch.setattr(Figure, "savefig", lambda self, stream, **kwargs: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        fit_panels(path, panels(1))
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["fig.png"]


def test_fit_panels_draws_one_labelled_subplot_per_panel():
    fig = fit_panels_figure(panels(), suptitle="Fig. 1.4")
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes] == ["M = 0", "M = 1", "M = 3", "M = 9"]
    for ax in fig.axes:
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("$x$", "$t$")
        assert ax.get_legend_handles_labels()[1] == ["data", r"$\sin(2\pi x)$", "fit"]
        # The M = 9 fit (10 × the curve here) explodes: the axis keeps the book's range.
        assert ax.get_ylim() == (-1.5, 1.5)
    assert legend_labels(fig) == ["data", r"$\sin(2\pi x)$", "fit"]   # one legend, below
    assert fig.get_suptitle() == "Fig. 1.4"


def test_fit_panels_takes_dicts_an_odd_count_and_panels_without_truth_or_fit():
    plain = [dict(title="N = 15", x=X, t=T, grid=GRID, fit=FIT),
             dict(title="N = 100", x=X, t=T, grid=GRID, fit=FIT, truth=False),
             dict(title="data", x=X, t=T * 3, truth=False)]
    fig = fit_panels_figure(plain, ncols=2)
    assert len(fig.axes) == 3   # the spare fourth axes is removed
    assert [len(ax.get_lines()) for ax in fig.axes] == [3, 2, 1]
    low, high = fig.axes[2].get_ylim()
    assert low < (T * 3).min() and high > (T * 3).max()   # widened to keep every point in view


def test_error_curves_colours_bands_and_chosen_line():
    values = {"Training": [0.7, 0.4, 0.2, 0.1], "Validation": [0.9, 0.5, 0.3, 0.6]}
    fig = error_curves_figure(M_VALUES, values, "M", title="validation curve", chosen=3,
                              bands={"Validation": ([0.8, 0.4, 0.2, 0.4], [1.0, 0.6, 0.4, 0.8])})
    (ax,) = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("M", "$E_{RMS}$",
                                                                  "validation curve")
    assert legend_labels(fig) == ["Training", "Validation", "chosen M = 3"]
    training, validation, chosen = ax.get_lines()
    assert training.get_color() == "tab:blue" and validation.get_color() not in ("tab:blue",
                                                                                  "tab:red")
    assert chosen.get_linestyle() == "--" and list(chosen.get_xdata()) == [3, 3]
    assert len(ax.collections) == 1 and ax.get_ylim()[0] == 0


def test_error_curves_draws_test_in_red_and_honours_ylim():
    fig = error_curves_figure([-18, -9, 0], {"Training": [0, .2, .5], "Test": [.8, .3, .6]},
                              r"$\ln \lambda$", ylim=(0, 1))
    (ax,) = fig.axes
    assert [line.get_color() for line in ax.get_lines()] == ["tab:blue", "tab:red"]
    assert ax.get_ylim() == (0, 1) and ax.get_xlabel() == r"$\ln \lambda$"


def test_predictive_band_shades_the_closed_form_and_draws_the_samplers_as_lines():
    fig = predictive_band_figure(X, T, GRID, bands(), title="Fig. 1.17")
    (ax,) = fig.axes
    assert len(ax.collections) == 1   # only the closed form is shaded
    # data, truth, closed-form mean, then a mean and two band edges per sampler
    assert len(ax.get_lines()) == 3 + 3 * 2
    assert legend_labels(fig) == ["data", r"$\sin(2\pi x)$", "closed form: mean ± 1 std",
                                  "HMC", "SGLD"]
    styles = [line.get_linestyle() for line in ax.get_lines()[3:]]
    assert "-" not in styles   # the samplers are dashed or dotted, to be seen over the band
    assert ax.get_title() == "Fig. 1.17" and ax.get_xlabel() == "$x$"


@pytest.mark.parametrize("call,message", [
    (lambda: fit_panels_figure([Panel("M = 3", X, T[:-1], GRID, FIT)]),
     r"fit_panels: panel 0 \('M = 3'\): lengths differ: x has shape \(6,\), t has shape \(5,\)"),
    (lambda: fit_panels_figure([Panel("M = 3", X, T, GRID, FIT[:10])]),
     r"fit_panels: panel 0 .* grid has shape \(50,\), fit has shape \(10,\)"),
    (lambda: error_curves_figure([0, 1, 3], {"Test": [1, 2]}, "M"),
     r"error_curves: curve 'Test': lengths differ: x has shape \(3,\), values has shape \(2,\)"),
    (lambda: error_curves_figure([0, 1], {"Test": [1, 2]}, "M", bands={"Test": ([0], [1])}),
     r"error_curves: band 'Test': .* low has shape \(1,\)"),
    (lambda: error_curves_figure([0, 1], {"Test": [1, 2]}, "M", bands={"Train": ([0, 0], [1, 1])}),
     r"error_curves: band 'Train' has no curve"),
    (lambda: predictive_band_figure(X, T, GRID[:-1], bands()),
     r"predictive_band: band 0 \('closed form'\): .* grid has shape \(49,\), "
     r"mean has shape \(50,\)"),
    (lambda: predictive_band_figure(X[:2], T, GRID, bands()),
     r"predictive_band: lengths differ: x has shape \(2,\), t has shape \(6,\)"),
    (lambda: predictive_band_figure(X, T, GRID, []), r"predictive_band: bands is empty"),
    (lambda: fit_panels_figure([Panel("2-D", np.ones((2, 3)), T)]), r"fit_panels: .* must be 1-D"),
])
def test_mismatched_inputs_raise_a_value_error_naming_the_function_and_shapes(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_importing_viz_leaves_pyplot_unloaded():
    import subprocess
    import sys
    code = "import sys, chainrule.viz; assert 'matplotlib.pyplot' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_figure_gets_the_mode_the_umask_gives(tmp_path):
    previous = os.umask(0o022)
    try:
        path = fit_panels(tmp_path / "fig.png", panels())
    finally:
        os.umask(previous)
    assert os.stat(path).st_mode & 0o777 == 0o644
