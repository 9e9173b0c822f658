"""Matrices the linear-algebra tests share (no tests here): a shape set of square matrices,
makers for the harness's `make=` (well_conditioned, singular), and the symmetric or
positive-definite matrix made from any square one, on either library (sym, spd) or in NumPy
(np_sym, np_spd)."""
import numpy as np

SQUARE = [((3, 3),), ((2, 4, 4),), ((1, 2, 2),)]


def well_conditioned(rng, shape):
    """A random square matrix plus 3 I: invertible, with no tiny pivots."""
    return rng.standard_normal(shape) + 3 * np.eye(shape[-1])


def singular(rng, shape):
    """A random matrix of rank n - 1: det is 0, its gradient (the cofactors) is not."""
    n = shape[-1]
    return rng.standard_normal(shape[:-1] + (n - 1,)) @ rng.standard_normal(shape[:-2] + (n - 1, n))


def spd(L, a):
    """A symmetric positive-definite matrix made from any square a (on either library)."""
    return a @ a.mT + a.shape[-1] * L.eye(a.shape[-1], dtype=a.dtype)


def sym(L, a):
    return a + a.mT


def np_spd(a):
    return a @ np.swapaxes(a, -1, -2) + a.shape[-1] * np.eye(a.shape[-1])


def np_sym(a):
    return a + np.swapaxes(a, -1, -2)
