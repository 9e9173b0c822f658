"""Shared by the sampler tests: the Bayesian polynomial regression of PRML §3.3 (its closed-form
posterior is the oracle) and the Monte Carlo error of a chain (the effective sample size)."""
import numpy as np

import chainrule as cr
from chainrule.autograd.functional import hessian
from chainrule.data.datasets import sinusoid
from chainrule.models import gaussian_posterior, polynomial_features

# PRML Fig. 1.17 uses α = 5e-3, β = 11.1 (noise σ = 0.3); M = 3 keeps the test fast, and the
# monomial features already make the posterior badly conditioned (κ(S⁻¹) ≈ 7.6e3).
DEGREE, ALPHA, BETA = 3, 5e-3, 1 / 0.3**2
# χ²_4's 99.99% quantile: a Mahalanobis criterion that a correct sampler fails once in 10^4 seeds.
CHI2_4_99_99 = 23.51


class Regression:
    """sinusoid(10, seed=0) with features (1, x, x², x³), its posterior N(m, S), and its log
    posterior written with chainrule ops."""

    def __init__(self):
        self.data = sinusoid(10, seed=0)
        self.phi = polynomial_features(self.data.x, DEGREE).array
        self.mean, self.cov = gaussian_posterior(self.phi, self.data.t, ALPHA, BETA)
        self._phi = cr.tensor(self.phi, dtype=cr.float64)
        self._t = cr.tensor(self.data.t, dtype=cr.float64)

    def log_prior(self, w):
        return -(ALPHA / 2) * (w**2).sum()

    def log_likelihood(self, w, batch):
        x, t = batch
        return -(BETA / 2) * ((polynomial_features(x, DEGREE) @ w - t) ** 2).sum()

    def log_prob(self, w):
        return self.log_prior(w) - (BETA / 2) * ((self._phi @ w - self._t) ** 2).sum()

    def laplace_precision(self):
        """What a user without the closed form would do (as Stan's dense metric adaptation aims
        for): find the mode by a Newton step from 0 and take the Hessian of −log_prob there, both
        from the engine. The posterior is Gaussian, so one step reaches the mode exactly."""
        def negative(w):
            return -self.log_prob(w)
        zero = cr.zeros(DEGREE + 1, dtype=cr.float64, requires_grad=True)
        (gradient,) = cr.autograd.grad(negative(zero), zero)
        curvature = hessian(negative, zero).array
        mode = -np.linalg.solve(curvature, gradient.array)
        return hessian(negative, cr.tensor(mode, dtype=cr.float64)).array

    def whitened(self, samples):
        """z = L⁻¹(w − m) with S = LLᵀ: N(0, I) under the posterior."""
        root = np.linalg.cholesky(self.cov)
        return np.linalg.solve(root, (samples - self.mean).T).T


def effective_sample_size(chain):
    """n / τ for a 1-d chain, τ the integrated autocorrelation time summed over Geyer's (1992)
    initial positive sequence; capped at n, so an antithetic chain is not credited beyond it."""
    n = len(chain)
    x = chain - chain.mean()
    spectrum = np.fft.rfft(x, 2 * n)
    autocorrelation = np.fft.irfft(spectrum * np.conj(spectrum))[:n]
    autocorrelation /= autocorrelation[0]
    tau = -1.0
    for k in range(0, n - 1, 2):
        pair = autocorrelation[k] + autocorrelation[k + 1]
        if pair <= 0:
            break
        tau += 2 * pair
    return min(n, n / tau)


def assert_posterior_mean(z):
    """The whitened draws z (n, D) average to 0 within Monte Carlo error: ESS·‖z̄‖² is ~χ²_D, so it
    must stay under χ²_4's 99.99% quantile (ESS the smallest over the coordinates)."""
    ess = min(effective_sample_size(z[:, j]) for j in range(z.shape[1]))
    statistic = ess * float(z.mean(axis=0) @ z.mean(axis=0))
    assert statistic < CHI2_4_99_99, (ess, z.mean(axis=0))
    return ess
