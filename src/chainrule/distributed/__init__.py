"""chainrule.distributed: importable, not yet usable. Training across processes arrives with the
data-parallel issue; until then is_available() and is_initialized() are False and anything that
would start or use a process group is refused with that explanation."""

__all__ = ["barrier", "destroy_process_group", "get_rank", "get_world_size",
           "init_process_group", "is_available", "is_initialized"]

_NOT_YET = ("chainrule.distributed is not yet available (not yet: the data-parallel issue); "
            "train in one process, without init_process_group")


def is_available():
    return False


def is_initialized():
    return False


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    raise RuntimeError(f"init_process_group: {_NOT_YET}")


def _refuse(name):
    raise RuntimeError(f"{name}: the default process group has not been initialized: "
                       f"{_NOT_YET}")


def get_rank(group=None):
    _refuse("get_rank")


def get_world_size(group=None):
    _refuse("get_world_size")


def barrier(group=None, async_op=False, device_ids=None):
    _refuse("barrier")


def destroy_process_group(group=None):
    _refuse("destroy_process_group")
