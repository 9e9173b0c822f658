"""SGD: stochastic gradient descent, with momentum (heavy ball or Nesterov) and weight decay."""
from chainrule.backend import xp
from chainrule.optim.optimizer import (Optimizer, add_scaled, check_non_negative,
                                       check_plain_options, scaled)
from chainrule.tensor import Tensor


class SGD(Optimizer):
    """Stochastic gradient descent, with torch's momentum convention. Per parameter θ:

        g ← ∇f(θ) + λθ                   weight decay λ (−∇f with maximize)
        b ← μb + (1 − τ)g                momentum μ, dampening τ; the first step sets b = g
        g ← g + μb (nesterov) or b
        θ ← θ − γg                       learning rate γ

    Sutskever et al. (2013) keep γ inside the buffer (v ← μv − γg); torch's form, used here,
    keeps it outside, so a learning rate changed by a scheduler takes effect at once.

    Args:
        params: the tensors to optimize, or parameter groups (see Optimizer).
        lr: learning rate γ (default 1e-3).
        momentum: μ (default 0: no buffer).
        dampening: τ, the share of the gradient kept out of the buffer (default 0).
        weight_decay: λ, an L2 penalty λ/2·|θ|² added through the gradient (default 0).
        nesterov: Nesterov momentum; needs momentum > 0 and dampening 0 (default False).
        maximize: ascend the objective instead of descending it (default False).
        foreach, fused: accepted and ignored (torch's choice of kernel; same numbers).
        differentiable: must stay False (see check_plain_options).
    """

    _folds_maximize = True

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        check_non_negative(lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        check_plain_options("SGD", differentiable)
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def init_state(self, param, group):
        # torch's first step sets b = g (no dampening), so the buffer starts empty and the first
        # update fills it with a copy of g; without momentum there is no state, as in torch
        return {"momentum_buffer": None} if group["momentum"] != 0 else {}

    def update(self, param, grad, state, group):
        # In place, with as few passes over the parameter as NumPy allows: the sign of maximize
        # and the factor 1 − τ are folded into the sums (no negated or scaled copy of g when
        # they are ±1), and grad (shared with param.grad) is never written.
        momentum, weight_decay, lr = group["momentum"], group["weight_decay"], group["lr"]
        sign = -1.0 if group["maximize"] else 1.0      # the update uses sign · grad
        if weight_decay != 0:                          # g ← sign · g + λθ, a new array
            grad = add_scaled(scaled(param, weight_decay), grad, sign)
            sign = 1.0
        if momentum != 0:
            buffer = state["momentum_buffer"]
            if buffer is None:                         # the first step: b ← g
                buffer = grad.copy() if sign == 1 else xp.negative(grad)
                state["momentum_buffer"] = Tensor._make(buffer)
            else:
                buffer = xp.multiply(buffer.array, momentum, out=buffer.array)
                add_scaled(buffer, grad, sign * (1 - group["dampening"]))
            if group["nesterov"]:                      # g ← g + μb, a new array
                grad = add_scaled(scaled(buffer, momentum), grad, sign)
            else:
                grad = buffer
            sign = 1.0
        add_scaled(param, grad, -lr * sign)
