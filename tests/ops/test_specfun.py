"""erfc, erfcx, erfinv, lgamma, polygamma (digamma) and log_ndtr (ops/specfun.py), reached as
torch.special spells them: each case checked by the shared harness, then accuracy far from the
harness's inputs (the tails, the poles, ±1) against torch and Python's math module."""
import math

import numpy as np
import pytest
import torch

import chainrule
from tests.ops.edges import matches_torch_at
from tests.ops.harness import Case, OpChecks, positive, unit

SHAPES = [((3, 4),), ((5,),), ((),)]
erfc_ref = np.vectorize(math.erfc)
lgamma_ref = np.vectorize(math.lgamma)
log_ndtr_ref = np.vectorize(lambda v: math.log(0.5 * math.erfc(-v / math.sqrt(2))))


def spread(rng, shape):
    """Values across [-5, 5], so each of erfc's fits (and the left tail of log_ndtr) is used."""
    return rng.uniform(-5, 5, shape)


def gamma_domain(rng, shape):
    """Positive values from 0.2 to 20, both sides of the minimum of Γ, and a few negative
    non-integers, where Γ alternates in sign."""
    values = rng.uniform(0.2, 20, shape)
    return np.where(rng.random(shape) < 0.2, -values % 3 - 3.5, values)


CASES = [
    Case("erfc", lambda L, x: L.special.erfc(x), erfc_ref, SHAPES, make=spread),
    Case("erfcx", lambda L, x: L.special.erfcx(x),
         lambda x: np.exp(x * x) * erfc_ref(x), SHAPES, make=unit),
    Case("erfinv", lambda L, x: L.special.erfinv(x), None, SHAPES, make=unit),
    # second derivatives: torch's trigamma is off by up to 5e-10 relative (against mpmath), ours
    # by 3e-16
    Case("gammaln", lambda L, x: L.special.gammaln(x), lgamma_ref, SHAPES, make=gamma_domain,
         second_rtol=1e-9),
    Case("lgamma_top_level", lambda L, x: L.lgamma(x), lgamma_ref, SHAPES[:1], make=positive,
         second_rtol=1e-9),
    Case("digamma", lambda L, x: L.special.digamma(x), None, SHAPES, make=gamma_domain,
         torch_rtol={"float32": 1e-5, "float64": 1e-9}),
    Case("polygamma_2", lambda L, x: L.special.polygamma(2, x), None, SHAPES[:2], make=positive,
         torch_rtol={"float32": 1e-5, "float64": 1e-9}),
    Case("log_ndtr", lambda L, x: L.special.log_ndtr(x), log_ndtr_ref, SHAPES, make=spread),
    # the primitives behind special's compositions (tests/test_special.py has their edges)
    Case("entr", lambda L, x: L.special.entr(x), lambda x: -x * np.log(x), SHAPES,
         make=positive),
    # p below and above 1/4, where ndtri switches from erfc⁻¹ to erfinv
    Case("ndtri", lambda L, p: L.special.ndtri(p), None, SHAPES,
         make=lambda rng, shape: rng.uniform(0.001, 0.999, shape),
         torch_rtol={"float32": 1e-5, "float64": 1e-9}),
]


class TestSpecialFunctions(OpChecks):
    cases = CASES


def both(values, name, *args):
    ours = getattr(chainrule.special, name)(*args, chainrule.tensor(values)).numpy()
    theirs = getattr(torch.special, name)(*args, torch.tensor(values)).numpy()
    return ours, theirs


def test_erfinv_is_exact_to_1e_12_up_to_the_ends():
    values = np.concatenate([np.linspace(-1, 1, 4001), [1 - 1e-15, -1 + 1e-12, 1e-300, -0.0]])
    ours, theirs = both(values, "erfinv")
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)
    # and erf of it gives the value back
    finite = np.abs(values) < 1
    back = chainrule.erf(chainrule.tensor(ours[finite])).numpy()
    np.testing.assert_allclose(back, values[finite], rtol=1e-15, atol=1e-16)


def test_edges_match_torch():
    ours, theirs = both(np.array([1.0, -1.0, 1.5, np.nan]), "erfinv")
    np.testing.assert_array_equal(ours, theirs)
    poles = np.array([0.0, -1.0, -2.0, np.inf, -np.inf, np.nan])
    np.testing.assert_array_equal(*both(poles, "gammaln"))
    np.testing.assert_array_equal(*both(np.array([0.0, -0.0, -1.0, np.inf]), "digamma"))


POLES = [0.0, -0.0, -1.0, -2.0, -7.0, -3.5, 1.0, 2.5]


def test_trigamma_far_below_0_uses_the_reflection_formula():
    """ψ'(x) = π²/sin²(πx) - ψ'(1 - x) for x < 0, as torch's: digamma's gradient at -1e6 - 0.5
    (where the recurrence would need a million steps, and refused)."""
    x = np.concatenate([-np.geomspace(1e-8, 1e6, 200) - 0.5, -np.linspace(0.01, 30, 301)])
    ours, theirs = both(x, "polygamma", 1)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=0)   # torch's trigamma: 5e-10
    point = chainrule.tensor(x, requires_grad=True)
    chainrule.digamma(point).sum().backward()
    np.testing.assert_allclose(point.grad.numpy(), theirs, rtol=1e-9, atol=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log_ndtr_gradient_is_accurate_far_left(dtype):
    """φ(x)/Φ(x) through erfcx, against mpmath: torch's exp(-x²/2 - y)/√(2π) is 4 % off at -1000
    in float32 and 7e-6 at -1e5 in float64 (x²/2 and y share their leading digits)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    x = np.array([-1e5, -1000.0, -40.0, -5.0, 0.0, 3.0], dtype=dtype)
    exact = [float(mpmath.npdf(v) / mpmath.ncdf(v)) for v in x.astype(float)]
    point = chainrule.tensor(x, requires_grad=True)
    chainrule.special.log_ndtr(point).sum().backward()
    rtol = 1e-6 if dtype == "float32" else 1e-13
    np.testing.assert_allclose(point.grad.numpy(), exact, rtol=rtol)


def test_log_ndtr_special_values_match_torch():
    """NaN, and the NaN gradient torch has at -inf (inf - inf in its formula). (At +inf both
    gradients are 0; torch's second derivative there is NaN, chainrule's 0.)"""
    matches_torch_at(lambda L, x: L.special.log_ndtr(x), [0.0, 40.0, -np.inf, np.nan, -3.0])


def test_erfcx_of_nan_is_nan():
    """(it was whatever an uninitialised array held: 0 in float32). The second derivative at 30,
    2y + 2x (2xy - 2/√π), cancels: both libraries' agree to 3e-10 there."""
    matches_torch_at(lambda L, x: L.special.erfcx(x), [np.nan, 0.0, -26.0, 30.0, np.inf, -np.inf],
                     rtol={"float32": 1e-5, "float64": 1e-9})


@pytest.mark.parametrize("name, fn", [
    ("digamma", lambda L, x: L.digamma(x)),
    ("polygamma 1", lambda L, x: L.polygamma(1, x)),
    ("polygamma 2", lambda L, x: L.polygamma(2, x)),
    ("lgamma", lambda L, x: L.lgamma(x))])
def test_gradients_at_the_poles_match_torch(name, fn):
    """At 0 and the negative integers: digamma's gradient (trigamma) is torch's π²/sin²(πx), a
    huge finite number where sin(πx) rounds away from 0 (6.6e32 at -1), inf at ±0. (torch's
    trigamma is off by up to 5e-10 relative, against mpmath.)"""
    matches_torch_at(fn, POLES, rtol={"float32": 1e-5, "float64": 1e-9})


@pytest.mark.parametrize("name", ["erfc", "log_ndtr", "erfcx"])
def test_tails_are_accurate(name):
    values = np.linspace(-30, 30, 601)
    if name == "erfcx":
        values = values[values > -25]   # exp(x²) overflows further left
    ours, theirs = both(values, name)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)


def test_float32_in_float32_out():
    x = chainrule.tensor([0.5, 1.5])
    for name in ("erfc", "erfinv", "gammaln", "digamma", "log_ndtr"):
        assert getattr(chainrule.special, name)(x * 0.5).dtype == chainrule.float32
