"""i0 and i1 (ops/bessel.py) and the scaled i0e, i1e, as torch.special spells them: each case
checked by the shared harness, then accuracy over a wide range against torch and NumPy's i0."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.edges import matches_torch_at
from tests.ops.harness import Case, OpChecks


def wide(rng, shape):
    return rng.uniform(-8, 8, shape)


SHAPES = [((3, 4),), ((),)]
FAR = [-1e4, -800.0, -35.0, -29.0, 31.0, 100.0, 800.0, 1e30]


def far(rng, shape):
    """Beyond where Iν(x) overflows (713 in float64, 90 in float32), and either side of 30 where
    the scaled forms switch from the series to the asymptotic expansion."""
    return np.array(FAR).reshape(shape)


CASES = [
    Case("i0", lambda L, x: L.special.i0(x), np.i0, SHAPES, make=wide),
    Case("i0_top_level", lambda L, x: L.i0(x), np.i0, [((4,),)], make=wide),
    Case("i1", lambda L, x: L.special.i1(x), None, SHAPES, make=wide),
    Case("i1_at_zero", lambda L, x: L.special.i1(x * 0), None, [((2,),)]),
    Case("i0e", lambda L, x: L.special.i0e(x), lambda x: np.exp(-np.abs(x)) * np.i0(x), SHAPES,
         make=wide),
    Case("i1e", lambda L, x: L.special.i1e(x), None, SHAPES, make=wide),
    Case("i0e_far", lambda L, x: L.special.i0e(x), None, [((8,),)], make=far),
    Case("i1e_far", lambda L, x: L.special.i1e(x), None, [((8,),)], make=far),
    Case("i1e_at_zero", lambda L, x: L.special.i1e(x * 0), None, [((2,),)]),
]


class TestBessel(OpChecks):
    cases = CASES


@pytest.mark.parametrize("name", ["i0", "i1"])
def test_accurate_far_out(name):
    x = np.concatenate([np.linspace(-60, 60, 1201), [1e-12, 0.0, 500.0]])
    ours = getattr(chainrule.special, name)(chainrule.tensor(x)).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", ["i0e", "i1e"])
def test_scaled_accurate_far_out(name):
    x = np.concatenate([np.linspace(-60, 60, 1201), np.geomspace(29, 1e6, 300), [1e300, np.inf]])
    ours = getattr(chainrule.special, name)(chainrule.tensor(x)).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0)


@pytest.mark.parametrize("name", ["i0", "i1", "i0e", "i1e"])
def test_special_values_match_torch(name):
    """±inf: I0 and I1 are NaN as torch's (its e^x / √x is inf / inf), the scaled forms 0; NaN and
    |x| <= eps: the gradients of i1 and i1e are torch's 1/2 (its test |x| > eps is false)."""
    values = [0.0, 1.0, -5.0, 1e-300, 5e-324, np.nan, np.inf, -np.inf, 40.0]
    matches_torch_at(lambda L, x: getattr(L.special, name)(x), values)


def test_what_special_lacks_is_refused_with_advice():
    with pytest.raises(AttributeError, match="torch.special.zeta"):
        chainrule.special.zeta
    with pytest.raises(AttributeError, match="no attribute 'nonsense'.*erfinv"):
        chainrule.special.nonsense
