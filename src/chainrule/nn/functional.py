"""nn.functional: the functional forms of layers, activations and losses, as torch spells them.

Primitive ops are re-exported from chainrule.ops; compositions of ops live here.
"""
from chainrule.ops.activation import (gelu, leaky_relu, log_softmax, relu, sigmoid, softmax,
                                      softplus, tanh)
from chainrule.ops.shape import pad

__all__ = ["gelu", "leaky_relu", "log_softmax", "pad", "relu", "sigmoid", "softmax", "softplus",
           "tanh"]
