"""Rprop: per-coordinate step sizes grown while the gradient keeps its sign and shrunk when it
flips; only the gradient's sign moves the parameter."""
from chainrule.backend import xp
from chainrule.ops.unary import sign_array
from chainrule.optim.optimizer import (Optimizer, check_non_negative, check_plain_options,
                                       count_step, step_state, zeros_state)
from chainrule.tensor import Tensor


class Rprop(Optimizer):
    """Resilient backpropagation (Riedmiller & Braun, 1993; the iRprop⁻ variant), as torch
    computes it. Per coordinate of θ, with the previous gradient g' (0 at first) and step size s
    (γ at first):

        s ← clamp(s·η₊, s_min, s_max) if g·g' > 0;  clamp(s·η₋, ...) if g·g' < 0;  s if 0
        g ← 0 where the sign flipped (g·g' < 0): no move, and no flip seen next step
        θ ← θ − sign(g)·s;   g' ← g

    Args:
        params: the tensors to optimize, or parameter groups (see Optimizer).
        lr: learning rate γ, the initial step size (default 1e-2).
        etas: (η₋, η₊), with 0 < η₋ < 1 < η₊ (default (0.5, 1.2)).
        step_sizes: (s_min, s_max), the bounds of the step size (default (1e-6, 50)).
        capturable, differentiable: must stay False (see check_plain_options).
        foreach: accepted and ignored (torch's choice of kernel; same numbers).
        maximize: ascend the objective instead of descending it (default False).
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 capturable=False, foreach=None, maximize=False, differentiable=False):
        check_non_negative(lr=lr)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        check_plain_options("Rprop", differentiable, capturable)
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                                      maximize=maximize))

    def init_state(self, param, group):
        return {"step": step_state(), "prev": zeros_state(param),
                "step_size": Tensor._make(xp.full_like(param, group["lr"]))}

    def update(self, param, grad, state, group):
        (eta_minus, eta_plus), (step_min, step_max) = group["etas"], group["step_sizes"]
        count_step(state)
        prev, step_size = state["prev"].array, state["step_size"].array
        # torch's sign: nan gives 0, so a nan gradient leaves its coordinate where it is
        agreement = sign_array(grad * prev)
        factor = xp.where(agreement > 0, eta_plus, xp.where(agreement < 0, eta_minus, 1.0))
        step_size *= factor.astype(step_size.dtype)
        xp.clip(step_size, step_min, step_max, out=step_size)
        grad = xp.where(agreement < 0, 0, grad).astype(param.dtype)
        param -= sign_array(grad) * step_size
        prev[...] = grad
