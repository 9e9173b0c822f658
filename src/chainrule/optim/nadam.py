"""NAdam: Adam with Nesterov momentum, its momentum coefficient warmed up over the steps."""
from chainrule import backend
from chainrule.backend import xp
from chainrule.optim.optimizer import (Optimizer, check_betas, check_non_negative,
                                       check_plain_options, count_step, decay_weights, step_state,
                                       update_moments, zeros_state)
from chainrule.tensor import Tensor


class NAdam(Optimizer):
    """NAdam (Dozat, 2016, "Incorporating Nesterov Momentum into Adam"), as torch computes it.
    Per parameter θ, at step t:

        g ← ∇f(θ) + λθ                   L2 weight decay λ (−∇f with maximize)
        μₜ ← β₁(1 − ½·0.96^(tψ))          momentum schedule, momentum decay ψ
        m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²
        a ← √(v / (1 − β₂ᵗ)) + ε
        θ ← θ − γ(1 − μₜ)/(1 − ∏ᵢ≤ₜ μᵢ) · g/a − γμₜ₊₁/(1 − ∏ᵢ≤ₜ₊₁ μᵢ) · m/a

    The state keeps the product ∏μᵢ as 'mu_product' (a 0-d float32 tensor, as torch). With
    decoupled_weight_decay the decay skips the moments: θ ← θ(1 − γλ) before the step.

    Args:
        params: the tensors to optimize, or parameter groups (see Optimizer).
        lr: learning rate γ (default 2e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε, added to the denominator for stability (default 1e-8).
        weight_decay: λ (default 0).
        momentum_decay: ψ (default 4e-3).
        decoupled_weight_decay: decay the weights directly, as AdamW (default False).
        maximize: ascend the objective instead of descending it (default False).
        foreach: accepted and ignored (torch's choice of kernel; same numbers).
        differentiable, capturable: must stay False (see check_plain_options).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, foreach=None,
                 maximize=False, capturable=False, differentiable=False):
        check_non_negative(lr=lr, eps=eps)
        check_betas(betas)
        check_non_negative(weight_decay=weight_decay, momentum_decay=momentum_decay)
        check_plain_options("NAdam", differentiable, capturable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def init_state(self, param, group):
        return {"step": step_state(),
                "mu_product": Tensor._make(xp.ones((), dtype=backend.float32)),
                "exp_avg": zeros_state(param), "exp_avg_sq": zeros_state(param)}

    def update(self, param, grad, state, group):
        lr, (beta1, beta2) = group["lr"], group["betas"]
        t = count_step(state)
        grad = decay_weights(param, grad, group)
        mu, mu_next = (beta1 * (1.0 - 0.5 * 0.96 ** (k * group["momentum_decay"]))
                       for k in (t, t + 1))
        mu_product = state["mu_product"].array
        mu_product *= mu                 # in the state's precision (float32), as torch
        exp_avg, exp_avg_sq = update_moments(state, grad, beta1, beta2)      # m, v
        denominator = xp.sqrt(exp_avg_sq / (1 - beta2 ** t)) + group["eps"]
        param -= lr * (1.0 - mu) / (1.0 - float(mu_product)) * grad / denominator
        param -= lr * mu_next / (1.0 - float(mu_product) * mu_next) * exp_avg / denominator
