"""LRScheduler, the base class of the schedulers: it counts steps (last_epoch) and writes each
parameter group's "lr" from the subclass's get_lr()."""
import copy
import functools
import warnings

from chainrule.optim.optimizer import Optimizer


class LRScheduler:
    """Base class of the learning-rate schedulers, with torch's interface and values.

    A subclass stores its options, calls super().__init__(optimizer, last_epoch) and writes
    get_lr(): the groups' learning rates at step self.last_epoch, computed from the current ones
    where torch does so (its "chainable" form, so that schedulers can be stacked). A subclass may
    add _get_closed_form_lr(), the rates computed from base_lrs alone, used by step(epoch) and by
    SequentialLR at a milestone. The constructor takes step 0; call step() after each
    optimizer.step().

    Args:
        optimizer: the Optimizer whose groups' "lr" the scheduler sets.
        last_epoch: the index of the last step taken (default -1: start afresh). To resume with
            last_epoch >= 0 the groups must hold "initial_lr" (load the optimizer's state first).
    """

    _is_initial = False   # True during the constructor's step, which sets up step 0
    _get_lr_called_within_step = False   # get_lr() called by a program, outside step(), warns

    def __init_subclass__(cls, **kwargs):
        # chainrule's own schedulers warn, as torch's do, when a program calls get_lr() to read
        # the rate (old code does): it computes the next step's rate, not the current one
        super().__init_subclass__(**kwargs)
        if cls.__module__.startswith("chainrule.") and "get_lr" in cls.__dict__:
            cls.get_lr = _warns_outside_step(cls.get_lr)

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        for index, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"param 'initial_lr' is not specified in param_groups[{index}] "
                               "when resuming scheduler with last_epoch >= 0: load the "
                               "optimizer's state_dict first, or start with last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The learning rate of each group at step self.last_epoch."""
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def get_last_lr(self):
        """The learning rates the last step set, one per parameter group."""
        return self._last_lr

    def step(self, epoch=None):
        """Advance one step and set the groups' learning rates (call after optimizer.step())."""
        if self._step_count == 1 and not getattr(self.optimizer, "_opt_called", True):
            # torch's warning (pytorch issue #20124): the first rate of the schedule is skipped
            warnings.warn("Detected call of `lr_scheduler.step()` before `optimizer.step()`: "
                          "call `optimizer.step()` first, or the first value of the learning "
                          "rate schedule is skipped", UserWarning, stacklevel=2)
        self._step_count += 1
        if epoch is not None:
            warnings.warn("The epoch parameter in `scheduler.step()` is deprecated, as in "
                          "torch: call `scheduler.step()`; with an epoch the closed form is "
                          "used where there is one", UserWarning, stacklevel=2)
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        self._get_lr_called_within_step = True
        try:
            if epoch is None:
                self.last_epoch += 1
                values = self.get_lr()
            else:
                self.last_epoch = epoch
                closed_form = getattr(self, "_get_closed_form_lr", None)
                values = closed_form() if closed_form is not None else self.get_lr()
        finally:
            self._get_lr_called_within_step = False
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = current_lrs(self.optimizer)

    def state_dict(self):
        """Every attribute but the optimizer, as torch saves it."""
        return {key: value for key, value in self.__dict__.items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Continue from a state_dict() (a copy of it: the dict stays untouched)."""
        check_state_dict(self, state_dict)
        self.__dict__.update(copy.deepcopy(state_dict))


def check_state_dict(scheduler, state_dict):
    """Refuse what is not a scheduler's state_dict() (say an optimizer's, or a list) by name."""
    if not isinstance(state_dict, dict) or {"state", "param_groups"} <= set(state_dict):
        got = (f"a dict with keys {sorted(map(str, state_dict))}"
               if isinstance(state_dict, dict) else f"a {type(state_dict).__name__}")
        raise TypeError(f"{type(scheduler).__name__}.load_state_dict: expected the dict of "
                        f"scheduler.state_dict(), got {got}")


class _LRScheduler(LRScheduler):
    """The old name of LRScheduler (before torch 2.0), kept as torch keeps it: programs subclass
    it and write get_lr() from self.last_epoch and self.base_lrs."""


def _warns_outside_step(get_lr):
    @functools.wraps(get_lr)
    def checked(self):
        if not self._get_lr_called_within_step:
            warnings.warn("To get the last learning rate computed by the scheduler, please use "
                          "`get_last_lr()`.", UserWarning, stacklevel=2)
        return get_lr(self)
    return checked


def current_lrs(optimizer):
    return [group["lr"] for group in optimizer.param_groups]
