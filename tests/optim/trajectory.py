"""Shared by the optimiser and scheduler tests: one small problem (a tanh layer and a linear
read-out, squared error, four mini-batches taken in turn), trained with chainrule and with torch
from the same start. A run records the parameters and the groups' options after every step; it
can save its state dicts halfway, and a second run can resume from them with fresh objects.

A `build(L, params)` function, L being chainrule or torch, returns an optimiser, or an
(optimiser, scheduler) pair; the same function builds both sides.
"""
import copy

import numpy as np
import torch

import chainrule as cr
import chainrule.optim  # noqa: F401  (binds cr.optim)

STEPS, RESUME_AT = 100, 50

_rng = np.random.default_rng(0)
START = [_rng.normal(size=(4, 5)) * 0.5, _rng.normal(size=5) * 0.1, _rng.normal(size=(5, 2)) * 0.5]
BATCHES = [(_rng.normal(size=(8, 4)), _rng.normal(size=(8, 2))) for _ in range(4)]
# A metric for ReduceLROnPlateau: improvements, plateaus and changes near the 1e-4 threshold.
METRIC = np.cumprod(_rng.choice([0.9, 1.0, 1.0, 1.00005, 0.99995, 1.1], size=STEPS))


def loss(L, params, x, y):
    w1, b1, w2 = params
    return ((L.tanh(L.tensor(x) @ w1 + b1) @ w2 - L.tensor(y)) ** 2).mean()


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
        closure=False):
    """Steps begin..steps-1 from the parameter values given; returns (history, snapshot).

    saved: (optimizer state, scheduler state) to load into the fresh objects before the first
    step. save_at: the step before which to snapshot (values, optimizer and scheduler states).
    train=False skips the loss and gradients (for the schedulers alone). closure=True passes
    step a closure over the batch (LBFGS) and records the loss it returns after the parameters.
    """
    params = parameters(L, values)
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
    return history, snapshot


def closure_over(L, optimizer, params, step):
    """The closure a step(closure) optimiser (LBFGS) calls, on the step's batch."""
    def closure():
        optimizer.zero_grad()
        value = loss(L, params, *BATCHES[step % len(BATCHES)])
        value.backward()
        return value
    return closure


def assert_follows_torch(build, train=True, rtol=1e-6, lr_rtol=1e-12, closure=False):
    """chainrule's run matches torch's at every step, and so does a run resumed at RESUME_AT
    from saved state dicts into a fresh optimiser (and scheduler) over fresh parameters."""
    expected, _ = run(torch, build, train=train, closure=closure)
    straight, snapshot = run(cr, build, save_at=RESUME_AT, train=train, closure=closure)
    resumed, _ = run(cr, build, snapshot[0], RESUME_AT, saved=snapshot[1], train=train,
                     closure=closure)
    assert_same_history(straight, expected, rtol, lr_rtol)
    assert_same_history(resumed, expected[RESUME_AT:], rtol, lr_rtol, start=RESUME_AT)


def assert_same_history(got, want, rtol, lr_rtol, start=0):
    assert len(got) == len(want)
    # one comparison per run (not per step): the tests stay fast
    assert_close_by_step([g[0] for g in got], [w[0] for w in want], rtol, rtol * 1e-3,
                         "parameters", start)
    assert_close_by_step([g[1] for g in got], [w[1] for w in want], lr_rtol, 0.0,
                         "lr, momentum, beta1", start)


def assert_close_by_step(got, want, rtol, atol, what, start):
    got, want = np.array(got, dtype=float), np.array(want, dtype=float)
    close = np.isclose(got, want, rtol=rtol, atol=atol, equal_nan=True)
    if not close.all():
        step = int(np.argwhere(~close)[0][0])
        np.testing.assert_allclose(got[step], want[step], rtol=rtol, atol=atol, equal_nan=True,
                                   err_msg=f"{what} after step {start + step}")
