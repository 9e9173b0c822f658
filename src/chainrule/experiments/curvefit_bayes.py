"""Sampling as the alternative to optimization (PRML §1.2.6, pp. 30-31, and §3.3): the Bayesian
polynomial's posterior over w, in closed form and drawn by HMC and by SGLD, compared through
their predictive mean and standard deviation."""
import dataclasses

from chainrule.autograd.functional import hessian
from chainrule.backend import float64, xp
from chainrule.data.dataset import TensorDataset
from chainrule.data.loader import DataLoader
from chainrule.random import Generator
from chainrule.experiments.curvefit import curve_grid
from chainrule.models import gaussian_posterior, polynomial_features, predictive
from chainrule.sample import hmc, sgld
from chainrule.tensor import Tensor

# PRML p. 31 (Figure 1.17): M = 9, α = 5×10⁻³, β = 11.1 (the noise σ = 0.3 gives 1/σ² = 11.1).
ALPHA, BETA = 5e-3, 11.1


@dataclasses.dataclass
class Comparison:
    """The predictive bands on grid: bands[0] is the closed form, the others the samplers';
    each is (label, mean, std). Also the samplers' posterior means and covariances."""
    degree: int
    grid: object
    bands: list
    posterior: tuple           # closed form (m, S)
    draws: dict                # sampler name -> Samples

    @property
    def title(self):
        return f"Bayesian polynomial, $M = {self.degree}$, $\\alpha = {ALPHA:g}$, $\\beta = {BETA:g}$"


def log_prior(w, alpha=ALPHA):
    """log N(w | 0, α⁻¹I) up to a constant: −(α/2)‖w‖² (PRML eq. 1.65)."""
    return -0.5 * alpha * (w * w).sum()


def log_likelihood(w, phi, t, beta=BETA):
    """Σ_n log N(t_n | φ(x_n)ᵀw, β⁻¹) up to a constant: −(β/2)Σ(φᵀw − t)² (PRML eq. 1.62)."""
    residual = phi @ w - t
    return -0.5 * beta * (residual * residual).sum()


def compare(data, degree, seed=0, n_samples=1000, sgld_steps=6000, grid_points=200):
    """The closed-form posterior and predictive at degree M (PRML eqs. 3.53-3.54, 1.69-1.71), and
    the same from HMC and SGLD draws. Both samplers are preconditioned by the curvature of the
    negative log posterior at the start (its Hessian, from the engine): the monomials make the
    posterior ~10⁵ times longer in one direction than another, which unpreconditioned dynamics
    would need thousands of steps per draw to cross."""
    x, t = (xp.asarray(v, dtype=float64) for v in (data.x, data.t))
    phi = polynomial_features(x, degree).array
    phi_t, t_t = Tensor._make(phi), Tensor._make(t)
    start = xp.zeros(degree + 1)

    def log_posterior(w):
        return log_prior(w) + log_likelihood(w, phi_t, t_t)

    curvature = hessian(lambda w: -log_posterior(w), Tensor._make(start)).array
    curvature = 0.5 * (curvature + curvature.T)   # exactly symmetric, as a mass matrix must be
    draws = {
        "HMC": hmc(log_posterior, start, n_samples, step_size=0.3, n_steps=5, burn_in=50,
                   mass=curvature, seed=seed),
        "SGLD": _sgld(x, phi, t, start, curvature, seed, sgld_steps, n_samples),
    }
    grid = curve_grid(x, data.generated, grid_points)
    phi_grid = polynomial_features(grid, degree).array
    mean, cov = gaussian_posterior(phi, t, ALPHA, BETA)
    bands = [("closed form", *predictive(phi_grid, mean, cov, BETA))]
    for name, samples in draws.items():
        bands.append((name, *_sampled_predictive(phi_grid, samples.samples)))
    return Comparison(degree, grid, bands, (mean, cov), draws)


def _sgld(x, phi, t, start, curvature, seed, steps, n_samples):
    """SGLD over mini-batches of half the points, preconditioned by the inverse curvature (the
    posterior covariance of a Gaussian: Welling & Teh's drift then contracts every direction
    alike). ε = 0.1 keeps the O(ε) variance bias near 2.5 % (ε/4 for this target)."""
    loader = DataLoader(TensorDataset(Tensor._make(phi), Tensor._make(t)),
                        batch_size=max(1, len(x) // 2), shuffle=True,
                        generator=Generator().manual_seed(seed))
    return sgld(lambda w: log_prior(w), lambda w, batch: log_likelihood(w, *batch), start,
                loader, n_data=len(x), step_size=0.1, n_samples=n_samples,
                burn_in=200, thin=max(1, steps // n_samples), precondition=_inverse(curvature), seed=seed)


def _inverse(matrix):
    """The inverse of a symmetric positive-definite matrix, made exactly symmetric (a solve
    leaves rounding asymmetries the preconditioner's check would refuse)."""
    inverse = xp.linalg.solve(matrix, xp.eye(len(matrix)))
    return 0.5 * (inverse + inverse.T)


def _sampled_predictive(phi_grid, samples):
    """Monte Carlo of PRML eq. 1.69: y = φ(x)ᵀw per draw; the predictive variance adds the noise
    1/β to the spread of y over the draws."""
    y = samples @ phi_grid.T
    return y.mean(axis=0), xp.sqrt(y.var(axis=0) + 1.0 / BETA)


def summary(comparison):
    """Lines that compare the samplers with the closed form."""
    mean, cov = comparison.posterior
    std = xp.sqrt(xp.diag(cov))
    closed = comparison.bands[0]
    lines = [f"Bayesian polynomial of degree {comparison.degree} (α = {ALPHA:g}, β = {BETA:g}): "
             "posterior by sampling against the closed form"]
    for (name, samples), band in zip(comparison.draws.items(), comparison.bands[1:]):
        rate = ("" if samples.acceptance_rate is None
                else f", acceptance rate {samples.acceptance_rate:.2f}")
        lines.append(
            f"  {name:5} {len(samples.samples)} draws{rate}: posterior mean within "
            f"{xp.max(xp.abs(samples.mean() - mean) / std):.2f} posterior std; predictive mean "
            f"within {xp.max(xp.abs(band[1] - closed[1])):.3f}, std within "
            f"{xp.max(xp.abs(band[2] - closed[2])):.3f} of the closed form")
    return lines
