"""Reverse-mode automatic differentiation: Function, the engine, grad modes and checks."""
from chainrule.autograd.engine import backward, grad
from chainrule.autograd.function import Function
from chainrule.autograd.gradcheck import GradcheckError, gradcheck, gradgradcheck
from chainrule.grad_mode import (detect_anomaly, enable_grad, inference_mode, is_grad_enabled,
                                     is_inference_mode_enabled, no_grad,
                                     set_grad_enabled)
from chainrule.autograd import functional
from chainrule.autograd.variable import Variable
