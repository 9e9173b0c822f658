"""Shared by the optimiser and scheduler tests: one small problem (a tanh layer and a linear
read-out, squared error, four mini-batches taken in turn), trained with chainrule and with torch
from the same start. A run records the parameters and the groups' options after every step; it
can save its state dicts halfway, and a second run can resume from them with fresh objects.

A `build(L, params)` function, L being chainrule or torch, returns an optimiser, or an
(optimiser, scheduler) pair; the same function builds both sides.

A run is in float64 (the default) or in float32: parameters, batches and so every gradient and
state tensor. In float64 the two libraries agree to about 1e-10, so rtol 1e-6 leaves room only
for the problem's own sensitivity. In float32 their roundings differ by an ulp here and there
(a reduction's order, torch's vectorised tanh), and the runs drift apart by up to ~4e-7 of the
parameters' scale (~1) over the 100 steps (measured for every optimiser's cases): rtol 1e-5 with
atol 1e-6 (a few float32 ulps at 1) bounds that with a margin, while a step computed in another
precision, or a wrong one, breaks it. Where the drift is chaotic (L-BFGS's long inner loops, a
sign-driven Rprop step at a tanh that torch rounds to 1.0 in float32), fewer steps are compared.
"""
import copy

import numpy as np
import torch

import chainrule as cr
import chainrule.optim  # noqa: F401  (binds cr.optim)

STEPS, RESUME_AT = 100, 50
TOLERANCES = {"float64": (1e-6, 1e-9), "float32": (1e-5, 1e-6)}   # (rtol, atol) of the parameters

_rng = np.random.default_rng(0)
START = [_rng.normal(size=(4, 5)) * 0.5, _rng.normal(size=5) * 0.1, _rng.normal(size=(5, 2)) * 0.5]
BATCHES = [(_rng.normal(size=(8, 4)), _rng.normal(size=(8, 2))) for _ in range(4)]
# A metric for ReduceLROnPlateau: improvements, plateaus and changes near the 1e-4 threshold.
METRIC = np.cumprod(_rng.choice([0.9, 1.0, 1.0, 1.00005, 0.99995, 1.1], size=STEPS))


def loss(L, params, x, y):
    w1, b1, w2 = params
    x, y = L.tensor(x, dtype=w1.dtype), L.tensor(y, dtype=w1.dtype)   # the parameters' precision
    return ((L.tanh(x @ w1 + b1) @ w2 - y) ** 2).mean()


def parameters(L, values):
    if L is torch:
        return [torch.tensor(v, requires_grad=True) for v in values]
    return [cr.nn.Parameter(cr.tensor(v)) for v in values]


def values_of(params):
    return [np.array(p.detach().numpy(), copy=True) for p in params]


def options_of(optimizer):
    """What a scheduler changes, one row per group: lr, and momentum or beta1 (nan if absent)."""
    return [(group["lr"], group.get("momentum", np.nan), group.get("betas", (np.nan,))[0])
            for group in optimizer.param_groups]


def run(L, build, values=START, begin=0, steps=STEPS, saved=None, save_at=None, train=True,
        closure=False, dtype="float64"):
    """Steps begin..steps-1 from the parameter values given, in dtype; returns (history,
    snapshot).

    saved: (optimizer state, scheduler state) to load into the fresh objects before the first
    step. save_at: the step before which to snapshot (values, optimizer and scheduler states).
    train=False skips the loss and gradients (for the schedulers alone). closure=True passes
    step a closure over the batch (LBFGS) and records the loss it returns after the parameters.
    """
    params = parameters(L, [np.asarray(v, dtype=dtype) for v in values])
    built = build(L, params)
    optimizer, scheduler = built if isinstance(built, tuple) else (built, None)
    if saved is not None:
        if scheduler is not None:
            scheduler.load_state_dict(saved[1])
        optimizer.load_state_dict(saved[0])
    history, snapshot = [], None
    for step in range(begin, steps):
        if step == save_at:
            states = (optimizer.state_dict(), scheduler and scheduler.state_dict())
            snapshot = (values_of(params), copy.deepcopy(states))
        returned = []
        if closure:
            returned = [optimizer.step(closure_over(L, optimizer, params, step)).item()]
        else:
            if train:
                optimizer.zero_grad()
                loss(L, params, *BATCHES[step % len(BATCHES)]).backward()
            optimizer.step()
        if type(scheduler).__name__ == "ReduceLROnPlateau":
            scheduler.step(METRIC[step])
        elif scheduler is not None:
            scheduler.step()
        history.append((np.concatenate([v.ravel() for v in values_of(params)] + [returned]),
                        options_of(optimizer)))
    # a run that silently computed in float64 would match torch's float32 run too well
    assert all(v.dtype == dtype for v in values_of(params)), f"{L.__name__} left {dtype}"
    return history, snapshot


def closure_over(L, optimizer, params, step):
    """The closure a step(closure) optimiser (LBFGS) calls, on the step's batch."""
    def closure():
        optimizer.zero_grad()
        value = loss(L, params, *BATCHES[step % len(BATCHES)])
        value.backward()
        return value
    return closure


def assert_follows_torch(build, train=True, rtol=None, lr_rtol=1e-12, closure=False,
                         dtype="float64", steps=STEPS):
    """chainrule's run matches torch's at every step, and so does a run resumed halfway (at
    RESUME_AT, or half of fewer steps) from saved state dicts into a fresh optimiser (and
    scheduler) over fresh parameters. dtype: "float64" or "float32", the precision of both
    runs; rtol and the atol of the parameters are TOLERANCES[dtype] unless rtol is given (atol
    then rtol·1e-3)."""
    rtol, atol = TOLERANCES[dtype] if rtol is None else (rtol, rtol * 1e-3)
    resume_at = min(RESUME_AT, steps // 2)
    options = dict(train=train, closure=closure, dtype=dtype, steps=steps)
    expected, _ = run(torch, build, **options)
    straight, snapshot = run(cr, build, save_at=resume_at, **options)
    resumed, _ = run(cr, build, snapshot[0], resume_at, saved=snapshot[1], **options)
    assert_same_history(straight, expected, rtol, lr_rtol, atol=atol)
    assert_same_history(resumed, expected[resume_at:], rtol, lr_rtol, start=resume_at, atol=atol)


def assert_same_history(got, want, rtol, lr_rtol, start=0, atol=None):
    """atol: of the parameters (default rtol·1e-3)."""
    assert len(got) == len(want)
    # one comparison per run (not per step): the tests stay fast
    assert_close_by_step([g[0] for g in got], [w[0] for w in want], rtol,
                         rtol * 1e-3 if atol is None else atol, "parameters", start)
    assert_close_by_step([g[1] for g in got], [w[1] for w in want], lr_rtol, 0.0,
                         "lr, momentum, beta1", start)


def assert_close_by_step(got, want, rtol, atol, what, start):
    got, want = np.array(got, dtype=float), np.array(want, dtype=float)
    close = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        step = int(np.argwhere(~close)[0][0])
        np.testing.assert_allclose(got[step], want[step], rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=f"{what} after step {start + step}")
