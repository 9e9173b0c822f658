"""Ctrl-C during fit, deferred to a step boundary: the first SIGINT only marks the interrupt as
pending, and the loop raises KeyboardInterrupt once the current step (its optimizer step and its
callbacks) is complete; a second SIGINT raises at once.

Why: a KeyboardInterrupt raised wherever the main thread happens to be can land inside an
optimizer step (a half-updated model), a checkpoint write, or a logger holding a lock that its
own cleanup (on_fit_end: writer.close()) then waits on forever. Between steps none of that is
in progress."""
import contextlib
import signal
import threading


class PendingInterrupt:
    """The state of one deferral: how many SIGINTs arrived; check() raises at a step boundary."""

    def __init__(self):
        self.count = 0

    def handle(self, signum, frame):
        """The SIGINT handler while fit runs: the first one is kept for the next step boundary,
        a second one means the user insists, so it interrupts wherever the program is."""
        self.count += 1
        if self.count > 1:
            raise KeyboardInterrupt

    def check(self):
        """Raise the pending KeyboardInterrupt, if a SIGINT arrived (called between steps)."""
        if self.count:
            raise KeyboardInterrupt


@contextlib.contextmanager
def deferred_interrupt():
    """Defer SIGINT while the block runs; yields the PendingInterrupt to check() at boundaries.

    Only Python's own Ctrl-C handler (signal.default_int_handler) is replaced, and only in the
    main thread (the only one where signal handlers can be set, and the one signals reach).
    SIGINT ignored (SIG_IGN, as a shell starts a background job), left to kill the process
    (SIG_DFL), or handled by the program's own handler stays as it is: then check() never
    raises. The previous handler is put back when the block ends, however it ends; an interrupt
    still pending then (one that came during on_fit_end) is raised after that, unless another
    exception is already on its way out."""
    pending = PendingInterrupt()
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGINT) is not signal.default_int_handler):
        yield pending
        return
    previous = signal.signal(signal.SIGINT, pending.handle)
    try:
        yield pending
    finally:
        signal.signal(signal.SIGINT, previous)
    pending.check()   # reached only when the block ended without an exception
