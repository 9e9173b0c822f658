"""The one machinery every op is checked with. A test module declares a table of `Case`s and a
class `TestX(OpChecks)` with `cases = [...]`; each case then runs, for each of its shape sets:

  forward against NumPy (float64), gradcheck and gradgradcheck (float64, central differences),
  forward and gradients against torch 2.13 in float32 and float64, and second derivatives
  (Hessian-vector products) against torch in float64.

`double=False` skips gradgradcheck only, where finite differences of the gradient mean nothing (a
kink at the point checked: torch's gradient there is a convention); say why beside the case. The
second derivatives are still compared with torch's, unless `no_torch_double` says why torch has none.

A case's `fn(lib, *tensors)` is written once and run with lib = chainrule and lib = torch, since
chainrule spells its API as PyTorch does.
"""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
import torch

import chainrule
from chainrule.autograd import gradcheck, gradgradcheck


def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    """Away from 0, for log, sqrt, division and fractional powers."""
    return rng.uniform(0.5, 2.0, shape)


def unit(rng, shape):
    """Inside (-1, 1), for functions defined there."""
    return rng.uniform(-0.9, 0.9, shape)


def distinct(rng, shape):
    """Values at least 0.1 apart and away from 0: no ties for max/min/sort, no kinks for abs/relu."""
    count = int(np.prod(shape))
    values = (rng.permutation(count) + 1.0) * 0.1 * rng.choice([-1.0, 1.0], count)
    return values.reshape(shape)


@dataclass
class Case:
    name: str
    fn: Callable                 # fn(lib, *tensors) -> tensor, lib is chainrule or torch
    numpy: Callable | None       # numpy(*arrays) -> the expected float64 result (None: skip)
    shapes: list                 # shape sets: each a tuple of one shape per tensor input
    make: Callable | tuple = normal   # input generator, or one per input
    differentiable: bool = True  # False: forward checks only (comparisons, argmax, indices)
    double: bool = True          # run gradgradcheck (False: a kink, give the reason)
    atol: float = 1e-5           # gradcheck tolerances
    rtol: float = 1e-3
    torch_rtol: dict = field(default_factory=lambda: {"float32": 1e-5, "float64": 1e-10})
    second_rtol: float | None = None   # second derivatives against torch; None: torch_rtol's float64
    no_torch_double: str = ""    # why torch has no double backward to compare with (gradgradcheck
                                 # still checks chainrule's)

    def inputs(self, shapes, seed=0):
        rng = np.random.default_rng(seed)
        makers = self.make if isinstance(self.make, tuple) else (self.make,) * len(shapes)
        return [np.asarray(make(rng, shape), dtype=np.float64) for make, shape in zip(makers, shapes)]


def _chainrule(arrays, dtype, requires_grad):
    return [chainrule.tensor(a.astype(dtype), requires_grad=requires_grad) for a in arrays]


def _torch(arrays, dtype, requires_grad):
    return [torch.tensor(a.astype(dtype), requires_grad=requires_grad) for a in arrays]


def _close(actual, expected, rtol, atol, what):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, err_msg=what)


