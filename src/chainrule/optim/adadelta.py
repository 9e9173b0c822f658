"""Adadelta: per-coordinate steps whose units follow from running averages of the squared
gradients and of the squared steps."""
from chainrule.backend import xp
from chainrule.optim.optimizer import (Optimizer, check_non_negative, check_plain_options,
                                       count_step, step_state, zeros_state)


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012, Algorithm 1), as torch computes it. Per parameter θ:

        g ← ∇f(θ) + λθ                   weight decay λ (−∇f with maximize)
        v ← ρv + (1 − ρ)g²               running mean of squared gradients
        Δ ← √(u + ε) / √(v + ε) · g      the step, in θ's units
        u ← ρu + (1 − ρ)Δ²               running mean of squared steps
        θ ← θ − γΔ

    Zeiler's rule has no learning rate; torch's γ (default 1) scales the step.

    Args:
        params: the tensors to optimize, or parameter groups (see Optimizer).
        lr: learning rate γ (default 1.0).
        rho: ρ, in [0, 1], the decay of both running averages (default 0.9).
        eps: ε, added inside both roots for stability (default 1e-6).
        weight_decay: λ (default 0).
        maximize: ascend the objective instead of descending it (default False).
        foreach: accepted and ignored (torch's choice of kernel; same numbers).
        differentiable, capturable: must stay False (see check_plain_options).
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, foreach=None, *,
                 capturable=False, maximize=False, differentiable=False):
        check_non_negative(lr=lr)
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        check_non_negative(eps=eps, weight_decay=weight_decay)
        check_plain_options("Adadelta", differentiable, capturable)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def init_state(self, param, group):
        return {"step": step_state(), "square_avg": zeros_state(param),
                "acc_delta": zeros_state(param)}

    def update(self, param, grad, state, group):
        rho, eps, weight_decay = group["rho"], group["eps"], group["weight_decay"]
        count_step(state)
        if weight_decay != 0:
            grad = grad + weight_decay * param
        square_avg, acc_delta = state["square_avg"].array, state["acc_delta"].array
        square_avg *= rho
        square_avg += (1 - rho) * grad * grad
        delta = xp.sqrt(acc_delta + eps) / xp.sqrt(square_avg + eps) * grad
        acc_delta *= rho
        acc_delta += (1 - rho) * delta * delta
        param -= group["lr"] * delta
