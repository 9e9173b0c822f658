"""Collectives on Python objects (torch's *_object functions): metrics, file names, settings.
Like torch's, they serialise with pickle, through mpi4py; they pass only between the processes
of one launch, never to or from a file."""
from chainrule.distributed.arguments import group_of, root_rank

__all__ = ["all_gather_object", "broadcast_object_list", "gather_object", "scatter_object_list"]


def broadcast_object_list(object_list, src=None, group=None, device=None, group_src=None):
    """object_list[:] ← the src rank's object_list (every rank gives a list of the same length)."""
    pg = group_of(group, "broadcast_object_list")
    if pg is None:
        return
    _check_list(object_list, "broadcast_object_list", "object_list")
    root = root_rank(pg, src, group_src, "broadcast_object_list", "src")
    object_list[:] = pg.comm.bcast(list(object_list) if pg.rank() == root else None, root)


def all_gather_object(object_list, obj, group=None):
    """object_list[r] ← rank r's obj, on every rank."""
    pg = group_of(group, "all_gather_object")
    if pg is None:
        return
    _check_list(object_list, "all_gather_object", "object_list", pg.size())
    object_list[:] = pg.comm.allgather(obj)


def gather_object(obj, object_gather_list=None, dst=None, group=None, group_dst=None):
    """On the dst rank, object_gather_list[r] ← rank r's obj."""
    pg = group_of(group, "gather_object")
    if pg is None:
        return
    root = root_rank(pg, dst, group_dst, "gather_object", "dst")
    if pg.rank() == root:
        _check_list(object_gather_list, "gather_object", "object_gather_list", pg.size())
    gathered = pg.comm.gather(obj, root)
    if pg.rank() == root:
        object_gather_list[:] = gathered


def scatter_object_list(scatter_object_output_list, scatter_object_input_list=None, src=None,
                        group=None, group_src=None):
    """scatter_object_output_list[0] ← the src rank's scatter_object_input_list[rank]."""
    pg = group_of(group, "scatter_object_list")
    if pg is None:
        return
    root = root_rank(pg, src, group_src, "scatter_object_list", "src")
    _check_list(scatter_object_output_list, "scatter_object_list", "scatter_object_output_list")
    if pg.rank() == root:
        _check_list(scatter_object_input_list, "scatter_object_list",
                    "scatter_object_input_list", pg.size())
    mine = pg.comm.scatter(list(scatter_object_input_list) if pg.rank() == root else None, root)
    scatter_object_output_list[:1] = [mine]


def _check_list(objects, who, name, size=None):
    if not isinstance(objects, list):
        raise TypeError(f"{who}: {name} must be a list, got {type(objects).__name__}")
    if size is not None and len(objects) != size:
        raise ValueError(f"{who}: {name} holds {len(objects)} items; the group has {size} ranks")
    if size is None and not objects:
        raise ValueError(f"{who}: {name} must not be empty")
