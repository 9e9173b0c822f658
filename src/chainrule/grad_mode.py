"""Grad mode: whether operations are recorded for backward, kept per thread as in PyTorch (a new
thread starts with recording on), and anomaly detection, which is one switch for the process.

It sits in the bottom layer, below Tensor, and imports nothing of chainrule's: Tensor's in-place
updates read it, and so does every Function.apply. Users reach it as chainrule.no_grad,
chainrule.autograd.no_grad ... (torch.autograd.grad_mode under the porting hook)."""
import functools
import inspect
import threading


class _State(threading.local):
    # Class attributes are every thread's defaults; an assignment on `state` changes only the
    # thread that makes it. Reading a thread-local attribute costs ~20 ns more than a plain class
    # attribute, on a path (every op) that costs microseconds.
    enabled = True          # record operations for backward
    inference = False       # inside inference_mode(): recording off, and is_inference_mode_enabled
    anomaly = False         # detect_anomaly(): set on the class, so for all threads, as in torch


state = _State()


def is_grad_enabled():
    return state.enabled


def is_inference_mode_enabled():
    return state.inference


class _Mode:
    """A context manager that sets the grad mode (and inference flag) on entry and restores both
    on exit; also a decorator, for plain functions and for generators (the mode then holds while
    the generator runs, not while its caller does, as in torch)."""

    def _modes(self):
        raise NotImplementedError

    def __enter__(self):
        self._previous = (state.enabled, state.inference)
        state.enabled, state.inference = self._modes()
        return self

    def __exit__(self, *exc):
        state.enabled, state.inference = self._previous
        return False

    def clone(self):
        return self.__class__()

    def __call__(self, fn):
        if inspect.isgeneratorfunction(fn):
            return self._wrap_generator(fn)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.clone():
                return fn(*args, **kwargs)
        return wrapper

    def _wrap_generator(self, fn):
        """Each resumption of the generator runs in the mode; its caller, between resumptions,
        runs in its own."""
        @functools.wraps(fn)
        def generator(*args, **kwargs):
            inner = fn(*args, **kwargs)
            resume = inner.send
            sent = None
            while True:
                with self.clone():
                    try:
                        produced = resume(sent)
                    except StopIteration as stop:
                        return stop.value
                try:
                    sent, resume = (yield produced), inner.send
                except GeneratorExit:
                    inner.close()
                    raise
                except BaseException as error:    # thrown in by the caller: pass it on
                    sent, resume = error, inner.throw
        return generator


class _NoArgumentMode(_Mode):
    """`@no_grad()` and, as torch 2 allows, `@no_grad` without parentheses."""

    def __new__(cls, function=None):
        mode = super().__new__(cls)
        return mode if function is None else mode(function)


class no_grad(_NoArgumentMode):
    """Do not record operations (inference, optimizer updates). Context manager or decorator."""

    def _modes(self):
        return False, state.inference


class enable_grad(_NoArgumentMode):
    """Record operations again inside a no_grad block. Context manager or decorator."""

    def _modes(self):
        return True, state.inference


class set_grad_enabled(_Mode):
    """Turn recording on or off. As in torch, calling `set_grad_enabled(False)` alone takes effect
    at once; as a context manager or decorator the previous mode comes back afterwards."""

    def __init__(self, mode=True):
        self.mode = bool(mode)
        self._previous = (state.enabled, state.inference)
        state.enabled = self.mode

    def _modes(self):
        return self.mode, state.inference

    def __enter__(self):   # the mode was set by __init__, and _previous saved there
        state.enabled = self.mode
        return self

    def clone(self):
        return _Fixed(self.mode, state.inference)

    def __call__(self, fn):
        state.enabled = self._previous[0]   # decorating is not entering: undo the call's effect
        return super().__call__(fn)


class inference_mode(_Mode):
    """no_grad for code that will never need gradients: recording off (mode=True) or left as it
    is (mode=False). torch also marks tensors made here as inference tensors that autograd later
    refuses; chainrule's are ordinary tensors, so that check is not made."""

    def __new__(cls, mode=True):
        mode_object = super().__new__(cls)
        if callable(mode):          # @inference_mode without parentheses
            mode_object.__init__(True)
            return mode_object(mode)
        return mode_object

    def __init__(self, mode=True):
        self.mode = True if callable(mode) else bool(mode)

    def _modes(self):
        if not self.mode:
            return state.enabled, state.inference
        return False, True

    def clone(self):
        return inference_mode(self.mode)


class _Fixed(_Mode):
    """A given (enabled, inference) pair: what set_grad_enabled decorates with."""

    def __init__(self, enabled, inference):
        self.modes = (enabled, inference)

    def _modes(self):
        return self.modes

    def clone(self):
        return _Fixed(*self.modes)


class detect_anomaly:
    """Record where each op is created, and raise as soon as a backward produces NaN or Inf,
    naming the op and the line of user code that created it. Slow: for debugging only. As in
    torch, it is one switch for the whole process."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        self.previous = _State.anomaly
        _State.anomaly = self.check_nan
        return self

    def __exit__(self, *exc):
        _State.anomaly = self.previous
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


class set_detect_anomaly:
    """Turn anomaly detection on (mode=True) or off, as torch.autograd.set_detect_anomaly: called
    alone it takes effect at once and stays; as a context manager the previous setting comes
    back on exit. check_nan=False leaves it off, as detect_anomaly(check_nan=False) does
    (chainrule's anomaly mode is its NaN check)."""

    def __init__(self, mode, check_nan=True):
        self.previous = _State.anomaly
        _State.anomaly = bool(mode) and bool(check_nan)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _State.anomaly = self.previous
        return False
