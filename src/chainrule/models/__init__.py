"""Reference models of the lecture and the papers it cites, with their sizes in the docstrings."""
from chainrule.models.charlm import CharLM
from chainrule.models.gan import (
    DCDiscriminator, DCGenerator, DigitClassifier, MLPDiscriminator, MLPGenerator,
    MLPImageDiscriminator, MLPImageGenerator, Packed, discriminator_loss, generator_loss)
from chainrule.models.least_squares import gaussian_posterior, least_squares, predictive
from chainrule.models.mnist1d import CNN, GRU, MLP, MODELS, Logistic, count_parameters
from chainrule.models.ngram import Bigram, Unigram
from chainrule.models.polynomial import (
    Polynomial, polynomial_features, rms_error, sum_of_squares_error)
from chainrule.models.seq2seq import Seq2Seq

__all__ = ["Bigram", "CNN", "CharLM", "DCDiscriminator", "DCGenerator", "DigitClassifier", "GRU",
           "Logistic", "MLP", "MLPDiscriminator", "MLPGenerator", "MLPImageDiscriminator",
           "MLPImageGenerator", "MODELS", "Packed", "Polynomial", "Seq2Seq", "Unigram",
           "count_parameters", "discriminator_loss", "gaussian_posterior", "generator_loss",
           "least_squares", "polynomial_features", "predictive", "rms_error",
           "sum_of_squares_error"]
