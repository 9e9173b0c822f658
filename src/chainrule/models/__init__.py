"""Reference models of the lecture and the papers it cites, with their sizes in the docstrings."""
from chainrule.models.charlm import CharLM
from chainrule.models.least_squares import gaussian_posterior, least_squares, predictive
from chainrule.models.mnist1d import CNN, GRU, MLP, MODELS, Logistic, count_parameters
from chainrule.models.polynomial import (
    Polynomial, polynomial_features, rms_error, sum_of_squares_error)

__all__ = ["CNN", "CharLM", "GRU", "Logistic", "MLP", "MODELS", "Polynomial", "count_parameters", "gaussian_posterior", "least_squares", "polynomial_features",
           "predictive", "rms_error", "sum_of_squares_error"]
