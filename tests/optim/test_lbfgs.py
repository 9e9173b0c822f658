"""LBFGS follows torch: on the trajectory problem (a closure per mini-batch, 100 steps, resumed
halfway from a state dict), and on a Rosenbrock function, where the long inner loops, the
strong-Wolfe search and the stopping tests run, tightly in float64 and loosely in float32. Its
strong-Wolfe line search and cubic interpolation agree with torch's (its private
torch.optim.lbfgs._strong_wolfe and _cubic_interpolate) on random one-dimensional problems that
reach every branch."""
import copy

import numpy as np
import pytest
import torch
from torch.optim import lbfgs as torch_lbfgs

import chainrule as cr
from chainrule.optim.lbfgs import _cubic_interpolate, _Point, _strong_wolfe
from tests.optim.trajectory import START, STEPS, assert_follows_torch, parameters

# L-BFGS on changing mini-batches is chaotic once the inner loop is long: torch's own run from a
# start moved by 1e-15 leaves rtol 1e-6 within the 100 steps. These options stay well-conditioned
# (chainrule's departure from torch is then as small as that perturbation's).
TRAJECTORY_CASES = {
    "fixed_step": lambda L, p: L.optim.LBFGS(p, lr=0.3, max_iter=1),
    "fixed_two_iterations": lambda L, p: L.optim.LBFGS(p, lr=0.05, max_iter=2),
    "fixed_short_history": lambda L, p: L.optim.LBFGS(p, lr=0.1, max_iter=2, history_size=3),
    "strong_wolfe": lambda L, p: L.optim.LBFGS(p, max_iter=2, line_search_fn="strong_wolfe"),
    "strong_wolfe_short_history": lambda L, p: L.optim.LBFGS(p, max_iter=2, history_size=2,
                                                             line_search_fn="strong_wolfe"),
}


# In float32 torch's own run from a start moved by one ulp leaves rtol 1e-5 after 13, 18, 88, 17
# and 5 steps (in the order of the cases), so chainrule's is compared over fewer.
FLOAT32_STEPS = {"fixed_step": 8, "fixed_two_iterations": 12, "fixed_short_history": 50,
                 "strong_wolfe": 8, "strong_wolfe_short_history": 4}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name", TRAJECTORY_CASES)
def test_follows_torch_on_the_trajectory_problem(name, dtype):
    steps = FLOAT32_STEPS[name] if dtype == "float32" else STEPS
    assert_follows_torch(TRAJECTORY_CASES[name], closure=True, dtype=dtype, steps=steps)


# ----- Rosenbrock -----------------------------------------------------------------------------
ROSENBROCK_START = np.array([-1.5, 2.0, -0.5, 1.2, 0.8, -1.0])
ROSENBROCK_CASES = {
    "defaults": dict(),
    "strong_wolfe": dict(line_search_fn="strong_wolfe"),
    "short_history": dict(lr=0.5, history_size=3),
    "strong_wolfe_short_history": dict(history_size=3, line_search_fn="strong_wolfe"),
    "max_eval": dict(max_eval=8, line_search_fn="strong_wolfe"),
    "max_eval_fixed_step": dict(lr=0.5, max_eval=8),
    "tolerance_change": dict(tolerance_change=1e-4, line_search_fn="strong_wolfe"),
    "tolerance_grad": dict(tolerance_grad=1e-2, line_search_fn="strong_wolfe"),
    "small_lr_strong_wolfe": dict(lr=0.01, line_search_fn="strong_wolfe"),
    "large_lr_strong_wolfe": dict(lr=10, max_iter=10, line_search_fn="strong_wolfe"),
}


