"""SequentialLR: one scheduler after another, switching at given steps (warm-up, then decay)."""
from bisect import bisect_right

from chainrule.optim.lr_scheduler.base import LRScheduler
from chainrule.optim.lr_scheduler.plateau import ReduceLROnPlateau


class SequentialLR(LRScheduler):
    """Run schedulers[0] until milestones[0], then schedulers[1] (restarted at its step 0) until
    milestones[1], and so on.

    Args:
        optimizer: the Optimizer all the schedulers belong to.
        schedulers: the schedulers, in order (not ReduceLROnPlateau: it needs a metric).
        milestones: the steps at which the next scheduler takes over; one fewer than schedulers.
        last_epoch: the index of the last step taken (default -1: start afresh).
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        _check(optimizer, schedulers, milestones, type(self).__name__)
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        # Building the schedulers took step 0 of each: undo that, and take it again for the
        # first one only, from the initial rates.
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        _undo_initial_steps(self)
        first = self._schedulers[bisect_right(self._milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self):
        """Advance one step with the scheduler in charge; at a milestone the next one restarts."""
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)   # its step 0, in closed form where it has one
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        """The attributes but the optimizer, and each scheduler's own state dict."""
        return _nested_state_dict(self)

    def load_state_dict(self, state_dict):
        _load_nested_state_dict(self, state_dict)


def _nested_state_dict(scheduler):
    state = {key: value for key, value in scheduler.__dict__.items()
             if key not in ("optimizer", "_schedulers")}
    state["_schedulers"] = [inner.state_dict() for inner in scheduler._schedulers]
    return state


def _load_nested_state_dict(scheduler, state_dict):
    own = {key: value for key, value in state_dict.items() if key != "_schedulers"}
    LRScheduler.load_state_dict(scheduler, own)
    for inner, saved in zip(scheduler._schedulers, state_dict["_schedulers"]):
        inner.load_state_dict(saved)


def _check(optimizer, schedulers, milestones, name):
    if len(schedulers) < 1:
        raise ValueError(f"{name} expects at least one scheduler, but got no scheduler.")
    for index, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{name} at index {index} should have `optimizer` as its attribute.")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{name} does not support `ReduceLROnPlateau` scheduler as it "
                             "requires additional kwargs to be specified when calling `step`, "
                             f"but got one at index {index} in the given schedulers sequence.")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"{name} expects all schedulers to belong to the same optimizer, "
                             f"but got scheduler {type(scheduler).__name__} at index {index} "
                             "with a different one")
    if len(milestones) != len(schedulers) - 1:
        raise ValueError("Sequential Schedulers expects number of schedulers provided to be one "
                         "more than the number of milestone points, but got number of schedulers "
                         f"{len(schedulers)} and the number of milestones to be equal to "
                         f"{len(milestones)}")


def _undo_initial_steps(scheduler):
    # torch's recursive_undo: a nested SequentialLR passes the undo to its own schedulers
    if hasattr(scheduler, "_schedulers"):
        for inner in scheduler._schedulers:
            _undo_initial_steps(inner)
    elif hasattr(scheduler, "last_epoch"):
        scheduler.last_epoch -= 1


class ChainedScheduler(LRScheduler):
    """Step every scheduler at each step(), in order, so that their changes compose (each
    multiplies the rate the previous one left, in torch's chainable form).

    Args:
        schedulers: the schedulers, all on one optimizer (not ReduceLROnPlateau).
        optimizer: that optimizer (default: the first scheduler's).
    """

    def __init__(self, schedulers, optimizer=None):
        if len(schedulers) < 1:
            raise ValueError(f"{type(self).__name__} expects at least one scheduler to be "
                             "chained, but got no scheduler.")
        optimizer = optimizer or schedulers[0].optimizer
        _check(optimizer, schedulers, [None] * (len(schedulers) - 1), type(self).__name__)
        self._schedulers = schedulers
        self.optimizer = optimizer
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]

    def step(self):
        """Step each scheduler in turn."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = [group["lr"] for group in self._schedulers[-1].optimizer.param_groups]

    def state_dict(self):
        """The attributes but the optimizer, and each scheduler's own state dict."""
        return _nested_state_dict(self)

    def load_state_dict(self, state_dict):
        _load_nested_state_dict(self, state_dict)
