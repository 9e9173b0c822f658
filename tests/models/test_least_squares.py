"""Least squares and the Gaussian posterior in closed form, against the normal equations solved in
high precision and against their definitions (PRML eqs. 1.4, 3.53-3.54, 3.58-3.59)."""
import mpmath
import numpy as np
import pytest

from chainrule.data.datasets import sinusoid
from chainrule.models import gaussian_posterior, least_squares, polynomial_features, predictive


def _design(n=10, degree=9, seed=0):
    data = sinusoid(n, seed=seed)
    return polynomial_features(data.x, degree).numpy(), data.t


def _normal_equations_in_50_digits(phi, t, lam):
    mpmath.mp.dps = 50
    a = mpmath.matrix(phi.tolist())
    lhs = a.T * a + float(lam) * mpmath.eye(phi.shape[1])
    return np.array(mpmath.lu_solve(lhs, a.T * mpmath.matrix(t.tolist())).tolist(), dtype=float)[:, 0]


@pytest.mark.parametrize("lam", [0.0, np.exp(-18), 1.0])
def test_solves_the_regularised_normal_equations_stably(lam):
    # at M = 9 on ten points κ(ΦᵀΦ) ≈ 2e14: an explicit inverse in float64 loses most digits
    phi, t = _design()
    expected = _normal_equations_in_50_digits(phi, t, lam)
    np.testing.assert_allclose(least_squares(phi, t, lam), expected, rtol=1e-5,
                               atol=1e-8 * np.abs(expected).max())


def test_fewer_points_than_coefficients_gives_the_minimum_norm_interpolant():
    phi, t = _design(n=4, degree=6)
    w = least_squares(phi, t)
    np.testing.assert_allclose(phi @ w, t, atol=1e-10)
    np.testing.assert_allclose(w, np.linalg.pinv(phi) @ t, atol=1e-10)


def test_posterior_matches_its_definition():
    phi, t = _design(degree=3)
    alpha, beta = 5e-3, 11.1
    mean, cov = gaussian_posterior(phi, t, alpha, beta)
    precision = alpha * np.eye(4) + beta * phi.T @ phi
    np.testing.assert_allclose(cov @ precision, np.eye(4), atol=1e-8)
    np.testing.assert_allclose(precision @ mean, beta * phi.T @ t, rtol=1e-9)
    grid = polynomial_features(np.linspace(0, 1, 5), 3).numpy()
    mu, std = predictive(grid, mean, cov, beta)
    np.testing.assert_allclose(mu, grid @ mean)
    np.testing.assert_allclose(std**2, 1 / beta + np.sum(grid @ cov * grid, axis=1))


@pytest.mark.parametrize("call, message", [
    (lambda: least_squares(np.ones((3, 2)), np.ones(4)), r"least_squares: expected phi of shape "
                                                         r"\(N, D\) and t of shape \(N,\), got "
                                                         r"\(3, 2\) and \(4,\)"),
    (lambda: least_squares(np.ones((3, 2)), np.ones(3), lam=-1), "lam must be a finite number"),
    (lambda: least_squares(np.ones((3, 2)), [1, np.nan, 0]), "must be finite"),
    (lambda: gaussian_posterior(np.ones((3, 2)), np.ones(3), 0, 1), "alpha must be a finite"),
    (lambda: gaussian_posterior(np.ones((3, 2)), np.ones(3), 1, np.inf), "beta must be a finite"),
])
def test_bad_input_is_named(call, message):
    with pytest.raises(ValueError, match=message):
        call()
