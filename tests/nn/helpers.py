"""Helpers the layer tests share (no tests here).

`NN` is chainrule.nn plus the layers not exported there yet, spelled as torch.nn, so one builder
serves both libraries. `assert_matches_torch(ours, theirs, inputs)` compares a layer with torch's,
copying torch's weights first: every output, and the gradients of every floating input and every
parameter, in float64 and float32 and in each mode. `call` runs a module on its inputs where it
takes keywords (masks) or returns several outputs (attention, transformer blocks); an input may be
`Const` (not differentiated) or None. `assert_close` is the one comparison, relative to the
largest entry of the expected value, or to 1 where that is smaller.
"""
import types

import numpy as np
import torch

import chainrule as cr
import chainrule.nn
from chainrule.nn import activation, dropout, embedding

# chainrule.nn with every layer under test, spelled as torch.nn, so one builder serves both
NN = types.SimpleNamespace(**{name: getattr(module, name)
                              for module in (chainrule.nn, activation, dropout, embedding)
                              for name in dir(module) if not name.startswith("_")})

# rtol per dtype, relative to the largest entry of the expected value, or 1 (assert_close)
TOLERANCES = {"float64": 1e-10, "float32": 1e-5}


class Const:
    """An input that is not differentiated (a mask): floating ones cast to the run's dtype, the
    others (bool) as they are."""

    def __init__(self, array):
        self.array = np.asarray(array)


def assert_matches_torch(ours, theirs, inputs, modes=("train", "eval"), seed=0, call=None):
    """Copy theirs' weights into ours through state_dicts (keys must agree, in order); then, in
    float64 and float32 and in each mode, every output and the gradients of every floating input
    and every parameter must match torch's (TOLERANCES). The gradients are those of a random
    projection of the outputs, Σ (o · r).sum() (a plain sum would hide errors: attention weights
    sum to 1 along each row).

    inputs: NumPy arrays (floating ones are cast to the dtype and require grad, others, such as
    indices, are passed as they are), Const or None (see `tensors`).
    call(module, *tensors) -> an output or a tuple of them (None ones allowed); module(*tensors)
    if not given."""
    call = call or _call
    rng = np.random.default_rng(seed)
    for dtype, rtol in TOLERANCES.items():
        theirs.to(getattr(torch, dtype))
        ours.to(dtype)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        ours.load_state_dict(theirs.state_dict())
        for mode in modes:
            ours.train(mode == "train")
            theirs.train(mode == "train")
            what = f"{type(ours).__name__} {dtype} {mode}"
            xs, ts = tensors(cr, inputs, dtype), tensors(torch, inputs, dtype)
            outs, expected = _outputs(call(ours, *xs)), _outputs(call(theirs, *ts))
            _compare_outputs(outs, expected, rtol, what)
            _backward_projection(outs, expected, rng, dtype)
            for index, (x, t) in enumerate(zip(xs, ts)):
                if t is not None and t.requires_grad:
                    assert x.grad is not None, f"{what}: no gradient of input {index}"
                    assert_close(x.grad, t.grad, rtol, f"{what} gradient of input {index}")
            _compare_parameter_grads(ours, theirs, rtol, what)
            ours.zero_grad()
            theirs.zero_grad()


def _call(module, *tensors):
    return module(*tensors)


def tensors(lib, inputs, dtype):
    """The inputs as lib's tensors: floating arrays cast to dtype and requiring grad, other arrays
    as they are; Const as a constant (floating ones cast to dtype); None kept."""
    result = []
    for x in inputs:
        if x is None:
            result.append(None)
            continue
        array = x.array if isinstance(x, Const) else x
        floating = array.dtype.kind == "f"
        tensor = lib.tensor(array.astype(dtype) if floating else array)
        result.append(tensor.requires_grad_() if floating and not isinstance(x, Const) else tensor)
    return result


def _outputs(output):
    return list(output) if isinstance(output, (tuple, list)) else [output]


def _compare_outputs(outs, expected, rtol, what):
    assert len(outs) == len(expected), f"{what}: {len(outs)} outputs, torch {len(expected)}"
    for index, (out, want) in enumerate(zip(outs, expected)):
        if want is None:
            assert out is None, f"{what}: output {index} is not None as torch's"
            continue
        assert str(out.dtype) == str(want.dtype).removeprefix("torch."), f"{what} output {index}"
        assert_close(out, want, rtol, f"{what} output {index}")


def _backward_projection(outs, expected, rng, dtype):
    """Backward of Σ (o · r).sum() over the outputs that require grad in torch, the same random r
    in both libraries."""
    ours_loss = theirs_loss = 0
    for out, want in zip(outs, expected):
        if want is not None and want.requires_grad:
            r = rng.standard_normal(tuple(want.shape)).astype(dtype)
            ours_loss = ours_loss + (out * cr.tensor(r)).sum()
            theirs_loss = theirs_loss + (want * torch.tensor(r)).sum()
    if isinstance(theirs_loss, torch.Tensor):
        ours_loss.backward()
        theirs_loss.backward()


def _compare_parameter_grads(ours, theirs, rtol, what):
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        if theirs_params[name].grad is None:
            assert p.grad is None or not np.any(p.grad.numpy()), f"{what} {name}"
        else:
            assert p.grad is not None, f"{what}: no gradient of {name}"
            assert_close(p.grad, theirs_params[name].grad, rtol, f"{what} gradient of {name}")


def assert_close(actual, expected, rtol, what):
    """Tensors of either library or arrays, equal in shape and within rtol of the largest finite
    entry of expected, or of 1 if that is smaller (elementwise relative error means nothing near
    0); NaNs in the same places.

    The floor of 1 is the scale the layers' tests compute at (standard normal inputs and upstream
    gradients): a gradient that is 0 in exact arithmetic is rounding noise in both libraries, 1e-16
    against 1e-14, and no relative tolerance holds there (GroupNorm with one channel per group, a
    bias before a normalization)."""
    actual, expected = _array(actual), _array(expected)
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    finite = np.abs(expected[np.isfinite(expected)])
    scale = max(float(finite.max(initial=0)), 1.0)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def _array(value):
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)