class OpChecks:
    cases: list = []

    def test_forward_matches_numpy(self, case, shapes):
        if case.numpy is None:
            pytest.skip("no NumPy reference")
        arrays = case.inputs(shapes)
        out = case.fn(chainrule, *_chainrule(arrays, np.float64, False))
        with np.errstate(all="ignore"):   # references meet log(0) and 0/0 where the ops do
            expected = case.numpy(*[a.copy() for a in arrays])
        _close(out.numpy(), expected, 1e-12, 1e-12, case.name)

    def test_gradcheck(self, case, shapes):
        if not case.differentiable:
            pytest.skip("not differentiable")
        inputs = _chainrule(case.inputs(shapes), np.float64, True)
        assert gradcheck(lambda *xs: case.fn(chainrule, *xs), inputs, atol=case.atol,
                         rtol=case.rtol)

    def test_gradgradcheck(self, case, shapes):
        if not (case.differentiable and case.double):
            pytest.skip("no double backward check for this case")
        inputs = _chainrule(case.inputs(shapes), np.float64, True)
        assert gradgradcheck(lambda *xs: case.fn(chainrule, *xs), inputs, atol=case.atol,
                             rtol=case.rtol)

    def test_second_derivatives_match_torch(self, case, shapes):
        """d/dx of (the gradient of out · v) · w, chainrule against torch, in float64: the checker
        above compares with finite differences; this compares with torch's own double backward,
        at kinks (double=False) too."""
        if not case.differentiable:
            pytest.skip("not differentiable")
        if case.no_torch_double:
            pytest.skip(case.no_torch_double)
        arrays = case.inputs(shapes)
        ours = _second_derivatives(chainrule, case, _chainrule(arrays, np.float64, True))
        theirs = _second_derivatives(torch, case, _torch(arrays, np.float64, True))
        rtol = case.second_rtol or case.torch_rtol["float64"]
        for index, (x, t) in enumerate(zip(ours, theirs)):
            scale = max(1.0, float(np.abs(t).max(initial=0)))
            _close(x, t, rtol, rtol * scale, f"{case.name} second derivative for input {index}")

    @pytest.mark.parametrize("dtype", ["float32", "float64"])
    def test_matches_torch(self, case, shapes, dtype):
        arrays = case.inputs(shapes)
        grad = case.differentiable
        ours = _chainrule(arrays, dtype, grad)
        theirs = _torch(arrays, dtype, grad)
        out, expected = case.fn(chainrule, *ours), case.fn(torch, *theirs)
        # tolerances follow the less precise of the input and output dtypes
        rtol = case.torch_rtol["float32" if "float32" in (dtype, str(out.dtype)) else dtype]
        atol = rtol * max(1.0, float(np.abs(expected.detach().numpy()).max(initial=0)))
        assert str(out.dtype) == str(expected.dtype).removeprefix("torch."), "dtype differs"
        _close(out.detach().numpy(), expected.detach().numpy(), rtol, atol, f"{case.name} forward")
        if not grad:
            return
        upstream = np.random.default_rng(1).standard_normal(expected.shape).astype(dtype)
        out.backward(chainrule.tensor(upstream))
        expected.backward(torch.tensor(upstream))
        for index, (x, t) in enumerate(zip(ours, theirs)):
            if t.grad is None:
                assert x.grad is None or not np.any(x.grad.numpy()), f"input {index}: grad"
                continue
            assert x.grad is not None, f"{case.name}: input {index} got no gradient"
            scale = max(1.0, float(np.abs(t.grad.numpy()).max(initial=0)))
            _close(x.grad.numpy(), t.grad.numpy(), rtol, rtol * scale,
                   f"{case.name} gradient of input {index}")


def _second_derivatives(lib, case, inputs):
    """Arrays d/dx_i of sum_j <d(out · v)/dx_j, w_j>, with v and w the same for both libraries (an
    input that the gradient does not reach gets zeros, as torch's None)."""
    out = case.fn(lib, *inputs)
    rng = np.random.default_rng(2)
    v = lib.tensor(rng.standard_normal(tuple(out.shape)))
    ws = [lib.tensor(rng.standard_normal(tuple(x.shape))) for x in inputs]
    firsts = lib.autograd.grad(out, inputs, v, create_graph=True, allow_unused=True)
    terms = [(g * w).sum() for g, w in zip(firsts, ws) if g is not None and g.requires_grad]
    if not terms:
        return [np.zeros(tuple(x.shape)) for x in inputs]
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    seconds = lib.autograd.grad(total, inputs, allow_unused=True)
    # force=True: torch hands back a ZeroTensor where the second derivative is known to be 0
    return [np.zeros(tuple(x.shape)) if g is None else _array(lib, g)
            for g, x in zip(seconds, inputs)]


def _array(lib, tensor):
    return tensor.detach().numpy(force=True) if lib is torch else tensor.detach().numpy()


def check_error_names(call, error, words):
    """call(zeros of shape (3, 4)) raises `error`, and its message has every one of `words`."""
    with pytest.raises(error) as info:
        call(chainrule.zeros(3, 4))
    for word in words:
        assert word in str(info.value)
