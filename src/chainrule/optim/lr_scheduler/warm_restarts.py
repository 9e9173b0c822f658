"""CosineAnnealingWarmRestarts: cosine annealing that restarts from the initial rate (SGDR)."""
import math

from chainrule.optim.lr_scheduler.base import LRScheduler


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov & Hutter, 2017), as torch computes it: within a run of T_i steps,

        lr = η_min + (lr_0 − η_min)(1 + cos(π·T_cur/T_i))/2

    where T_cur counts the steps (or epochs, fractional allowed) since the last restart; a
    restart sets T_cur to 0 and multiplies the run's length by T_mult (T_0, T_0·T_mult, ...).
    step(epoch) jumps to an epoch, e.g. step(epoch + i / iters) after each of an epoch's iters
    batches.

    Args:
        optimizer: the Optimizer whose learning rates are set.
        T_0: the length of the first run, a positive integer.
        T_mult: the growth of each run's length, an integer >= 1 (default 1).
        eta_min: the lowest rate η_min (default 0).
        last_epoch: the index of the last step taken (default -1: start afresh).
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if T_0 <= 0 or not isinstance(T_0, int):
            raise ValueError(f"Expected positive integer T_0, but got {T_0}")
        if T_mult < 1 or not isinstance(T_mult, int):
            raise ValueError(f"Expected integer T_mult >= 1, but got {T_mult}")
        if not isinstance(eta_min, (float, int)):
            raise ValueError(f"Expected float or int eta_min, but got {eta_min} of type "
                             f"{type(eta_min)}")
        self.T_0, self.T_i, self.T_mult, self.eta_min = T_0, T_0, T_mult, eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [self.eta_min + (base_lr - self.eta_min)
                * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base_lr in self.base_lrs]

    def step(self, epoch=None):
        """Advance one step, or go to epoch (a number >= 0, fractional allowed)."""
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            self._go_to(epoch)
        self._update_lr(math.floor(epoch))   # no closed form here: get_lr() at that epoch

    def _go_to(self, epoch):
        if epoch < 0:
            raise ValueError(f"Expected non-negative epoch, but got {epoch}")
        if epoch < self.T_0:
            self.T_i, self.T_cur = self.T_0, epoch
        elif self.T_mult == 1:
            self.T_cur = epoch % self.T_0
        else:   # the run n that epoch falls in: T_0(T_mult^n − 1)/(T_mult − 1) <= epoch
            n = int(math.log((epoch / self.T_0 * (self.T_mult - 1) + 1), self.T_mult))
            self.T_cur = epoch - self.T_0 * (self.T_mult ** n - 1) / (self.T_mult - 1)
            self.T_i = self.T_0 * self.T_mult ** n