def rosenbrock(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def rosenbrock_run(L, options, steps, dtype=np.float64, values=ROSENBROCK_START, saved=None):
    """The parameters and the loss step returned, after each step; and the optimiser."""
    x = parameters(L, [values.astype(dtype)])[0]
    optimizer = L.optim.LBFGS([x], **options)
    if saved is not None:
        optimizer.load_state_dict(saved)

    def closure():
        optimizer.zero_grad()
        value = rosenbrock(x)
        value.backward()
        return value

    rows = []
    for _ in range(steps):
        returned = optimizer.step(closure)
        rows.append(np.append(x.detach().numpy().astype(float), returned.item()))
    return np.array(rows), optimizer


def counters(optimizer):
    state = optimizer.state_dict()["state"][0]
    return state["func_evals"], state["n_iter"]


@pytest.mark.parametrize("name", ROSENBROCK_CASES)
def test_follows_torch_on_rosenbrock_in_float64(name):
    got, mine = rosenbrock_run(cr, ROSENBROCK_CASES[name], 8)
    want, reference = rosenbrock_run(torch, ROSENBROCK_CASES[name], 8)
    for step, (row, expected) in enumerate(zip(got, want)):
        np.testing.assert_allclose(row, expected, rtol=1e-8, atol=1e-9,
                                   err_msg=f"parameters and loss after step {step}")
    assert counters(mine) == counters(reference)


@pytest.mark.parametrize("name", ["defaults", "strong_wolfe"])
def test_float32_stays_float32_and_reaches_torchs_minimum(name):
    # in float32 the inner loops amplify rounding as much between two torch runs (from starts
    # 1e-7 apart) as between torch and chainrule: the first step and the end point are compared
    got, mine = rosenbrock_run(cr, ROSENBROCK_CASES[name], 8, np.float32)
    want, _ = rosenbrock_run(torch, ROSENBROCK_CASES[name], 8, np.float32)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-3, atol=1e-3)
    np.testing.assert_allclose(got[-1], want[-1], rtol=1e-3, atol=1e-3)
    assert mine.param_groups[0]["params"][0].dtype == cr.float32
    state = mine.state[mine.param_groups[0]["params"][0]]
    arrays = [state["d"], state["prev_flat_grad"], *state["old_dirs"], *state["old_stps"]]
    assert all(value.dtype == cr.float32 for value in arrays)


# ----- state dicts ----------------------------------------------------------------------------
def assert_same_state(got, want):
    """Compare state values: tensors and numbers by value, lists item by item."""
    if isinstance(want, torch.Tensor):
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-9)
    elif isinstance(want, list):
        assert isinstance(got, list) and len(got) == len(want)
        for item, expected in zip(got, want):
            assert_same_state(item, expected)
    elif want is None:
        assert got is None
    else:
        assert float(got) == pytest.approx(float(want), rel=1e-6)


@pytest.mark.parametrize("name", ["defaults", "strong_wolfe_short_history"])
def test_state_dict_has_torchs_layout(name):
    _, mine = rosenbrock_run(cr, ROSENBROCK_CASES[name], 2)
    _, reference = rosenbrock_run(torch, ROSENBROCK_CASES[name], 2)
    got, want = mine.state_dict(), reference.state_dict()
    assert got["state"].keys() == want["state"].keys() == {0}
    assert got["state"][0].keys() == want["state"][0].keys()
    for key, value in want["state"][0].items():
        assert_same_state(got["state"][0][key], value)
    (group,), (reference_group,) = got["param_groups"], want["param_groups"]
    assert group == {key: reference_group[key] for key in group}


@pytest.mark.parametrize("name", ["defaults", "strong_wolfe"])
def test_resumes_from_a_state_dict(name):
    want, _ = rosenbrock_run(torch, ROSENBROCK_CASES[name], 4)
    first, mine = rosenbrock_run(cr, ROSENBROCK_CASES[name], 2)
    saved = copy.deepcopy(mine.state_dict())
    second, _ = rosenbrock_run(cr, ROSENBROCK_CASES[name], 2, values=first[-1][:-1],
                               saved=saved)
    np.testing.assert_allclose(np.concatenate([first, second]), want, rtol=1e-8, atol=1e-9)


