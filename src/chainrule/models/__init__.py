"""Reference models of the lecture and the papers it cites, with their sizes in the docstrings."""
from chainrule.models.least_squares import gaussian_posterior, least_squares, predictive
from chainrule.models.polynomial import (
    Polynomial, polynomial_features, rms_error, sum_of_squares_error)

__all__ = ["Polynomial", "gaussian_posterior", "least_squares", "polynomial_features",
           "predictive", "rms_error", "sum_of_squares_error"]
