"""RMSprop: steps divided by a running root mean square of the gradient."""
from chainrule.backend import xp
from chainrule.optim.optimizer import (Optimizer, check_non_negative, check_plain_options,
                                       count_step, step_state, zeros_state)


class RMSprop(Optimizer):
    """RMSprop (Hinton, Lecture 6e of Neural Networks for Machine Learning, 2012), as torch
    computes it. Per parameter θ:

        g ← ∇f(θ) + λθ                   weight decay λ (−∇f with maximize)
        v ← αv + (1 − α)g²               running mean square
        a ← √v + ε, or centered: a ← √(v − ḡ²) + ε with ḡ ← αḡ + (1 − α)g (Graves, 2013)
        θ ← θ − γ g/a, or with momentum μ: b ← μb + g/a; θ ← θ − γb

    Args:
        params: the tensors to optimize, or parameter groups (see Optimizer).
        lr: learning rate γ (default 1e-2).
        alpha: α, the smoothing constant (default 0.99).
        eps: ε, added to the denominator for stability (default 1e-8).
        weight_decay: λ (default 0).
        momentum: μ (default 0).
        centered: divide by an estimate of the gradient's variance instead (default False).
        maximize: ascend the objective instead of descending it (default False).
        foreach: accepted and ignored (torch's choice of kernel; same numbers).
        differentiable, capturable: must stay False (see check_plain_options).
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        check_non_negative(lr=lr, eps=eps, momentum=momentum, weight_decay=weight_decay,
                           alpha=alpha)
        check_plain_options("RMSprop", differentiable, capturable)
        super().__init__(params, dict(lr=lr, momentum=momentum, alpha=alpha, eps=eps,
                                      centered=centered, weight_decay=weight_decay,
                                      maximize=maximize))

    def init_state(self, param, group):
        state = {"step": step_state(), "square_avg": zeros_state(param)}
        if group["momentum"] > 0:
            state["momentum_buffer"] = zeros_state(param)
        if group["centered"]:
            state["grad_avg"] = zeros_state(param)
        return state

    def update(self, param, grad, state, group):
        alpha, weight_decay = group["alpha"], group["weight_decay"]
        count_step(state)
        if weight_decay != 0:
            grad = grad + weight_decay * param
        square_avg = state["square_avg"].array
        square_avg *= alpha
        square_avg += (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"].array
            grad_avg += (1 - alpha) * (grad - grad_avg)
            average = xp.sqrt(square_avg - grad_avg * grad_avg)
        else:
            average = xp.sqrt(square_avg)
        average += group["eps"]
        if group["momentum"] > 0:
            buffer = state["momentum_buffer"].array
            buffer *= group["momentum"]
            buffer += grad / average
            param -= group["lr"] * buffer
        else:
            param -= group["lr"] * grad / average
