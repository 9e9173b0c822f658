"""CyclicLR: the learning rate goes back and forth between two bounds (momentum the other way)."""
import math
import types

from chainrule.optim.lr_scheduler.base import LRScheduler, check_state_dict
from chainrule.optim.lr_scheduler.one_cycle import _per_group, _set_momentum, set_up_momentum
from chainrule.optim.optimizer import Optimizer

_MODES = ("triangular", "triangular2", "exp_range")


class CyclicLR(LRScheduler):
    """Cyclical learning rates (Smith, 2017), as torch computes them. At step t, with a cycle
    of step_size_up + step_size_down steps, c = ⌊1 + t/size⌋ and x = 1 + t/size − c:

        s = x/r rising (x ≤ r = step_size_up/size), (x − 1)/(r − 1) falling
        lr = base_lr + (max_lr − base_lr) · s · scale(c or t)
        momentum = max_momentum − (max_momentum − base_momentum) · s · scale(c or t)

    scale is 1 (triangular), 1/2^(c−1) (triangular2, halving each cycle) or γᵗ (exp_range), or a
    user's scale_fn of the cycle or the step (scale_mode). Call step() after every batch.

    Args:
        optimizer: the Optimizer whose learning rates (and momenta) are set.
        base_lr, max_lr: the bounds, for all groups or one per group (base_lr replaces the
            groups' "lr" at the start).
        step_size_up: steps from base_lr to max_lr (default 2000).
        step_size_down: steps back down (default: step_size_up).
        mode: "triangular", "triangular2" or "exp_range" (default "triangular").
        gamma: γ of exp_range (default 1).
        scale_fn: a function of one argument in place of mode (default None).
        scale_mode: "cycle" or "iterations", what scale_fn is given (default "cycle").
        cycle_momentum: move "momentum" (or Adam's β₁) inversely (default True).
        base_momentum, max_momentum: the momentum bounds (defaults 0.8, 0.9).
        last_epoch: the index of the last batch taken (default -1: start afresh).
    """

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        base_lrs = _per_group("base_lr", optimizer, base_lr)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups):
                group["lr"] = lr
        self.max_lrs = _per_group("max_lr", optimizer, max_lr)
        step_size_up = float(step_size_up)
        step_size_down = step_size_up if step_size_down is None else float(step_size_down)
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        if mode not in _MODES and scale_fn is None:
            raise ValueError(f"mode is invalid and scale_fn is None: CyclicLR's mode is one of "
                             f"{', '.join(_MODES)}, got {mode!r}")
        self.mode, self.gamma = mode, gamma
        self._scale_fn_custom, self.scale_mode = scale_fn, scale_mode
        self._init_scale_fn()
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.base_momentums, self.max_momentums = set_up_momentum(
                self, base_momentum, max_momentum, last_epoch)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def _init_scale_fn(self):
        # the built-in modes fix scale_mode, as torch does (a user's scale_fn keeps its own)
        if self._scale_fn_custom is None:
            self.scale_mode = "iterations" if self.mode == "exp_range" else "cycle"

    def scale_fn(self, x):
        """The amplitude's scale at cycle (or step) x."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma ** x

    def get_lr(self):
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        if x <= self.step_ratio:
            scale_factor = x / self.step_ratio
        else:
            scale_factor = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)
        lrs = [base_lr + (max_lr - base_lr) * scale_factor * scale
               for base_lr, max_lr in zip(self.base_lrs, self.max_lrs)]
        if self.cycle_momentum:
            for low, high, group in zip(self.base_momentums, self.max_momentums,
                                        self.optimizer.param_groups):
                _set_momentum(group, high - (high - low) * scale_factor * scale, self.use_beta1)
        return lrs

    def state_dict(self):
        """As the base class, but a scale_fn is code: saved as None (a callable object's
        attributes are saved instead, as torch does)."""
        state = super().state_dict()
        fn = state.pop("_scale_fn_custom")
        state["_scale_fn_custom"] = None
        if fn is not None and not isinstance(fn, types.FunctionType):
            state["_scale_fn_custom"] = dict(fn.__dict__)
        return state

    def load_state_dict(self, state_dict):
        check_state_dict(self, state_dict)
        state = dict(state_dict)
        fn = state.pop("_scale_fn_custom", None)
        super().load_state_dict(state)
        if fn is not None:
            self._scale_fn_custom.__dict__.update(fn)
        self._init_scale_fn()
