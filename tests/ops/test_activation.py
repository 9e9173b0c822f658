"""Activation functions: each op's cases, checked by the shared harness, then stability at large
inputs, the conventions at kinks, dtypes and dim errors, each against PyTorch."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional

import chainrule
from tests.ops.harness import Case, OpChecks, distinct

UNARY = [((3, 4),), ((2, 1, 3),), ((),), ((0, 2),), ((1, 1),)]
MATRICES = [((3, 4),), ((2, 1, 3),), ((0, 2),), ((2, 0),), ((1, 1),)]


def F(L):
    """Where the op lives in both libraries: nn.functional."""
    return L.nn.functional


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def gelu(a):
    return 0.5 * a * (1 + np.vectorize(math.erf, otypes=[float])(a / math.sqrt(2)))


def gelu_tanh(a):
    return 0.5 * a * (1 + np.tanh(math.sqrt(2 / math.pi) * (a + 0.044715 * a ** 3)))


def softplus(a, beta=1.0, threshold=20.0):
    return np.where(a * beta > threshold, a, np.log1p(np.exp(a * beta)) / beta)


def log_softmax(a, dim):
    if a.ndim == 0:
        return np.zeros_like(a)
    shifted = a - a.max(axis=dim, keepdims=True, initial=-np.inf)
    return shifted - np.log(np.exp(shifted).sum(axis=dim, keepdims=True))


def softmax(a, dim):
    return np.exp(log_softmax(a, dim))


def spread(rng, shape):
    """Wide enough to cross softplus's threshold and the saturated ends of tanh and sigmoid."""
    return rng.uniform(-6.0, 6.0, shape)


CASES = [
    Case("tanh", lambda L, a: L.tanh(a), np.tanh, UNARY),
    Case("tanh_method", lambda L, a: a.tanh(), np.tanh, UNARY[:2]),
    Case("sigmoid", lambda L, a: L.sigmoid(a), sigmoid, UNARY),
    Case("sigmoid_method", lambda L, a: a.sigmoid(), sigmoid, UNARY[:2], make=spread),
    Case("relu", lambda L, a: L.relu(a), lambda a: np.maximum(a, 0), UNARY, make=distinct),
    Case("relu_method", lambda L, a: a.relu(), lambda a: np.maximum(a, 0), UNARY[:2],
         make=distinct),
    Case("leaky_relu", lambda L, a: F(L).leaky_relu(a), lambda a: np.where(a > 0, a, 0.01 * a),
         UNARY, make=distinct),
    Case("leaky_relu_slope", lambda L, a: F(L).leaky_relu(a, negative_slope=0.2),
         lambda a: np.where(a > 0, a, 0.2 * a), UNARY, make=distinct),
    Case("gelu", lambda L, a: F(L).gelu(a), gelu, UNARY),
    Case("gelu_wide", lambda L, a: F(L).gelu(a), gelu, [((30,),)], make=spread),
    Case("gelu_tanh", lambda L, a: F(L).gelu(a, approximate="tanh"), gelu_tanh, UNARY),
    Case("softplus", lambda L, a: F(L).softplus(a), softplus, UNARY),
    Case("softplus_beta_threshold", lambda L, a: F(L).softplus(a, beta=2.0, threshold=3.0),
         lambda a: softplus(a, 2.0, 3.0), UNARY + [((30,),)], make=spread),
    Case("softmax_last", lambda L, a: L.softmax(a, dim=-1), lambda a: softmax(a, -1), UNARY),
    Case("softmax_dim0", lambda L, a: L.softmax(a, 0), lambda a: softmax(a, 0), UNARY),
    Case("softmax_method", lambda L, a: a.softmax(1), lambda a: softmax(a, 1), MATRICES),
    Case("log_softmax_last", lambda L, a: L.log_softmax(a, dim=-1), lambda a: log_softmax(a, -1),
         UNARY),
    Case("log_softmax_method", lambda L, a: a.log_softmax(0), lambda a: log_softmax(a, 0),
         MATRICES),
    # large logits: the max is subtracted first, so nothing overflows
    Case("softmax_large", lambda L, a: L.softmax(a * 300, 1), lambda a: softmax(a * 300, 1),
         MATRICES[:2], make=distinct, atol=1e-4),
    Case("log_softmax_large", lambda L, a: L.log_softmax(a * 300, 1),
         lambda a: log_softmax(a * 300, 1), MATRICES[:2], make=distinct, atol=1e-4),
]


class TestActivation(OpChecks):
    cases = CASES


