"""Adam and AdamW: steps scaled by running estimates of the gradient's first and second moments."""
from chainrule.backend import xp
from chainrule.optim.optimizer import (Optimizer, add_scaled, check_betas, check_non_negative,
                                       check_plain_options, count_step, scaled, step_state,
                                       update_moments, zeros_state)


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015, Algorithm 1), as torch computes it. Per parameter θ, at step t:

        g ← ∇f(θ) + λθ                   L2 weight decay λ (−∇f with maximize)
        m ← β₁m + (1 − β₁)g              first moment
        v ← β₂v + (1 − β₂)g²             second moment (amsgrad: divide by max of all v)
        θ ← θ − γ/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    The bias corrections 1 − βᵗ undo the zero start of m and v (Kingma & Ba, §3). With
    decoupled_weight_decay (AdamW) the decay skips the moments: θ ← θ(1 − γλ) before the step.
    The step flushes denormals (see Optimizer): v decays to 0, so with ε = 0 a coordinate whose
    gradient stays exactly 0 for ~10⁵ steps would divide by 0; keep ε > 0 there.

    Args:
        params: the tensors to optimize, or parameter groups (see Optimizer).
        lr: learning rate γ (default 1e-3).
        betas: (β₁, β₂), each in [0, 1) (default (0.9, 0.999)).
        eps: ε, added to the denominator for stability (default 1e-8).
        weight_decay: λ (default 0).
        amsgrad: use the largest v seen so far (Reddi et al., 2018) (default False).
        maximize: ascend the objective instead of descending it (default False).
        decoupled_weight_decay: decay the weights directly, as AdamW (default False).
        foreach, fused: accepted and ignored (torch's choice of kernel; same numbers).
        differentiable, capturable: must stay False (see check_plain_options).
    """

    _folds_maximize = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        check_non_negative(lr=lr, eps=eps)
        check_betas(betas)
        check_non_negative(weight_decay=weight_decay)
        check_plain_options(type(self).__name__, differentiable, capturable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def init_state(self, param, group):
        state = {"step": step_state(), "exp_avg": zeros_state(param),
                 "exp_avg_sq": zeros_state(param)}
        if group["amsgrad"]:
            state["max_exp_avg_sq"] = zeros_state(param)
        return state

    def update(self, param, grad, state, group):
        # In place: thirteen passes over the parameter (fourteen with decoupled decay) into four
        # temporaries (nine as expressions), rounded as torch orders it; maximize folded into m.
        lr, (beta1, beta2), weight_decay = group["lr"], group["betas"], group["weight_decay"]
        t = count_step(state)
        sign = -1.0 if group["maximize"] else 1.0
        if weight_decay != 0 and group["decoupled_weight_decay"]:
            param *= 1 - lr * weight_decay
        elif weight_decay != 0:                       # g ← sign · g + λθ, a new array
            grad, sign = add_scaled(scaled(param, weight_decay), grad, sign), 1.0
        exp_avg, exp_avg_sq = update_moments(state, grad, beta1, beta2, sign)      # m, v
        if group["amsgrad"]:                           # divide by the largest v so far
            exp_avg_sq = xp.maximum(state["max_exp_avg_sq"].array, exp_avg_sq,
                                    out=state["max_exp_avg_sq"].array)
        denominator = xp.sqrt(exp_avg_sq, out=xp.empty_like(exp_avg_sq))   # an array, even 0-d
        denominator /= (1 - beta2 ** t) ** 0.5
        denominator += group["eps"]
        step = scaled(exp_avg, lr / (1 - beta1 ** t))
        step /= denominator
        param -= step


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019): θ ← θ(1 − γλ) at each step,
    outside the moments, so the decay is not rescaled by 1/√v.

    Args: as Adam, with weight_decay λ defaulting to 1e-2.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         capturable=capturable, differentiable=differentiable,
                         decoupled_weight_decay=True)
