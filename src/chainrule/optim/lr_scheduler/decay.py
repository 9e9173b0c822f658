"""Schedules that set the learning rate on a fixed plan: LambdaLR, MultiplicativeLR, StepLR,
MultiStepLR, ExponentialLR, CosineAnnealingLR, LinearLR. Each get_lr is torch's form, step by
step."""
import copy
import math
import types
from collections import Counter

from chainrule.optim.lr_scheduler.base import LRScheduler, check_state_dict, current_lrs


class _LambdaState:
    """What LambdaLR and MultiplicativeLR share: one function per parameter group, and a state
    that leaves the functions out (code, not state: saved as None, as torch does for plain
    functions, and kept from the constructor when a state_dict is loaded). A callable object's
    attributes are saved and restored, as torch does (a warm-up object with a counter resumes)."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _per_group(type(self).__name__, optimizer, lr_lambda)
        super().__init__(optimizer, last_epoch)

    def state_dict(self):
        state = super().state_dict()
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType) else dict(fn.__dict__)
                               for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        check_state_dict(self, state_dict)
        state = dict(state_dict)
        saved = state.pop("lr_lambdas", None) or []
        super().load_state_dict(state)
        for fn, attributes in zip(self.lr_lambdas, saved):
            if attributes is not None:
                fn.__dict__.update(copy.deepcopy(attributes))


class LambdaLR(_LambdaState, LRScheduler):
    """lr_t = lr_0 · λ(t), one function λ per parameter group or one for all (warm-up schedules).

    Args:
        optimizer: the Optimizer whose learning rates are set.
        lr_lambda: a function of the step t, or a list of them, one per parameter group.
        last_epoch: the index of the last step taken (default -1: start afresh).
    """

    def get_lr(self):
        return [base_lr * fn(self.last_epoch) for fn, base_lr in zip(self.lr_lambdas,
                                                                       self.base_lrs)]


class MultiplicativeLR(_LambdaState, LRScheduler):
    """lr_t = lr_{t-1} · λ(t): each step multiplies the learning rate by λ(t).

    Args:
        optimizer: the Optimizer whose learning rates are set.
        lr_lambda: a function of the step t, or a list of them, one per parameter group.
        last_epoch: the index of the last step taken (default -1: start afresh).
    """

    def get_lr(self):
        if self.last_epoch == 0:
            return current_lrs(self.optimizer)
        return [group["lr"] * fn(self.last_epoch)
                for fn, group in zip(self.lr_lambdas, self.optimizer.param_groups)]


def _per_group(name, optimizer, lr_lambda):
    groups = len(optimizer.param_groups)
    if not isinstance(lr_lambda, (list, tuple)):
        return [lr_lambda] * groups
    if len(lr_lambda) != groups:
        raise ValueError(f"{name}: expected {groups} lr_lambdas, one per parameter group, but got "
                         f"{len(lr_lambda)}")
    return list(lr_lambda)


class StepLR(LRScheduler):
    """Multiply the learning rate by gamma every step_size steps: lr_t = lr_0 · γ^⌊t/step_size⌋.

    Args:
        optimizer: the Optimizer whose learning rates are set.
        step_size: the period of the decay, in steps.
        gamma: the factor γ (default 0.1).
        last_epoch: the index of the last step taken (default -1: start afresh).
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return current_lrs(self.optimizer)
        _check_period("StepLR", "step_size", self.step_size)
        if self.last_epoch % self.step_size != 0:
            return current_lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** (self.last_epoch // self.step_size)
                for base_lr in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the learning rate by gamma at each milestone (by γⁿ at one listed n times).

    Args:
        optimizer: the Optimizer whose learning rates are set.
        milestones: the steps at which to decay, increasing.
        gamma: the factor γ (default 0.1).
        last_epoch: the index of the last step taken (default -1: start afresh).
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = Counter(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return current_lrs(self.optimizer)
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [group["lr"] * factor for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        # a plain dict works too (milestones come back from a checkpoint as one)
        passed = sum(count for milestone, count in self.milestones.items()
                     if milestone <= self.last_epoch)
        return [base_lr * self.gamma ** passed for base_lr in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the learning rate by gamma every step: lr_t = lr_0 · γᵗ.

    Args:
        optimizer: the Optimizer whose learning rates are set.
        gamma: the factor γ.
        last_epoch: the index of the last step taken (default -1: start afresh).
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:   # resuming: step 0 must not decay the restored rate again
            return current_lrs(self.optimizer)
        return [group["lr"] * self.gamma for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base_lr * self.gamma ** self.last_epoch for base_lr in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from lr_0 to eta_min over T_max steps (SGDR, Loshchilov & Hutter, 2017,
    without restarts): lr_t = η_min + (lr_0 − η_min)(1 + cos(πt/T_max))/2.

    Computed as torch does, recursively from the current rate,
        lr_t = η_min + (lr_{t−1} − η_min)(1 + cos(πt/T_max)) / (1 + cos(π(t−1)/T_max)),
    so that other changes to the rate carry through; past T_max the rate climbs back (the
    cosine's period is 2·T_max).

    Args:
        optimizer: the Optimizer whose learning rates are set.
        T_max: the number of steps from lr_0 down to eta_min.
        eta_min: the lowest rate η_min (default 0).
        last_epoch: the index of the last step taken (default -1: start afresh).
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, period, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return current_lrs(self.optimizer)
        _check_period("CosineAnnealingLR", "T_max", period)
        if (t - 1 - period) % (2 * period) == 0:
            # at the bottom the ratio below would be 0/0: step up by the first increment instead
            return [group["lr"] + (base_lr - eta_min) * (1 - math.cos(math.pi / period)) / 2
                    for base_lr, group in zip(self.base_lrs, self.optimizer.param_groups)]
        return [(1 + math.cos(math.pi * t / period)) / (1 + math.cos(math.pi * (t - 1) / period))
                * (group["lr"] - eta_min) + eta_min for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [self.eta_min + (base_lr - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base_lr in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the learning rate by a factor that moves linearly from start_factor to end_factor
    over total_iters steps, then stays (a warm-up when start_factor < end_factor).

    Args:
        optimizer: the Optimizer whose learning rates are set.
        start_factor: the factor at step 0, in (0, 1] (default 1/3).
        end_factor: the factor from step total_iters on, in [0, 1] (default 1).
        total_iters: the number of steps of the ramp (default 5).
        last_epoch: the index of the last step taken (default -1: start afresh).
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if start_factor > 1.0 or start_factor <= 0:
            raise ValueError("Starting multiplicative factor expected to be greater than 0 and "
                             "less or equal to 1.")
        if end_factor > 1.0 or end_factor < 0:
            raise ValueError("Ending multiplicative factor expected to be between 0 and 1.")
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        start, end, t = self.start_factor, self.end_factor, self.last_epoch
        if t == 0:
            return [group["lr"] * start for group in self.optimizer.param_groups]
        if self._is_initial or t > self.total_iters:
            return current_lrs(self.optimizer)
        # factor_t / factor_{t-1}, with factor_t = start + (end − start)·t/total_iters
        ratio = 1.0 + (end - start) / (self.total_iters * start + (t - 1) * (end - start))
        return [group["lr"] * ratio for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        start, end = self.start_factor, self.end_factor
        return [base_lr * (start + (end - start) * min(self.total_iters, self.last_epoch)
                           / self.total_iters) for base_lr in self.base_lrs]


def _check_period(name, option, value):
    # torch fails here too, with a bare "integer modulo by zero"
    if value == 0:
        raise ZeroDivisionError(f"{name}: {option} must be a positive number of steps, got 0")