# Where the derivative is a convention (a kink) or the input is extreme, compared with PyTorch.
EXTREMES = [0.0, -0.0, 1e-300, -800.0, 800.0, float("inf"), float("-inf"), float("nan")]
SPECIAL_POINTS = [
    ("relu", lambda L, x: L.relu(x), EXTREMES),
    ("leaky_relu", lambda L, x: F(L).leaky_relu(x, 0.1), EXTREMES),
    ("leaky_relu_negative_slope", lambda L, x: F(L).leaky_relu(x, -0.5), [0.0, -1.0, 2.0]),
    ("sigmoid", lambda L, x: L.sigmoid(x), EXTREMES),
    ("tanh", lambda L, x: L.tanh(x), EXTREMES),
    ("gelu", lambda L, x: F(L).gelu(x), [0.0, -40.0, 40.0, 5.0, -5.0]),
    ("gelu_tanh", lambda L, x: F(L).gelu(x, approximate="tanh"), [0.0, -40.0, 40.0]),
    ("softplus", lambda L, x: F(L).softplus(x), [0.0, 20.0, 20.5, -800.0, 800.0]),
    ("softmax", lambda L, x: L.softmax(x, 0), [1000.0, -1000.0, 0.0]),
    ("log_softmax", lambda L, x: L.log_softmax(x, 0), [1000.0, -1000.0, 0.0]),
]


@pytest.mark.parametrize("name, fn, values", SPECIAL_POINTS, ids=[p[0] for p in SPECIAL_POINTS])
def test_special_points_match_torch(name, fn, values):
    ours = chainrule.tensor(values, dtype=chainrule.float64, requires_grad=True)
    theirs = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    with np.errstate(over="raise", divide="raise", invalid="raise"):  # stable: no inf - inf
        out = fn(chainrule, ours)
        out.backward(chainrule.ones_like(out))
    expected = fn(torch, theirs)
    expected.backward(torch.ones_like(expected))
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-14,
                               atol=1e-300)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-14, atol=1e-300)


@pytest.mark.parametrize("name", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("values", [[1, -2, 0], [True, False]], ids=["int64", "bool"])
def test_result_dtype_of_integer_and_bool_inputs(name, values):
    try:
        expected = getattr(torch, name)(torch.tensor(values))
    except RuntimeError:  # relu of a bool
        with pytest.raises(RuntimeError, match=f"{name}.*bool"):
            getattr(chainrule, name)(chainrule.tensor(values))
        return
    out = getattr(chainrule, name)(chainrule.tensor(values))
    assert str(out.dtype) == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)


@pytest.mark.parametrize("name", ["leaky_relu", "gelu", "softplus", "softmax", "log_softmax"])
def test_integer_input_is_refused_as_in_torch(name):
    args = (0,) if "softmax" in name else ()
    with pytest.raises(RuntimeError):
        getattr(torch.nn.functional, name)(torch.tensor([1, 2]), *args)
    with pytest.raises(RuntimeError, match=f"{name}: not implemented for int64"):
        getattr(chainrule.nn.functional, name)(chainrule.tensor([1, 2]), *args)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_dtype_argument_casts_first(name):
    x = np.random.default_rng(0).standard_normal((2, 3))
    ours = getattr(chainrule, name)(chainrule.tensor(x, dtype=chainrule.float32), 1,
                                              dtype=chainrule.float64)
    theirs = getattr(torch, name)(torch.tensor(x, dtype=torch.float32), 1, dtype=torch.float64)
    assert ours.dtype == chainrule.float64
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape, dim", [((2, 3), 2), ((2, 3), -3), ((), 1), ((4,), -2)])
def test_out_of_range_dim_is_an_index_error_naming_the_op(name, shape, dim):
    with pytest.raises(IndexError) as theirs:
        getattr(torch, name)(torch.ones(shape), dim)
    n = max(len(shape), 1)
    message = (rf"{name}: Dimension out of range \(expected to be in range of \[{-n}, {n - 1}\], "
               rf"but got {dim}\) for a tensor of shape {re_shape(shape)}")
    with pytest.raises(IndexError, match=message):
        getattr(chainrule, name)(chainrule.ones(shape), dim)
    assert str(theirs.value).startswith("Dimension out of range")


def re_shape(shape):
    return str(tuple(shape)).replace("(", r"\(").replace(")", r"\)")


def test_gelu_refuses_an_unknown_approximation():
    with pytest.raises(RuntimeError, match="gelu.*'none' or 'tanh'.*'fast'"):
        chainrule.nn.functional.gelu(chainrule.ones(2), approximate="fast")
