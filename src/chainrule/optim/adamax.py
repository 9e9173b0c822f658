"""Adamax: Adam with the second moment replaced by an exponentially weighted infinity norm."""
from chainrule.backend import xp
from chainrule.optim.optimizer import (Optimizer, check_betas, check_non_negative,
                                       check_plain_options, count_step, decay_weights, step_state,
                                       zeros_state)


class Adamax(Optimizer):
    """Adamax (Kingma & Ba, 2015, Algorithm 2), as torch computes it. Per parameter θ, at step t:

        g ← ∇f(θ) + λθ                   L2 weight decay λ (−∇f with maximize)
        m ← β₁m + (1 − β₁)g              first moment
        u ← max(β₂u, |g| + ε)            infinity norm (ε inside the max, as torch)
        θ ← θ − γ/(1 − β₁ᵗ) · m / u

    Args:
        params: the tensors to optimize, or parameter groups (see Optimizer).
        lr: learning rate γ (default 2e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε, keeps u away from zero (default 1e-8).
        weight_decay: λ (default 0).
        foreach: accepted and ignored (torch's choice of kernel; same numbers).
        maximize: ascend the objective instead of descending it (default False).
        differentiable, capturable: must stay False (see check_plain_options).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 foreach=None, *, maximize=False, differentiable=False, capturable=False):
        check_non_negative(lr=lr, eps=eps)
        check_betas(betas)
        check_non_negative(weight_decay=weight_decay)
        check_plain_options("Adamax", differentiable, capturable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize))

    def init_state(self, param, group):
        return {"step": step_state(), "exp_avg": zeros_state(param),
                "exp_inf": zeros_state(param)}

    def update(self, param, grad, state, group):
        beta1, beta2 = group["betas"]
        t = count_step(state)
        grad = decay_weights(param, grad, group)
        exp_avg, exp_inf = state["exp_avg"].array, state["exp_inf"].array
        exp_avg += (1 - beta1) * (grad - exp_avg)      # m, in torch's form (a lerp towards g)
        exp_inf *= beta2
        xp.maximum(exp_inf, xp.abs(grad) + group["eps"], out=exp_inf)
        param -= group["lr"] / (1 - beta1 ** t) * exp_avg / exp_inf
