"""Helpers the layer tests share (no tests here).

`NN` is chainrule.nn plus the layers not exported there yet, spelled as torch.nn, so one builder
serves both libraries. Two ways to compare a layer with torch's, copying torch's weights first:
`assert_matches_torch(ours, theirs, inputs)` for a module called on its inputs (outputs and
gradients after a random upstream gradient), and `compare_with_torch(make_pair, inputs, call)` for
layers with masks and several outputs (attention, transformer blocks), whose inputs may be `Const`.
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


def assert_matches_torch(ours, theirs, inputs, modes=("train", "eval"), seed=0):
    """Copy theirs' weights into ours through state_dicts (keys must agree, in order); then, in
    float64 and float32 and in each mode, the output and the gradients of every floating input
    and every parameter must match torch (1e-10 and 1e-5 relative, scaled by the largest entry).
    inputs: NumPy arrays; floating ones are cast to the dtype and require grad."""
    rng = np.random.default_rng(seed)
    for dtype, rtol in (("float64", 1e-10), ("float32", 1e-5)):
        theirs.to(getattr(torch, dtype))
        ours.to(dtype)
        assert list(ours.state_dict()) == list(theirs.state_dict())
        ours.load_state_dict(theirs.state_dict())
        for mode in modes:
            ours.train(mode == "train")
            theirs.train(mode == "train")
            xs = [_leaf(cr, a, dtype) for a in inputs]
            ts = [_leaf(torch, a, dtype) for a in inputs]
            out, expected = ours(*xs), theirs(*ts)
            what = f"{type(ours).__name__} {dtype} {mode}"
            assert str(out.dtype) == str(expected.dtype).removeprefix("torch."), what
            _close(out, expected, rtol, f"{what} output")
            upstream = rng.standard_normal(tuple(expected.shape)).astype(dtype)
            out.backward(cr.tensor(upstream))
            expected.backward(torch.tensor(upstream))
            for index, (x, t) in enumerate(zip(xs, ts)):
                if t.requires_grad:
                    _close(x.grad, t.grad, rtol, f"{what} gradient of input {index}")
            theirs_params = dict(theirs.named_parameters())
            for name, p in ours.named_parameters():
                if theirs_params[name].grad is None:
                    assert p.grad is None or not np.any(p.grad.numpy()), f"{what} {name}"
                else:
                    _close(p.grad, theirs_params[name].grad, rtol, f"{what} gradient of {name}")
            ours.zero_grad()
            theirs.zero_grad()


def _leaf(lib, array, dtype):
    if array.dtype.kind != "f":
        return lib.tensor(array)
    return lib.tensor(array.astype(dtype), requires_grad=True)


def _close(ours, theirs, rtol, what):
    expected = theirs.detach().numpy()
    scale = max(1.0, float(np.abs(expected).max(initial=0)))
    assert tuple(ours.shape) == expected.shape, f"{what}: shape {ours.shape} != {expected.shape}"
    np.testing.assert_allclose(ours.detach().numpy(), expected, rtol=rtol, atol=rtol * scale,
                               err_msg=what)


# ----- comparing a module with several inputs and outputs, masks among them -------------------
TOLERANCES = {"float64": 1e-10, "float32": 1e-5}


class Const:
    """An input that is not differentiated (a mask): bool as it is, float in the run's dtype."""

    def __init__(self, array):
        self.array = np.asarray(array)


def copy_weights(ours, theirs):
    """torch's parameters, by their names, into our module (the state_dict round trip)."""
    ours.load_state_dict({name: value.detach().numpy() for name, value in
                          theirs.state_dict().items()})


def _inputs(lib, inputs, dtype):
    tensors = []
    for x in inputs:
        if x is None or isinstance(x, Const) and x.array.dtype == bool:
            tensors.append(None if x is None else lib.tensor(x.array))
        elif isinstance(x, Const):
            tensors.append(lib.tensor(x.array.astype(dtype)))
        else:
            tensors.append(lib.tensor(x.astype(dtype), requires_grad=True))
    return tensors


def run(lib, module, inputs, dtype, call):
    """Outputs, then gradients of every input and parameter, of a random projection of the
    outputs (a plain sum would hide errors: attention weights sum to 1 along each row)."""
    tensors = _inputs(lib, inputs, dtype)
    outputs = call(module, *tensors)
    outputs = [o for o in (outputs if isinstance(outputs, tuple) else (outputs,)) if o is not None]
    rng = np.random.default_rng(1)
    loss = sum((o * lib.tensor(rng.standard_normal(tuple(o.shape)).astype(dtype))).sum()
               for o in outputs)
    loss.backward()
    results = {f"output {i}": o.detach().numpy() for i, o in enumerate(outputs)}
    for i, t in enumerate(tensors):
        if t is not None and t.requires_grad:
            results[f"grad of input {i}"] = t.grad.numpy()
    for name, p in module.named_parameters():
        results[f"grad of {name}"] = p.grad.numpy()
    return results


def assert_close(actual, expected, rtol, what):
    """Relative to the tensor's largest value: elementwise relative error means nothing near 0."""
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    scale = max(float(np.abs(expected).max(initial=0)), 1e-30)
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def compare_with_torch(make_pair, inputs, call, train=False, tolerances=TOLERANCES):
    """make_pair() -> (ours, theirs) in float64; both run in each dtype with torch's weights."""
    for dtype, rtol in tolerances.items():
        ours, theirs = make_pair()
        theirs.to(getattr(torch, dtype)).train(train)
        ours.to(dtype).train(train)
        copy_weights(ours, theirs)
        expected = run(torch, theirs, inputs, dtype, call)
        actual = run(cr, ours, inputs, dtype, call)
        assert actual.keys() == expected.keys()
        for what in expected:
            assert_close(actual[what], expected[what], rtol, f"{dtype} {what}")
