"""Reverse-mode automatic differentiation: Function, the engine, and checks. The grad modes
(no_grad ...) live below Tensor, in chainrule.grad_mode, and are offered here under torch's names.

This layer binds onto Tensor the one method that needs it, `backward`, as it loads. The functional
transforms (jacobian, hessian ...) are `chainrule.autograd.functional`, which sits a layer higher,
above the ops it composes; chainrule's __init__ imports it."""
from chainrule.autograd.engine import backward, grad
from chainrule.autograd.function import Function
from chainrule.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from chainrule.autograd.variable import Variable
from chainrule.grad_mode import (detect_anomaly, enable_grad, inference_mode, is_grad_enabled,
                                 is_inference_mode_enabled, no_grad, set_detect_anomaly,
                                 set_grad_enabled)
from chainrule.tensor import Tensor


def tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate d(self)/d(leaf) into every leaf's .grad (chain rule, reverse mode)."""
    backward((self,), None if gradient is None else (gradient,), retain_graph, create_graph,
             inputs)


tensor_backward.__name__ = tensor_backward.__qualname__ = "backward"
TENSOR_METHODS = {"backward": tensor_backward}

for _name, _method in TENSOR_METHODS.items():   # the one call site: as this layer loads
    setattr(Tensor, _name, _method)
