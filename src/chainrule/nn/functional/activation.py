"""Activation functions (primitives from chainrule.ops.activation) and pad."""
from chainrule.ops.activation import (gelu, leaky_relu, log_softmax, relu, sigmoid, softmax,
                                      softplus, tanh)
from chainrule.ops.shape import pad

__all__ = ["gelu", "leaky_relu", "log_softmax", "pad", "relu", "sigmoid", "softmax", "softplus",
           "tanh"]
