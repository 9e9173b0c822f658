"""experiments.backprop_cost: the three gradients agree with each other and with torch's Jacobian,
each way makes the passes it claims (counted, not declared), and measure returns one row per n."""
import math

import pytest
import torch

from chainrule.experiments import backprop_cost
from chainrule.experiments.backprop_cost import Composition, check, measure
from chainrule.viz.backprop_cost import backprop_cost_figure


def _torch_gradient(composition):
    """torch.autograd.functional.jacobian of the same f, from the same weights, in float64."""
    weights = [torch.tensor(w.array, dtype=torch.float64) for w in composition.weights]

    def f(x):
        for w in weights:
            x = torch.tanh(w @ x)
        return x.sum()
    x = torch.tensor(composition.x.array, dtype=torch.float64)
    return torch.autograd.functional.jacobian(f, x).numpy()


@pytest.mark.parametrize("n, layers", [(1, 1), (5, 3), (17, 4)])
def test_the_three_ways_agree_with_torchs_jacobian(n, layers):
    composition = Composition(n, layers, seed=n)
    expected = _torch_gradient(composition)
    gradients = check(composition)
    assert abs(expected).max() > 1e-3      # not a vanished gradient that anything would match
    for way, gradient in gradients.items():
        assert gradient.shape == (n,), way
        assert abs(gradient - expected).max() <= 1e-5 * abs(expected).max(), way


def test_check_notices_a_way_that_is_wrong():
    composition = Composition(6, 2)
    right = composition.gradient_forward()
    composition.gradient_forward = lambda: right * 1.01
    with pytest.raises(AssertionError, match="n = 6 the forward gradient differs"):
        check(composition)


def test_forward_mode_makes_n_jvps_and_reverse_mode_one_vjp(monkeypatch):
    calls = {"jvp": 0, "vjp": 0}
    for name in calls:
        original = getattr(backprop_cost, name)

        def counted(*args, _name=name, _original=original, **kwargs):
            calls[_name] += 1
            return _original(*args, **kwargs)
        monkeypatch.setattr(backprop_cost, name, counted)
    composition = Composition(7, 2)
    composition.gradient_forward()
    composition.gradient_reverse()
    assert calls == {"jvp": 7, "vjp": 1}


def test_measure_returns_a_row_per_size_with_times_and_passes():
    reported = []
    rows = measure(sizes=[2, 3, 5], layers=2, repeats=2, report=reported.append)
    assert reported == rows and [row.n for row in rows] == [2, 3, 5]
    for row in rows:
        assert row.passes == {"explicit": 1, "forward": row.n, "reverse": 1}
        for way in backprop_cost.WAYS:
            seconds = getattr(row, way)
            assert 0 < seconds < 10 and math.isfinite(seconds)


@pytest.mark.parametrize("arguments, message", [
    ({"sizes": []}, "sizes must be positive"),
    ({"sizes": [4, 0]}, "sizes must be positive"),
    ({"sizes": [2.5]}, "sizes must be positive"),
    ({"layers": 0}, "layers must be"),
    ({"repeats": 0}, "repeats must be"),
])
def test_bad_arguments_are_refused(arguments, message):
    with pytest.raises(ValueError, match=message):
        measure(**{"sizes": [2], **arguments})


def test_the_figure_draws_three_labelled_lines_per_panel():
    fig = backprop_cost_figure(measure(sizes=[2, 4], layers=1, repeats=1))
    time_ax, pass_ax = fig.axes
    for ax in (time_ax, pass_ax):
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        labels = [line.get_label() for line in ax.get_lines()]
        assert [label.split()[0] for label in labels] == ["explicit", "forward", "reverse"]
    forward = pass_ax.get_lines()[1]
    assert list(forward.get_ydata()) == [2, 4]
    with pytest.raises(ValueError, match="no rows"):
        backprop_cost_figure([])
