"""tan, the inverse trigonometric and the hyperbolic functions, log2, log10, exp2: each op's cases,
checked by the shared harness, then integer inputs and the NumPy spellings."""
import warnings

import numpy as np
import pytest
import torch

import chainrule
from tests.ops.edges import matches_torch_at
from tests.ops.harness import Case, OpChecks, positive, unit

UNARY = [((3, 4),), ((2, 1, 3),), ((),), ((0, 2),)]


def above_one(rng, shape):
    """Inside (1.2, 3), where acosh is smooth."""
    return rng.uniform(1.2, 3.0, shape)


CASES = [
    Case("tan", lambda L, a: L.tan(a), np.tan, UNARY, make=unit),
    Case("atan", lambda L, a: L.atan(a), np.arctan, UNARY),
    Case("arctan_method", lambda L, a: a.arctan(), np.arctan, UNARY),
    Case("asin", lambda L, a: L.asin(a), np.arcsin, UNARY, make=unit),
    Case("acos", lambda L, a: a.acos(), np.arccos, UNARY, make=unit),
    Case("sinh", lambda L, a: L.sinh(a), np.sinh, UNARY),
    Case("cosh", lambda L, a: a.cosh(), np.cosh, UNARY),
    Case("asinh", lambda L, a: L.asinh(a), np.arcsinh, UNARY),
    Case("acosh", lambda L, a: L.acosh(a), np.arccosh, UNARY, make=above_one),
    Case("atanh", lambda L, a: L.atanh(a), np.arctanh, UNARY, make=unit),
    Case("log2", lambda L, a: L.log2(a), np.log2, UNARY, make=positive),
    Case("log10", lambda L, a: a.log10(), np.log10, UNARY, make=positive),
    Case("exp2", lambda L, a: L.exp2(a), np.exp2, UNARY),
    Case("deg2rad", lambda L, a: L.deg2rad(a), np.deg2rad, UNARY),
    Case("rad2deg_method", lambda L, a: a.rad2deg(), np.rad2deg, UNARY),
]


class TestTrig(OpChecks):
    cases = CASES


NAMES = ["tan", "atan", "asin", "acos", "sinh", "cosh", "asinh", "acosh", "atanh", "log2",
         "log10", "exp2", "deg2rad", "rad2deg"]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("values", [[1, 2, 0], [True, False]], ids=["int64", "bool"])
def test_integers_and_bools_give_float32(name, values):
    with np.errstate(all="ignore"):
        ours = getattr(chainrule, name)(chainrule.tensor(values))
    theirs = getattr(torch, name)(torch.tensor(values))
    assert str(ours.dtype) == "float32" == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, equal_nan=True)


@pytest.mark.parametrize("alias, name", [("arctan", "atan"), ("arcsin", "asin"),
                                         ("arccos", "acos"), ("arcsinh", "asinh"),
                                         ("arccosh", "acosh"), ("arctanh", "atanh")])
def test_numpy_spellings_are_the_same_functions(alias, name):
    assert getattr(chainrule, alias) is getattr(chainrule, name)
    assert hasattr(torch, alias)


@pytest.mark.parametrize("name", NAMES)
def test_special_values_match_torch_without_warnings(name):
    """±inf, NaN, ±1 and 0 (the poles and ends of the inverse functions): torch's values and
    gradients, and no NumPy warning (tan(inf) warned)."""
    values = [0.0, -0.0, 1.0, -1.0, 2.0, 710.0, -710.0, np.inf, -np.inf, np.nan, 1e-300]
    with warnings.catch_warnings():
        warnings.filterwarnings("error", category=RuntimeWarning, module="chainrule")
        matches_torch_at(lambda L, x: getattr(L, name)(x), values, second=False)


def test_a_non_tensor_is_refused_by_name():
    with pytest.raises(TypeError, match="atan"):
        chainrule.atan([1.0])
