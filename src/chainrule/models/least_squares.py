"""Linear models in closed form: regularised least squares and the Gaussian posterior of Bayesian
linear regression, for any design matrix Φ (N, D). Both are solved through an SVD of the stacked
matrix [Φ; √λ I], so ΦᵀΦ (condition number ~2e14 for a degree-9 polynomial on [0, 1]) is never
formed nor inverted."""
import math

from chainrule.backend import float64, xp


def least_squares(phi, t, lam=0.0):
    """w* = argmin ½‖Φw − t‖² + (λ/2)‖w‖², the solution of (ΦᵀΦ + λI) w = Φᵀt (PRML eq. 1.4 and
    Exercise 1.2; every coefficient is penalised, w_0 included, as the book does).

    Convention: λ multiplies the penalty of the *summed* error, as in eq. 1.4. PRML's Table 1.2
    (p. 11) prints coefficients that match a penalty scaled by N, i.e. λ_here = N·λ_table.

    Solved as the ordinary least-squares problem [Φ; √λ I] w ≈ [t; 0] by lstsq (an SVD), which is
    exact for this minimiser and stable where the normal equations lose digits. With λ = 0 and
    fewer points than coefficients, it returns the minimum-norm interpolant.

    Args: phi (N, D) and t (N,) arrays; lam ≥ 0. Returns w, a float64 array (D,).
    """
    phi, t = _checked("least_squares", phi, t)
    if not lam >= 0 or math.isinf(lam):
        raise ValueError(f"least_squares: lam must be a finite number >= 0, got {lam!r}")
    if lam > 0:
        dim = phi.shape[1]
        phi = xp.concatenate([phi, math.sqrt(lam) * xp.eye(dim)])
        t = xp.concatenate([t, xp.zeros(dim)])
    w, *_ = xp.linalg.lstsq(phi, t, rcond=None)
    return w


def gaussian_posterior(phi, t, alpha, beta):
    """The posterior over w of y = Φw + ε with prior w ~ N(0, α⁻¹I) and noise precision β
    (PRML eqs. 3.53-3.54): N(w | m, S) with S⁻¹ = αI + βΦᵀΦ and m = βSΦᵀt.

    With A = [√β Φ; √α I] = U diag(s) Vᵀ, S⁻¹ = AᵀA, so S = V diag(1/s²) Vᵀ and m solves
    A w ≈ [√β t; 0]: no matrix is inverted.

    Returns (m, S): float64 arrays (D,) and (D, D).
    """
    phi, t = _checked("gaussian_posterior", phi, t)
    for name, value in (("alpha", alpha), ("beta", beta)):
        if not 0 < value < math.inf:
            raise ValueError(f"gaussian_posterior: {name} must be a finite number > 0, got "
                             f"{value!r}")
    dim = phi.shape[1]
    stacked = xp.concatenate([math.sqrt(beta) * phi, math.sqrt(alpha) * xp.eye(dim)])
    _, s, vt = xp.linalg.svd(stacked, full_matrices=False)
    covariance = (vt.T / s**2) @ vt
    mean, *_ = xp.linalg.lstsq(stacked, xp.concatenate([math.sqrt(beta) * t, xp.zeros(dim)]),
                               rcond=None)
    return mean, covariance


def predictive(phi, mean, covariance, beta):
    """The predictive distribution at the rows φ(x) of phi (PRML eqs. 3.58-3.59, 1.70-1.71):
    mean φ(x)ᵀm and variance 1/β + φ(x)ᵀSφ(x). Returns (mean, std), arrays (N,)."""
    phi = xp.asarray(phi, dtype=float64)
    variance = 1.0 / beta + xp.einsum("nd,de,ne->n", phi, covariance, phi)
    return phi @ mean, xp.sqrt(variance)


def _checked(name, phi, t):
    phi, t = xp.asarray(phi, dtype=float64), xp.asarray(t, dtype=float64)
    if phi.ndim != 2 or t.shape != phi.shape[:1]:
        raise ValueError(f"{name}: expected phi of shape (N, D) and t of shape (N,), got "
                         f"{phi.shape} and {t.shape}")
    if not (xp.all(xp.isfinite(phi)) and xp.all(xp.isfinite(t))):
        raise ValueError(f"{name}: phi and t must be finite (found NaN or inf)")
    return phi, t
