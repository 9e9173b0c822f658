"""HMC draws from the posterior of Bayesian polynomial regression (PRML §3.3) as the closed form
says, on mean, covariance and predictive band; a seed reproduces a run; divergences are rejected;
bad arguments are named."""
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.models import polynomial_features, predictive
from chainrule.sample import Samples, hmc
from tests.sample import BETA, DEGREE, Regression, assert_posterior_mean, effective_sample_size


def standard_normal(w):
    return -0.5 * (w**2).sum()


@pytest.fixture(scope="module")
def regression():
    return Regression()


@pytest.fixture(scope="module")
def posterior_draws(regression):
    """2000 draws, 3 leapfrog steps each (6,300 gradients, ~1.2 s). The mass is the Laplace
    precision (the Hessian of −log_prob at the mode, from the engine): without it, κ ≈ 7.6e3
    forces ε ~ 1/√κ of the widest scale and ~100× more steps. With it the dynamics see N(0, I):
    ε·L = 1.5 is a quarter period away from the periodic trajectories of ε·L = π."""
    mass = regression.laplace_precision()
    return hmc(regression.log_prob, np.zeros(DEGREE + 1), n_samples=2000, step_size=0.5,
               n_steps=3, burn_in=100, mass=mass, seed=0)


def test_standard_gaussian_mean_and_variance():
    result = hmc(standard_normal, np.zeros(2), n_samples=2000, step_size=0.5, n_steps=3,
                 seed=1)
    assert isinstance(result, Samples) and result.samples.shape == (2000, 2)
    for j in range(2):
        chain = result.samples[:, j]
        # the mean within 4.5 standard errors; the variance within 0.15 (its standard error
        # is √(2/ESS) ≈ 0.03 for a Gaussian).
        assert abs(chain.mean()) < 4.5 / math.sqrt(effective_sample_size(chain))
        assert abs(chain.var() - 1) < 0.15
    assert 0.6 < result.acceptance_rate < 0.99


def test_posterior_mean_and_covariance_match_the_closed_form(regression, posterior_draws):
    assert 0.6 < posterior_draws.acceptance_rate < 0.99
    z = regression.whitened(posterior_draws.samples)
    ess = assert_posterior_mean(z)
    assert ess > 500
    # S^{-1/2} Ĉ S^{-1/2} = I within 0.15 entrywise: ~5 standard errors of √(2/ESS) ≈ 0.03.
    whitened_cov = np.cov(z, rowvar=False)
    assert np.abs(whitened_cov - np.eye(DEGREE + 1)).max() < 0.15
    # the helpers agree with NumPy on the raw draws
    np.testing.assert_allclose(posterior_draws.mean(), posterior_draws.samples.mean(axis=0))
    np.testing.assert_allclose(posterior_draws.cov(), np.cov(posterior_draws.samples.T))


def test_predictive_band_matches_the_closed_form(regression, posterior_draws):
    """For each draw w, y(x) = φ(x)ᵀw; the predictive mean is their mean and its std
    √(var + 1/β) (PRML eqs. 3.58-3.59). The mean's error is ~σ/√ESS ≈ 0.02σ, the std's
    ~σ·√(1/(2·ESS)) ≈ 0.015σ: tolerances 0.1σ and 0.08σ are ≥ 5 standard errors."""
    phi_grid = polynomial_features(np.linspace(0, 1, 50), DEGREE).array
    mean, std = predictive(phi_grid, regression.mean, regression.cov, BETA)
    y = posterior_draws.samples @ phi_grid.T
    sampled_mean, sampled_std = y.mean(axis=0), np.sqrt(y.var(axis=0) + 1 / BETA)
    assert np.all(np.abs(sampled_mean - mean) < 0.1 * std)
    assert np.all(np.abs(sampled_std - std) < 0.08 * std)


def test_log_probs_are_those_of_the_draws(regression, posterior_draws):
    for k in (0, 999, 1999):
        w = cr.tensor(posterior_draws.samples[k], dtype=cr.float64)
        assert posterior_draws.log_probs[k] == pytest.approx(regression.log_prob(w).item())


