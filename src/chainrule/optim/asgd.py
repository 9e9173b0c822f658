"""ASGD: stochastic gradient descent with a decaying step and a running average of the iterates."""
from chainrule import backend
from chainrule.backend import xp
from chainrule.optim.optimizer import (Optimizer, check_non_negative, check_plain_options,
                                       count_step, step_state, zeros_state)
from chainrule.tensor import Tensor


class ASGD(Optimizer):
    """Averaged SGD (Polyak & Juditsky, 1992; the step sizes of Bottou, 2012), as torch computes
    it. Per parameter θ, at step t (η₀ = γ, μ₀ = 1):

        g ← ∇f(θ) + λ_wθ                 weight decay λ_w (−∇f with maximize)
        θ ← θ(1 − λη) − ηg               SGD with decay λ (lambd) at the current step η
        a ← a + μ(θ − a)                 the average of the iterates (a = θ while μ = 1)
        η ← γ / (1 + λγt)^α;  μ ← 1 / max(1, t − t₀)

    The average a (state "ax") starts counting at step t₀; the model's parameters are θ, not a.
    η and μ are kept as float32 0-d tensors, as torch keeps them.

    Args:
        params: the tensors to optimize, or parameter groups (see Optimizer).
        lr: learning rate γ (default 1e-2).
        lambd: the decay λ (default 1e-4).
        alpha: the power α of the step-size decay (default 0.75).
        t0: the step at which averaging starts (default 1e6).
        weight_decay: λ_w (default 0).
        foreach: accepted and ignored (torch's choice of kernel; same numbers).
        maximize: ascend the objective instead of descending it (default False).
        differentiable, capturable: must stay False (see check_plain_options).
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0,
                 foreach=None, maximize=False, differentiable=False, capturable=False):
        check_non_negative(lr=lr, weight_decay=weight_decay)
        check_plain_options("ASGD", differentiable, capturable)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, maximize=maximize))

    def init_state(self, param, group):
        return {"step": step_state(), "eta": _scalar(group["lr"]), "mu": _scalar(1.0),
                "ax": zeros_state(param)}

    def update(self, param, grad, state, group):
        lr, lambd, weight_decay = group["lr"], group["lambd"], group["weight_decay"]
        t = count_step(state)
        if weight_decay != 0:
            grad = grad + weight_decay * param
        eta = float(state["eta"].array)
        param *= 1 - lambd * eta
        param -= eta * grad
        ax, mu = state["ax"].array, state["mu"].array
        if float(mu) != 1:
            ax += (param - ax) * mu.astype(param.dtype)
        else:
            ax[...] = param
        # the next step's η and μ, rounded to the state's dtype (float32 unless loaded otherwise)
        state["eta"].array[...] = lr / (1 + lambd * lr * t) ** group["alpha"]
        state["mu"].array[...] = 1 / max(1, t - group["t0"])


def _scalar(value):
    return Tensor._make(xp.asarray(value, dtype=backend.float32))
