"""Grad mode: whether operations are recorded for backward. The only global state besides the RNG."""
import functools


class _State:
    enabled = True          # read on every op, so a plain class attribute (no lookups through a dict)
    anomaly = False         # detect_anomaly(): record where each op was created, check backward for NaN


state = _State


def is_grad_enabled():
    return state.enabled


class set_grad_enabled:
    """Context manager and decorator that turns recording on or off, restoring it afterwards."""

    def __init__(self, mode=True):
        self.mode = bool(mode)
        self.previous = state.enabled
        state.enabled = self.mode   # like torch: calling set_grad_enabled(False) alone takes effect

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        state.enabled = self.previous
        return False


class _GradMode:
    mode = True

    def __enter__(self):
        self.previous = state.enabled
        state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        state.enabled = self.previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_GradMode):
    """Do not record operations (inference, optimiser updates). Context manager or decorator."""
    mode = False


class enable_grad(_GradMode):
    """Record operations again inside a no_grad block. Context manager or decorator."""
    mode = True


class detect_anomaly:
    """Record where each op is created, and raise as soon as a backward produces NaN or Inf,
    naming the op and the line of user code that created it. Slow: for debugging only."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self.previous = state.anomaly
        state.anomaly = self.check_nan
        return self

    def __exit__(self, *exc):
        state.anomaly = self.previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper
