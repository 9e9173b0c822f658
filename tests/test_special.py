"""chainrule.special as PyTorch programs use it: the compositions (expit, logit, xlogy, entr,
sinc, ndtr, ndtri, multigammaln ...) and the aliases, compared with torch 2.13 by the op harness
(forward, gradients, double backward); then the special values torch defines and the errors.
The primitives (erfc, erfinv, gammaln, digamma ...) have cases in tests/ops/test_specfun.py."""

import numpy as np
import pytest
import torch

import chainrule
from tests.ops.edges import matches_torch_at
from tests.ops.harness import Case, OpChecks, normal, positive, unit

SHAPES = [((3, 4),), ((),)]


def probability(rng, shape):
    return rng.uniform(0.05, 0.95, shape)


def with_zeros(rng, shape):
    """Normal values with about a third of them exactly 0 (where x·log y is defined as 0)."""
    return np.where(rng.random(shape) < 0.3, 0.0, rng.standard_normal(shape))


CASES = [
    Case("expit", lambda L, x: L.special.expit(x), lambda x: 1 / (1 + np.exp(-x)), SHAPES),
    Case("logit", lambda L, x: L.special.logit(x), lambda x: np.log(x / (1 - x)), SHAPES,
         make=probability),
    Case("logit_eps", lambda L, x: L.special.logit(x, eps=0.2), None, [((3, 4),)],
         make=probability),
    Case("logit_top_level", lambda L, x: L.logit(x), None, [((4,),)], make=probability),
    Case("xlogy", lambda L, x, y: L.special.xlogy(x, y), lambda x, y: x * np.log(y),
         [((3, 4), (3, 4)), ((3, 1), (4,))], make=(normal, positive)),
    Case("xlogy_zeros", lambda L, x, y: L.special.xlogy(x, y), None, [((3, 4), (3, 4))],
         make=(with_zeros, positive)),
    Case("xlogy_scalar", lambda L, y: L.special.xlogy(2.0, y), lambda y: 2 * np.log(y),
         [((3,),)], make=positive),
    Case("xlogy_top_level", lambda L, x, y: L.xlogy(x, y), None, [((3,), (3,))],
         make=(normal, positive)),
    Case("xlog1py", lambda L, x, y: L.special.xlog1py(x, y), lambda x, y: x * np.log1p(y),
         [((3, 4), (3, 4))], make=(with_zeros, positive)),
    Case("entr", lambda L, x: L.special.entr(x), lambda x: -x * np.log(x), SHAPES,
         make=positive),
    Case("sinc", lambda L, x: L.special.sinc(x), np.sinc, SHAPES),
    Case("sinc_top_level", lambda L, x: L.sinc(x), np.sinc, [((5,),)]),
    Case("ndtr", lambda L, x: L.special.ndtr(x), None, SHAPES),
    Case("ndtri", lambda L, p: L.special.ndtri(p), None, SHAPES, make=probability,
         torch_rtol={"float32": 1e-5, "float64": 1e-9}),
    # second derivatives: torch's trigamma is off by up to 5e-10 relative (against mpmath)
    Case("multigammaln", lambda L, x: L.special.multigammaln(x, 3), None, SHAPES,
         make=lambda rng, shape: rng.uniform(1.5, 5, shape), second_rtol=1e-9),
    Case("psi", lambda L, x: L.special.psi(x), None, [((4,),)], make=positive,
         torch_rtol={"float32": 1e-5, "float64": 1e-9}),
    Case("log1p", lambda L, x: L.special.log1p(x), np.log1p, [((4,),)], make=unit),
    Case("expm1", lambda L, x: L.special.expm1(x), np.expm1, [((4,),)]),
    Case("exp2", lambda L, x: L.special.exp2(x), np.exp2, [((4,),)]),
    Case("logsumexp", lambda L, x: L.special.logsumexp(x, 1), None, [((3, 4),)]),
    Case("softmax", lambda L, x: L.special.softmax(x, 0), None, [((3, 4),)]),
    Case("log_softmax", lambda L, x: L.special.log_softmax(x, -1), None, [((3, 4),)]),
    Case("round", lambda L, x: L.special.round(x * 10), None, [((3, 4),)],
         differentiable=False),
    Case("erf", lambda L, x: L.special.erf(x), None, [((4,),)]),
    # torch gives these two no gradient (ours are i0 and i1, which have one): values only
    Case("modified_bessel_i0", lambda L, x: L.special.modified_bessel_i0(x), None, [((4,),)],
         differentiable=False),
    Case("modified_bessel_i1", lambda L, x: L.special.modified_bessel_i1(x), None, [((4,),)],
         differentiable=False),
]


class TestSpecial(OpChecks):
    cases = CASES


def ours_and_torch(name, *values, **kwargs):
    ours = getattr(chainrule.special, name)(*[chainrule.tensor(v) for v in values], **kwargs)
    theirs = getattr(torch.special, name)(*[torch.tensor(v) for v in values], **kwargs)
    return ours.numpy(), theirs.numpy()


@pytest.mark.parametrize("name, values", [
    ("xlogy", ([0.0, 0.0, 1.0, 0.0], [0.0, np.nan, 0.0, -1.0])),
    ("xlog1py", ([0.0, 0.0, 1.0], [-1.0, np.nan, -1.0])),
    ("entr", ([0.0, -1.0, 2.0, np.inf],)),
    ("sinc", ([0.0, 1.0, -0.5, 1e-20],)),
    ("logit", ([0.0, 1.0, 0.5],)),
    ("ndtri", ([0.0, 1.0, 0.5],)),
    ("ndtr", ([-40.0, 40.0, 0.0],)),
])
def test_special_values_match_torch(name, values):
    ours, theirs = ours_and_torch(name, *[np.array(v) for v in values])
    np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("name, y", [
    ("xlogy", [0.0, 3.0, 3.0, -1.0, np.inf, -np.inf, np.nan, 0.0, 2.0]),
    ("xlog1py", [-1.0, 3.0, 3.0, -2.0, np.inf, -np.inf, np.nan, -1.0, 1.0])])
def test_xlogy_at_x_zero_and_poles_matches_torch(name, y):
    """The value is 0 where x = 0 (unless y is nan); dx = log y even at x = 0, but 0 there where
    y <= 0 (-1 for xlog1py); dy = x / y, nan at 0/0: torch's formulas, second derivatives too."""
    x = [0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 1.5, 0.0]
    matches_torch_at(lambda L, a, b: getattr(L.special, name)(a, b), x, y)


@pytest.mark.parametrize("eps", [None, 0.0, 1e-6, 0.2])
def test_logit_at_0_and_1_matches_torch(eps):
    """dx = dy / (x (1 - x)) inside [eps, 1 - eps] (inf at 0 and 1 without eps, where the
    composition gave NaN), 0 outside it, NaN outside [0, 1] without eps: torch's."""
    matches_torch_at(lambda L, x: L.special.logit(x, eps=eps),
                     [0.0, 1.0, 0.5, 0.2, 0.8, 1e-7, -0.5, 1.5, 1e-300])


def test_entr_gradient_at_0_and_below_matches_torch():
    """dx = -(1 + log x): inf at 0 and NaN below, as torch's (the composition gave 0)."""
    matches_torch_at(lambda L, x: L.special.entr(x),
                     [0.0, -1.0, 2.0, 0.5, np.inf, np.nan, 1e-300])


def test_sinc_gradient_near_0_matches_torch():
    """Torch's formula, whose numerator is exactly 0 for tiny x: the quotient rule gave -7e13 at
    1e-20 in float32. Second derivatives compared from 1e-3 up: below, both libraries' are
    rounding noise (of the two 1/x terms that cancel)."""
    tiny = [0.0, 1e-20, -1e-20, 1e-30, 1e-200]
    matches_torch_at(lambda L, x: L.special.sinc(x), tiny, second=False)
    matches_torch_at(lambda L, x: L.sinc(x), [0.0, 1e-3, -0.5, 1.0, 2.5, 1e-200])


def test_ndtri_is_accurate_down_to_the_smallest_p():
    """Below p = 1/4, -√2 erfc⁻¹(2p): the quantile keeps p's digits where 2p - 1 rounds them away
    (-inf at 1e-300, where torch gives -37.05)."""
    p = np.concatenate([np.geomspace(1e-320, 0.25, 400), np.linspace(0.2, 0.8, 101),
                        1 - np.geomspace(1e-16, 0.3, 100)])
    ours, theirs = ours_and_torch("ndtri", p)
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=0)
    matches_torch_at(lambda L, x: L.special.ndtri(x), [0.0, 1.0, 0.5, 1e-300, 1e-20, 1 - 1e-12],
                     rtol={"float32": 1e-5, "float64": 1e-12})


def test_multigammaln_refuses_a_small_argument():
    with pytest.raises(RuntimeError, match=r"multigammaln.*\(p-1\)/2 = 1.0"):
        chainrule.special.multigammaln(chainrule.tensor([0.5, 3.0]), 3)


def test_integer_inputs_become_float32():
    x = chainrule.tensor([1, 2, 3])
    for name in ("expit", "erfc", "gammaln", "entr", "sinc", "ndtr"):
        ours = getattr(chainrule.special, name)(x)
        theirs = getattr(torch.special, name)(torch.tensor([1, 2, 3]))
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), name


def test_methods_match_torch():
    x = chainrule.tensor([0.5, 1.5, 2.5], dtype=chainrule.float64)
    t = torch.tensor([0.5, 1.5, 2.5], dtype=torch.float64)
    for name in ("lgamma", "digamma", "erfc"):
        np.testing.assert_allclose(getattr(x, name)().numpy(), getattr(t, name)().numpy(),
                                   rtol=1e-12)
    np.testing.assert_allclose(x.polygamma(1).numpy(), t.polygamma(1).numpy(), rtol=1e-9)
    np.testing.assert_allclose((x / 3).erfinv().numpy(), (t / 3).erfinv().numpy(), rtol=1e-12)
