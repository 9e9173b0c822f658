"""Schedules that scale the initial rate by a factor for a while: ConstantLR (a fixed factor until
total_iters) and PolynomialLR (a factor falling polynomially to zero at total_iters)."""
from chainrule.optim.lr_scheduler.base import LRScheduler, current_lrs


class ConstantLR(LRScheduler):
    """lr_t = lr_0 · factor for t < total_iters, then lr_0 (a constant warm-up).

    As torch, computed from the current rate: multiplied by factor at step 0 and divided by it
    at step total_iters, so other changes to the rate carry through.

    Args:
        optimizer: the Optimizer whose learning rates are set.
        factor: the multiplier, in [0, 1] (default 1/3).
        total_iters: the number of steps it applies for (default 5).
        last_epoch: the index of the last step taken (default -1: start afresh).
    """

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if factor > 1.0 or factor < 0:
            raise ValueError("Constant multiplicative factor expected to be between 0 and 1.")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0:
            return [group["lr"] * self.factor for group in self.optimizer.param_groups]
        if self.last_epoch != self.total_iters:
            return current_lrs(self.optimizer)
        return [group["lr"] * (1.0 / self.factor) for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base_lr * (self.factor + (self.last_epoch >= self.total_iters) * (1 - self.factor))
                for base_lr in self.base_lrs]


class PolynomialLR(LRScheduler):
    """lr_t = lr_0 · (1 − min(t, T)/T)^power, T = total_iters: zero from step T on.

    As torch, computed from the current rate, by the ratio of consecutive factors.

    Args:
        optimizer: the Optimizer whose learning rates are set.
        total_iters: the step T at which the rate reaches zero (default 5).
        power: the power of the polynomial (default 1: linear).
        last_epoch: the index of the last step taken (default -1: start afresh).
    """

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial or self.last_epoch > self.total_iters:
            return current_lrs(self.optimizer)
        t, total = self.last_epoch, self.total_iters
        decay = ((1.0 - t / total) / (1.0 - (t - 1) / total)) ** self.power
        return [group["lr"] * decay for group in self.optimizer.param_groups]

    def _get_closed_form_lr(self):
        return [base_lr * (1.0 - min(self.total_iters, self.last_epoch) / self.total_iters)
                ** self.power for base_lr in self.base_lrs]
