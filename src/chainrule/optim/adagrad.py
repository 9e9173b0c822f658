"""Adagrad: per-coordinate steps divided by the root of the summed squared gradients."""
from chainrule.backend import xp
from chainrule.optim.optimizer import (Optimizer, check_non_negative, check_plain_options,
                                       count_step, step_state)
from chainrule.tensor import Tensor


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer, 2011), as torch computes it. Per parameter θ, at step t:

        g ← ∇f(θ) + λθ                   weight decay λ (−∇f with maximize)
        s ← s + g²                       s starts at initial_accumulator_value
        θ ← θ − γ/(1 + (t − 1)η) · g / (√s + ε)        learning-rate decay η

    Args:
        params: the tensors to optimize, or parameter groups (see Optimizer).
        lr: learning rate γ (default 1e-2).
        lr_decay: η (default 0).
        weight_decay: λ (default 0).
        initial_accumulator_value: the starting value of s (default 0).
        eps: ε, added to the denominator for stability (default 1e-10).
        maximize: ascend the objective instead of descending it (default False).
        foreach, fused: accepted and ignored (torch's choice of kernel; same numbers).
        differentiable: must stay False (see check_plain_options).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0, initial_accumulator_value=0,
                 eps=1e-10, foreach=None, *, maximize=False, differentiable=False, fused=None):
        check_non_negative(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                           initial_accumulator_value=initial_accumulator_value, eps=eps)
        check_plain_options("Adagrad", differentiable)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, eps=eps,
                                      weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      maximize=maximize))
        # torch creates the state at once (so state_dict() lists it before the first step)
        for group in self.param_groups:
            for param in group["params"]:
                self.state[param].update(self.init_state(param.array, group))

    def init_state(self, param, group):
        return {"step": step_state(),
                "sum": Tensor._make(xp.full_like(param, group["initial_accumulator_value"]))}

    def update(self, param, grad, state, group):
        t = count_step(state)
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param
        learning_rate = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        state_sum = state["sum"].array
        state_sum += grad * grad
        param -= learning_rate * grad / (xp.sqrt(state_sum) + group["eps"])