def test_a_seed_reproduces_the_run():
    def run(seed):
        return hmc(standard_normal, np.zeros(3), 50, 0.4, 4, seed=seed).samples
    np.testing.assert_array_equal(run(7), run(7))
    np.testing.assert_array_equal(run(cr.Generator().manual_seed(7)), run(7))
    assert not np.array_equal(run(7), run(8))


def test_mass_forms_agree():
    """A diagonal mass given as a vector or as a dense matrix, and the identity given as None or
    as ones, make the same chain from the same seed."""
    diagonal = np.array([1.0, 4.0])
    def run(mass):
        return hmc(standard_normal, np.ones(2), 30, 0.3, 3, mass=mass, seed=3).samples
    np.testing.assert_allclose(run(diagonal), run(np.diag(diagonal)), rtol=1e-12)
    np.testing.assert_allclose(run(None), run(np.ones(2)), rtol=1e-12)


def test_samples_keep_the_shape_of_init():
    result = hmc(standard_normal, cr.zeros(2, 2, dtype=cr.float64), 20, 0.5, 2, seed=0)
    assert result.samples.shape == (20, 2, 2) and result.samples.dtype == np.float64
    assert result.mean().shape == (2, 2) and result.cov().shape == (4, 4)
    assert result.log_probs.shape == (20,)


def test_a_divergent_step_size_is_rejected_not_a_crash(regression):
    """ε = 50 without a mass matrix overshoots the stiffest direction (curvature ~7e2) by far:
    H blows up (to inf or NaN in the gradient) and every proposal is rejected."""
    start = np.zeros(DEGREE + 1)
    result = hmc(regression.log_prob, start, 20, step_size=50.0, n_steps=10, seed=0)
    assert result.acceptance_rate < 0.1
    assert np.all(np.isfinite(result.samples))


BAD_ARGUMENTS = [
    # (change to the valid call, error, words the message names)
    (dict(log_prob=lambda w: w * 2), ValueError, "log_prob must return a scalar Tensor (one "
     "element), got shape (2,)"),
    (dict(log_prob=lambda w: 0.0), TypeError, "log_prob must return a scalar Tensor, got float"),
    (dict(log_prob=3), TypeError, "log_prob must be callable"),
    (dict(log_prob=lambda w: (w * 0 - math.inf).sum()), ValueError, "not finite at init"),
    (dict(init=np.array([0.0, math.nan])), ValueError, "init of shape (2,) must be finite"),
    (dict(init=np.zeros(0)), ValueError, "init must have at least one element"),
    (dict(step_size=0.0), ValueError, "step_size must be a finite number > 0, got 0.0"),
    (dict(step_size=-1), ValueError, "step_size must be a finite number > 0"),
    (dict(step_size=math.nan), ValueError, "step_size must be a finite number > 0"),
    (dict(n_samples=0), ValueError, "n_samples must be an int >= 1, got 0"),
    (dict(n_steps=2.5), ValueError, "n_steps must be an int >= 1"),
    (dict(burn_in=-1), ValueError, "burn_in must be an int >= 0"),
    (dict(mass=np.ones(3)), ValueError, "mass must be None, a vector of shape (2,) or a matrix "
     "of shape (2, 2) for init of size 2, got shape (3,)"),
    (dict(mass=np.array([1.0, -1.0])), ValueError, "diagonal mass must be positive"),
    (dict(mass=np.array([[1.0, 2.0], [2.0, 1.0]])), ValueError, "not positive definite"),
    (dict(mass=np.array([[1.0, 0.5], [0.0, 1.0]])), ValueError, "not symmetric"),
    (dict(seed="zero"), TypeError, "hmc: generator must be a chainrule.Generator"),
]


@pytest.mark.parametrize("change,error,words", BAD_ARGUMENTS,
                         ids=[next(iter(c)) + f"-{i}" for i, (c, _, _) in
                              enumerate(BAD_ARGUMENTS)])
def test_bad_arguments_are_named(change, error, words):
    arguments = dict(log_prob=standard_normal, init=np.zeros(2), n_samples=5, step_size=0.1,
                     n_steps=2)
    arguments.update(change)
    with pytest.raises(error) as caught:
        hmc(**arguments)
    assert str(caught.value).startswith("hmc: ") and words in str(caught.value)
