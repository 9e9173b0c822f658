"""The process groups of a launched world: the refusals before and at init_process_group, the
ranks and sizes after it, a subgroup that leaves some ranks out, and the world destroyed and
started again. Run as `chainrule run -n N groups.py`; each rank prints one JSON line: {"rank",
"world", "seen": {what: value}, "refused": {case: [error type, message]}}."""
import json
import os

import numpy as np

import chainrule
import chainrule.distributed as dist

seen, refused = {}, {}


def refuse(case, call):
    """Record what call raised (["no error", ""] if nothing)."""
    try:
        call()
    except Exception as error:   # noqa: BLE001 - the refusal is the result
        refused[case] = [type(error).__name__, str(error)]
    else:
        refused[case] = ["no error", ""]


def before_init(rank, world):
    seen["is_initialized before init"] = dist.is_initialized()
    refuse("get_rank before init", dist.get_rank)
    refuse("get_world_size before init", dist.get_world_size)
    refuse("barrier before init", dist.barrier)
    refuse("all_reduce before init", lambda: dist.all_reduce(chainrule.zeros(2)))
    refuse("backend nccl", lambda: dist.init_process_group("nccl"))
    refuse("an unknown backend", lambda: dist.init_process_group("carrier-pigeon"))
    refuse("a world_size the launch disagrees with",
           lambda: dist.init_process_group("gloo", world_size=world + 1))
    refuse("a rank the launch disagrees with",
           lambda: dist.init_process_group("gloo", rank=(rank + 1) % world))
    seen["is_initialized after the refusals"] = dist.is_initialized()


def subgroup(rank, world):
    """The group of rank 1 alone: rank 0 is outside it."""
    group = dist.new_group([1])
    seen["new_group([1]) is NON_GROUP_MEMBER"] = group is dist.GroupMember.NON_GROUP_MEMBER
    seen["get_rank, get_world_size in new_group([1])"] = [dist.get_rank(group),
                                                           dist.get_world_size(group)]
    refuse("new_group of a rank outside the world", lambda: dist.new_group([0, world]))
    refuse("new_group of a rank twice", lambda: dist.new_group([1, 1]))
    if group is not dist.GroupMember.NON_GROUP_MEMBER:
        dist.destroy_process_group(group)
        refuse("all_reduce on a destroyed group",
               lambda: dist.all_reduce(chainrule.zeros(2), group=group))


def main():
    rank, world = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    before_init(rank, world)
    dist.init_process_group("gloo", world_size=world, rank=rank)
    refuse("init_process_group twice", lambda: dist.init_process_group("gloo"))
    seen["rank, world size, backend"] = [dist.get_rank(), dist.get_world_size(),
                                         dist.get_backend()]
    subgroup(rank, world)
    dist.destroy_process_group()
    seen["is_initialized after destroy_process_group"] = dist.is_initialized()
    refuse("get_rank after destroy_process_group", dist.get_rank)
    dist.init_process_group("mpi")   # again, after destroy
    t = chainrule.tensor(np.full(2, rank + 1.0))
    dist.all_reduce(t)
    seen["all_reduce in the world started again"] = t.tolist()
    print(json.dumps({"rank": rank, "world": world, "seen": seen, "refused": refused}),
          flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
