"""Checks at points the op harness cannot take: poles, zeros and infinities, where finite
differences mean nothing (so no gradcheck) but torch's values and gradients are still the
contract. `matches_torch_at(fn, *values)` compares, for float32 and float64, the forward, every
input's gradient and (float64) the second derivatives with torch's, nan for nan and inf for inf.
"""
import numpy as np
import torch

import chainrule

RTOL = {"float32": 1e-5, "float64": 1e-10}


def matches_torch_at(fn, *values, grads=None, second=True, rtol=None):
    """fn(lib, *tensors) at the given values (one list per input); grads: which inputs require
    grad (default all); second: also compare d/dx <∇(out · v), w> in float64; rtol: per dtype."""
    grads = grads or [True] * len(values)
    rtol = rtol or RTOL
    for dtype in ("float32", "float64"):
        tolerance = rtol[dtype]
        ours, theirs = _run(chainrule, fn, values, grads, dtype), _run(torch, fn, values, grads,
                                                                       dtype)
        for what, x, t in zip(["forward", *[f"gradient of input {i}" for i in range(len(values))]],
                              ours, theirs):
            _same(x, t, tolerance, f"{what} ({dtype})")
    if second:
        ours = _seconds(chainrule, fn, values, grads)
        theirs = _seconds(torch, fn, values, grads)
        for index, (x, t) in enumerate(zip(ours, theirs)):
            _same(x, t, rtol["float64"], f"second derivative for input {index}")


def _tensors(lib, values, grads, dtype):
    return [lib.tensor(np.asarray(v, dtype=dtype), requires_grad=g)
            for v, g in zip(values, grads)]


def _numpy(lib, tensor):
    if tensor is None:
        return None
    return tensor.detach().numpy(force=True) if lib is torch else tensor.detach().numpy()


def _run(lib, fn, values, grads, dtype):
    inputs = _tensors(lib, values, grads, dtype)
    out = fn(lib, *inputs)
    upstream = np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)).astype(dtype)
    out.backward(lib.tensor(upstream))
    return [_numpy(lib, out)] + [_numpy(lib, x.grad) for x, g in zip(inputs, grads) if g]


def _seconds(lib, fn, values, grads):
    inputs = _tensors(lib, values, grads, "float64")
    wanted = [x for x, g in zip(inputs, grads) if g]
    out = fn(lib, *inputs)
    v = lib.tensor(np.linspace(0.5, 1.5, out.numel()).reshape(tuple(out.shape)))
    firsts = lib.autograd.grad(out, wanted, v, create_graph=True, allow_unused=True)
    rng = np.random.default_rng(2)
    total = None
    for g, x in zip(firsts, wanted):
        if g is not None and g.requires_grad:
            term = (g * lib.tensor(rng.uniform(0.5, 1.5, tuple(x.shape)))).sum()
            total = term if total is None else total + term
    if total is None:
        return [np.zeros(tuple(x.shape)) for x in wanted]
    seconds = lib.autograd.grad(total, wanted, allow_unused=True)
    return [np.zeros(tuple(x.shape)) if g is None else _numpy(lib, g)
            for g, x in zip(seconds, wanted)]


def _same(ours, theirs, rtol, what):
    """Equal to rtol where torch is finite; the same inf, or nan, where it is not."""
    if ours is None or theirs is None:
        assert ours is None or not np.any(ours), f"{what}: torch has none, ours is {ours}"
        assert theirs is None or not np.any(theirs), f"{what}: ours is None, torch's {theirs}"
        return
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=1e-30, equal_nan=True, err_msg=what)
