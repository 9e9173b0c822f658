"""RAdam: Adam whose adaptive step is switched on only once the variance of its second-moment
estimate is tractable, and then rectified."""
from chainrule.backend import xp
from chainrule.optim.optimizer import (Optimizer, check_betas, check_non_negative,
                                       check_plain_options, count_step, decay_weights, step_state,
                                       update_moments, zeros_state)


class RAdam(Optimizer):
    """RAdam (Liu et al., 2020, "On the Variance of the Adaptive Learning Rate and Beyond",
    Algorithm 2), as torch computes it. Per parameter θ, at step t:

        g ← ∇f(θ) + λθ                   L2 weight decay λ (−∇f with maximize)
        m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  m̂ ← m/(1 − β₁ᵗ)
        ρ∞ ← 2/(1 − β₂) − 1;  ρₜ ← ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ)      length of the approximated SMA
        if ρₜ > 5:  r ← √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ))
                    θ ← θ − γ m̂ · r√(1 − β₂ᵗ)/(√v + ε)      rectified adaptive step
        else:       θ ← θ − γ m̂                              SGD with momentum (warm-up)

    With decoupled_weight_decay the decay skips the moments: θ ← θ(1 − γλ) before the step.

    Args:
        params: the tensors to optimize, or parameter groups (see Optimizer).
        lr: learning rate γ (default 1e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε, added to the denominator for stability (default 1e-8).
        weight_decay: λ (default 0).
        decoupled_weight_decay: decay the weights directly, as AdamW (default False).
        maximize: ascend the objective instead of descending it (default False).
        foreach: accepted and ignored (torch's choice of kernel; same numbers).
        differentiable, capturable: must stay False (see check_plain_options).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False):
        check_non_negative(lr=lr, eps=eps)
        check_betas(betas)
        check_non_negative(weight_decay=weight_decay)
        check_plain_options("RAdam", differentiable, capturable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def init_state(self, param, group):
        return {"step": step_state(), "exp_avg": zeros_state(param),
                "exp_avg_sq": zeros_state(param)}

    def update(self, param, grad, state, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        t = count_step(state)
        grad = decay_weights(param, grad, group)
        exp_avg, exp_avg_sq = update_moments(state, grad, beta1, beta2)      # m, v
        corrected_avg = exp_avg / (1 - beta1 ** t)
        rectification = _rectification(beta2, t)
        if rectification is None:      # too few steps for a usable variance: plain momentum
            param -= corrected_avg * lr
        else:
            adaptive = (1 - beta2 ** t) ** 0.5 / (xp.sqrt(exp_avg_sq) + group["eps"])
            param -= corrected_avg * lr * adaptive * rectification


def _rectification(beta2, t):
    """r of the update, or None while ρₜ ≤ 5 (the variance of the adaptive step diverges)."""
    rho_inf = 2 / (1 - beta2) - 1
    rho_t = rho_inf - 2 * t * beta2 ** t / (1 - beta2 ** t)
    if not rho_t > 5.0:
        return None
    return ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
