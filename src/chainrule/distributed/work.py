"""What a collective started with async_op=True returns (Work), and waiting with the process
group's timeout (wait_for), for the collectives and DistributedDataParallel alike."""
import time

__all__ = ["Work", "run", "skipped", "wait_for"]


class Work:
    """A collective started with async_op=True: wait() blocks until it is done (and its results
    are in the tensors); is_completed() asks without blocking."""

    def __init__(self, request, finish=None, pg=None, who="collective"):
        self._request, self._finish, self._done = request, finish, False
        self._pg, self._who = pg, who

    def wait(self, timeout=None):
        """Wait (at most timeout, a timedelta, else the group's) for the collective to end."""
        if not self._done:
            limit = timeout.total_seconds() if timeout is not None else \
                self._pg.timeout if self._pg is not None else None
            wait_for(self._request, limit, self._who)
            self._complete()
        return True

    def is_completed(self):
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def is_success(self):
        return self.is_completed()

    def _complete(self):
        self._done = True
        if self._finish is not None:
            self._finish()


def wait_for(request, seconds, who, status=None):
    """request.Wait(), but raising after `seconds` (None: no limit). MPI's own Wait also polls
    (it spins until the message is there), so polling here costs no more."""
    if seconds is None or request.Test(status):
        if seconds is None:
            request.Wait(status)
        return
    deadline, polls = time.monotonic() + seconds, 0
    while not request.Test(status):
        polls += 1
        if polls % 1024 == 0:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{who}: timed out after {seconds:g} s waiting for the other ranks: one of "
                    "them failed, ended, or called another collective (set the limit with "
                    "init_process_group(timeout=...))")
            time.sleep(0.0002)   # past the first polls, leave the core to the ranks it waits for


def run(request, finish, async_op, pg, who):
    work = Work(request, finish, pg, who)
    if async_op:
        return work
    work.wait()
    return None


def skipped(async_op):
    """What a collective returns on a rank outside its group: nothing happens there (torch)."""
    return Work(_Done()) if async_op else None


class _Done:
    def Wait(self):
        pass

    def Test(self):
        return True
