"""LBFGS's strong-Wolfe line search and cubic interpolation agree with torch's (its private
torch.optim.lbfgs._strong_wolfe and _cubic_interpolate) on random one-dimensional problems that
reach every branch: growing the step, zooming, the insufficient-progress guard, the bracket
tolerance and running out of evaluations."""
import numpy as np
import pytest
import torch
from torch.optim import lbfgs as torch_lbfgs

from chainrule.optim.lbfgs import _cubic_interpolate, _Point, _strong_wolfe


def smooth_problem(seed):
    """A few sines plus a bowl, a start, a descent direction, a first step length, max_ls."""
    r = np.random.default_rng(seed)
    a, b, c = r.normal(size=3), 10 ** r.uniform(-0.5, 1.2, size=3), 10 ** r.uniform(-3, 0)

    def loss_and_grad(x):
        return (float((a * np.sin(b * x)).sum() + c * (x ** 2).sum() + 0.01 * (x ** 4).sum()),
                a * b * np.cos(b * x) + 2 * c * x + 0.04 * x ** 3)
    x0 = r.normal(size=3) * 2
    direction = -loss_and_grad(x0)[1] * 10 ** r.uniform(-2, 0.5)
    return loss_and_grad, x0, direction, float(10 ** r.uniform(-4, 1)), int(r.integers(1, 26))


def rippled_problem(seed):
    """Fast ripples on a bowl: later steps can land higher than earlier ones while still
    descending."""
    r = np.random.default_rng(seed)
    a, b = r.normal(size=2) * 10 ** r.uniform(-1, 1), 10 ** r.uniform(0, 2, size=2)
    c = 10 ** r.uniform(-2, 1)

    def loss_and_grad(x):
        return (float((a * np.sin(b * x)).sum() + c * (x ** 2).sum()),
                a * b * np.cos(b * x) + 2 * c * x)
    x0 = r.normal(size=2) * 2
    direction = -loss_and_grad(x0)[1] * 10 ** r.uniform(-3, 0)
    return loss_and_grad, x0, direction, float(10 ** r.uniform(-4, 0)), int(r.integers(3, 26))


def both_searches(problem, tolerance_change=1e-9):
    """(t, loss, evaluations) found by torch's search and by chainrule's."""
    loss_and_grad, x0, d, t0, max_ls = problem
    direction = torch.tensor(d)
    f0, g0 = loss_and_grad(x0)
    gtd0 = torch.tensor(g0).dot(direction)

    def torch_objective(x, t, d):
        f, g = loss_and_grad(x0 + float(t) * d.numpy())
        return f, torch.tensor(g)

    f, _, t, evals = torch_lbfgs._strong_wolfe(torch_objective, None, t0, direction, f0,
                                               torch.tensor(g0), gtd0,
                                               tolerance_change=tolerance_change, max_ls=max_ls)

    def probe(t):
        f, g = loss_and_grad(x0 + t * d)
        # the slope by torch's dot, so that both searches see the same numbers
        return _Point(t, f, g, float(torch.tensor(g).dot(direction)))

    best, our_evals = _strong_wolfe(probe, _Point(0, f0, g0, float(gtd0)), t0,
                                    d_norm=np.abs(d).max(), tolerance_change=tolerance_change,
                                    max_ls=max_ls)
    return (float(t), f, evals), (float(best.t), best.f, our_evals)


def assert_same_searches(problems, tolerance_change=1e-9):
    for seed, problem in problems:
        want, got = both_searches(problem, tolerance_change)
        # torch divides a number by a tensor as a reciprocal and a product: an ulp apart
        np.testing.assert_allclose(got[:2], want[:2], rtol=1e-10, atol=1e-14,
                                   err_msg=f"step length and loss, seed {seed}")
        assert got[2] == want[2], f"evaluations, seed {seed}"


def test_strong_wolfe_matches_torch_on_smooth_problems():
    assert_same_searches((seed, smooth_problem(seed)) for seed in range(300))


def test_strong_wolfe_matches_torch_on_rippled_problems():
    # 1622 and 2519 find a point higher than the previous one while still descending
    seeds = [*range(100), 1622, 2519]
    assert_same_searches((seed, rippled_problem(seed)) for seed in seeds)


@pytest.mark.parametrize("tolerance_change", [1e-4, 1e-2])
def test_strong_wolfe_matches_torch_when_the_bracket_gets_too_small(tolerance_change):
    assert_same_searches(((seed, smooth_problem(seed)) for seed in range(100)), tolerance_change)


def test_cubic_interpolate_matches_torch():
    rng = np.random.default_rng(0)
    midpoints = 0
    for _ in range(500):
        x1, x2 = rng.normal(size=2) * 3
        f1, g1, f2, g2 = rng.normal(size=4) * 5
        bounds = tuple(sorted(rng.normal(size=2) * 5)) if rng.random() < 0.5 else None
        want = torch_lbfgs._cubic_interpolate(
            x1, f1, torch.tensor(g1, dtype=torch.float64), x2, f2,
            torch.tensor(g2, dtype=torch.float64), bounds=bounds)
        got = _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=bounds)
        np.testing.assert_allclose(float(got), float(want), rtol=1e-12, atol=1e-14)
        low, high = bounds or sorted((x1, x2))
        midpoints += bool(got == (low + high) / 2)
    assert midpoints > 10     # the cubics without a minimiser were among them