def test_load_state_dict_casts_the_memory_to_the_parameters_dtype():
    _, source = rosenbrock_run(cr, {}, 2)
    target = cr.optim.LBFGS(parameters(cr, [ROSENBROCK_START.astype(np.float32)]))
    target.load_state_dict(source.state_dict())
    state = target.state[target.param_groups[0]["params"][0]]
    assert state["d"].dtype == cr.float32 and state["old_dirs"][0].dtype == cr.float32
    assert state["n_iter"] == source.state_dict()["state"][0]["n_iter"]


# ----- the step -------------------------------------------------------------------------------
def test_step_returns_the_first_loss_and_evaluates_with_grad_enabled():
    x = parameters(cr, [ROSENBROCK_START])[0]
    optimizer = cr.optim.LBFGS([x], max_iter=5)
    losses = []

    def closure():
        optimizer.zero_grad()
        value = rosenbrock(x)
        value.backward()
        losses.append(value)
        return value

    with cr.no_grad():
        returned = optimizer.step(closure)
    assert returned is losses[0] and len(losses) == 5
    assert float(losses[-1]) < float(losses[0])


def test_a_parameter_without_a_gradient_counts_as_zero():
    values = [ROSENBROCK_START, np.array([3.0, -2.0])]
    results = []
    for L in (cr, torch):
        x, unused = parameters(L, values)
        optimizer = L.optim.LBFGS([x, unused], line_search_fn="strong_wolfe")

        def closure():
            optimizer.zero_grad()
            value = rosenbrock(x)
            value.backward()
            return value

        optimizer.step(closure)
        results.append(np.concatenate([x.detach().numpy(), unused.detach().numpy()]))
    np.testing.assert_allclose(results[0], results[1], rtol=1e-8, atol=1e-9)
    np.testing.assert_array_equal(results[0][-2:], [3.0, -2.0])


def test_step_without_a_closure_says_what_it_needs():
    optimizer = cr.optim.LBFGS(parameters(cr, START))
    with pytest.raises(TypeError, match=r"LBFGS.step needs a closure.*returns the loss"):
        optimizer.step()


def test_a_gradient_of_the_wrong_shape_is_refused():
    x = parameters(cr, [ROSENBROCK_START])[0]
    optimizer = cr.optim.LBFGS([x])

    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        x.grad = cr.ones(3, dtype=cr.float64)   # refused at assignment, as in torch

    def closure():
        x._grad = cr.ones(3, dtype=cr.float64)   # past the assignment: the step checks again
        return rosenbrock(x)

    with pytest.raises(RuntimeError, match=r"LBFGS.step: parameter 0 has shape \(6,\) but its "
                                           r"\.grad has shape \(3,\)"):
        optimizer.step(closure)


@pytest.mark.parametrize("params, options, error, message", [
    ("groups", {}, ValueError, "LBFGS doesn't support per-parameter options"),
    ("list", dict(lr=-1.0), ValueError, "Invalid learning rate: -1.0"),
    ("list", dict(line_search_fn="armijo"), ValueError,
     "line_search_fn must be None or 'strong_wolfe', got 'armijo'"),
    ("list", dict(history_size=0), ValueError, "history_size must be at least 1, got 0"),
])
def test_bad_options_are_refused(params, options, error, message):
    tensors = parameters(cr, START)
    if params == "groups":
        tensors = [{"params": tensors[:1]}, {"params": tensors[1:], "lr": 0.1}]
    with pytest.raises(error, match=message):
        cr.optim.LBFGS(tensors, **options)


def test_defaults_are_torchs():
    group = cr.optim.LBFGS(parameters(cr, START)).param_groups[0]
    reference = torch.optim.LBFGS(parameters(torch, START)).param_groups[0]
    assert {key: group[key] for key in group if key != "params"} == \
        {key: reference[key] for key in reference if key != "params"}


# ----- the line search, against torch's private helpers ---------------------------------------
# Random one-dimensional problems that reach every branch: growing the step, zooming, the
# insufficient-progress guard, the bracket tolerance and running out of evaluations.

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
