"""The optimiser paths: the surfaces' minima are where they say, each path is chainrule.optim's
update (and torch.optim's), and the measured steps to tolerance mean what they say."""
import math

import numpy as np
import pytest
import torch

from chainrule.experiments import trajectories
from chainrule.experiments.trajectories import (
    OPTIMIZERS,
    SURFACES,
    Path,
    grid,
    himmelblau,
    make_optimizer,
    nearest_minimum,
    quadratic,
    rosenbrock,
    run,
    run_all,
)


@pytest.mark.parametrize("surface", SURFACES, ids=lambda s: s.name)
def test_each_listed_minimum_is_a_zero_of_the_surface(surface):
    for x, y in surface.minima:
        assert surface.func(x, y) < 1e-9
        for dx, dy in ((1e-3, 0), (0, 1e-3), (-1e-3, 0), (0, -1e-3)):
            assert surface.func(x + dx, y + dy) > surface.func(x, y)   # a minimum, not a saddle
    X, Y, F = grid(surface, points=50)
    assert X.shape == Y.shape == F.shape == (50, 50) and F.min() >= 0


def test_sgd_path_is_gradient_descent_by_hand():
    """On ½(x² + 100y²) the gradient is (x, 100y): each SGD step multiplies x by 1 − lr and y by
    1 − 100 lr."""
    points, losses = run(quadratic, (-4.5, 1.5), "SGD", 0.019, steps=20)
    steps = np.arange(21)
    np.testing.assert_allclose(points[:, 0], -4.5 * (1 - 0.019) ** steps, rtol=1e-12)
    np.testing.assert_allclose(points[:, 1], 1.5 * (1 - 1.9) ** steps, rtol=1e-12)
    np.testing.assert_allclose(losses, quadratic(points[:, 0], points[:, 1]), rtol=1e-12)


TORCH = {"SGD": lambda p, lr: torch.optim.SGD(p, lr=lr),
         "momentum": lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9),
         "Adam": lambda p, lr: torch.optim.Adam(p, lr=lr)}


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("func, start, lr", [(rosenbrock, (-1.2, 1.0), 1e-3),
                                             (himmelblau, (0.0, 0.0), 0.01)])
def test_paths_agree_with_torch_optim(optimizer, func, start, lr):
    points, _ = run(func, start, optimizer, lr, steps=60)
    point = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    chosen = TORCH[optimizer]([point], lr)
    for step in range(1, 61):
        chosen.zero_grad()
        func(point[0], point[1]).backward()
        chosen.step()
        np.testing.assert_allclose(points[step], point.detach().numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{optimizer} at step {step}")


@pytest.mark.parametrize("surface, limit", [(SURFACES[0], 2 / 100), (SURFACES[1], 2 / 1506.4)],
                         ids=["quadratic", "Rosenbrock"])
def test_sgd_rate_is_just_below_the_stability_limit_at_the_start(surface, limit):
    """SURFACES' comment: SGD's rate sits just below 2/λ_max of the Hessian at the start."""
    start = torch.tensor(surface.start, dtype=torch.float64)
    hessian = torch.autograd.functional.hessian(lambda p: surface.func(p[0], p[1]), start)
    assert 2 / torch.linalg.eigvalsh(hessian).max().item() == pytest.approx(limit, rel=1e-4)
    assert 0.5 * limit < surface.rates["SGD"] < limit


def test_steps_to_tolerance_is_the_first_step_below_it():
    path = Path("s", "SGD", 0.1, np.zeros((5, 2)), np.array([1.0, 1e-3, 5e-5, 2e-4, 1e-6]))
    assert path.steps_to_tolerance == 2 and path.final_loss == 1e-6
    assert Path("s", "SGD", 0.1, np.zeros((2, 2)), np.array([1.0, 0.5])).steps_to_tolerance is None


def test_a_diverging_path_stops_with_an_infinite_loss():
    points, losses = run(rosenbrock, (-1.2, 1.0), "SGD", 0.01, steps=500)
    assert losses[-1] == math.inf and len(points) == len(losses) < 501


def test_run_all_measures_every_optimizer_on_every_surface():
    reported = []
    paths = run_all(steps=1000, report=reported.append)
    assert [(p.surface, p.optimizer) for p in paths] == [
        (s.name, o) for s in SURFACES for o in OPTIMIZERS] and reported == paths
    by_key = {(p.surface, p.optimizer): p for p in paths}
    # the claims the figure makes: momentum beats SGD on the ill-conditioned quadratic and on
    # Rosenbrock, where SGD does not get there in 1000 steps; on Himmelblau momentum ends in
    # another basin than SGD
    quadratic_steps = {o: by_key["ill-conditioned quadratic", o].steps_to_tolerance
                       for o in OPTIMIZERS}
    assert quadratic_steps["momentum"] < quadratic_steps["SGD"] / 2
    assert by_key["Rosenbrock", "SGD"].steps_to_tolerance is None
    assert by_key["Rosenbrock", "momentum"].steps_to_tolerance is not None
    himmelblau_surface = SURFACES[2]
    ends = {o: nearest_minimum(himmelblau_surface, by_key["Himmelblau", o].points[-1])
            for o in OPTIMIZERS}
    assert ends["SGD"] != ends["momentum"]


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="unknown optimizer 'rmsprop'"):
        make_optimizer("rmsprop", [], 0.1)
    for steps in (0, 2.5, True, "3"):
        with pytest.raises(ValueError, match=f"steps must be an int >= 1, got {steps!r}"):
            run(quadratic, (0, 0), "SGD", 0.1, steps=steps)
    with pytest.raises(ValueError, match=r"start must be a point \(x, y\), got shape \(3,\)"):
        run(quadratic, (0, 0, 0), "SGD", 0.1, steps=3)
    assert trajectories.TOLERANCE > 0
