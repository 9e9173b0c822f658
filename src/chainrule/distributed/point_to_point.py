"""Point to point: send and recv (blocking), isend and irecv (returning a Work)."""
from chainrule.backend import xp
from chainrule.distributed.arguments import (array_of, contiguous, group_of, mpi_buffer,
                                              root_rank, store)
from chainrule.distributed.group import mpi
from chainrule.distributed.work import Work, skipped, wait_for

__all__ = ["irecv", "isend", "recv", "send"]


def send(tensor, dst=None, group=None, tag=0, group_dst=None):
    """Send tensor to the dst rank (blocks until it may be reused)."""
    isend(tensor, dst, group, tag, group_dst).wait()


def recv(tensor, src=None, group=None, tag=0, group_src=None):
    """tensor ← what the src rank sends (any rank if src is None); returns the sender's rank."""
    work = irecv(tensor, src, group, tag, group_src)
    work.wait()
    return work.source_rank()


def isend(tensor, dst=None, group=None, tag=0, group_dst=None):
    array = array_of(tensor, "isend")
    pg = group_of(group, "isend")
    if pg is None:
        return skipped(True)
    peer = root_rank(pg, dst, group_dst, "isend", "dst")
    return Work(pg.comm.Isend(mpi_buffer(contiguous(array)), peer, tag), None, pg, "isend")


def irecv(tensor, src=None, group=None, tag=0, group_src=None):
    array = array_of(tensor, "irecv")
    pg = group_of(group, "irecv")
    if pg is None:
        return skipped(True)
    MPI = mpi("irecv")
    anyone = src is None and group_src is None
    peer = MPI.ANY_SOURCE if anyone else root_rank(pg, src, group_src, "irecv", "src")
    buffer, status = xp.empty(array.shape, dtype=array.dtype), MPI.Status()
    request = pg.comm.Irecv(mpi_buffer(buffer), peer, tag)
    return _Received(request, lambda: store(tensor, buffer), status, pg)


class _Received(Work):
    """A receive's Work, which also knows who sent."""

    def __init__(self, request, finish, status, pg):
        super().__init__(request, finish, pg, "recv")
        self._status = status

    def wait(self, timeout=None):
        if not self._done:
            limit = timeout.total_seconds() if timeout is not None else self._pg.timeout
            wait_for(self._request, limit, self._who, self._status)
            self._complete()
        return True

    def source_rank(self):
        return self._pg.ranks[self._status.Get_source()]
