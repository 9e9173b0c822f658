"""Every collective of chainrule.distributed on rank-dependent data, each result checked on every
rank against the collective's definition computed here with NumPy from what each rank gave; then
the refusals (refusals.py). Run as `chainrule run -n N collectives.py`. Each rank prints one JSON
line: {"rank", "world", "passed": [check], "failed": {check: why}, "refused": {case: [error type,
message]}}."""
import json
import time

import numpy as np
import refusals  # the module beside this program

import chainrule
import chainrule.distributed as dist
from chainrule.distributed import ReduceOp

SHAPE = (2, 3)
DTYPES = ("float32", "float64", "int64", "bool")
# The reductions each dtype takes: AVG needs floats, the bitwise ones integers or bools.
OPS = {"float32": ("SUM", "AVG", "PRODUCT", "MIN", "MAX"),
       "float64": ("SUM", "AVG", "PRODUCT", "MIN", "MAX"),
       "int64": ("SUM", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"),
       "bool": ("SUM", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR")}
# Each reduction's definition over the stacked ranks' arrays. On bools the result is cast back,
# so SUM is any and PRODUCT all, as torch's.
DEFINITIONS = {"SUM": lambda s: s.sum(0), "AVG": lambda s: s.sum(0) / len(s),
               "PRODUCT": lambda s: s.prod(0), "MIN": lambda s: s.min(0),
               "MAX": lambda s: s.max(0), "BAND": lambda s: np.bitwise_and.reduce(s, 0),
               "BOR": lambda s: np.bitwise_or.reduce(s, 0),
               "BXOR": lambda s: np.bitwise_xor.reduce(s, 0)}

passed, failed = [], {}


def data(rank, dtype, part=0):
    """Rank r's values (part: which of several a rank gives): different on each rank and in each
    element, negative ones too, and dyadic fractions, so that sums, products and means come out
    exactly in any order."""
    base = np.arange(6).reshape(SHAPE) + 6 * part
    if dtype == "bool":
        return (base + rank) % 3 == 0
    if dtype == "int64":
        return base * (rank + 1) - 2 * rank
    return ((base - 2.5) * (rank + 1) / 4).astype(dtype)


def tensor(array):
    return chainrule.tensor(np.array(array))


def reduced(op, arrays):
    """op over the ranks' arrays, by its definition."""
    stack = np.stack(arrays)
    return DEFINITIONS[op](stack).astype(stack.dtype)


def check(name, got, expected):
    """Record whether got (a Tensor, a list of them, or what NumPy makes an array of) is
    expected exactly, in shape and dtype as well as value."""
    if isinstance(got, list) and got and isinstance(got[0], chainrule.Tensor):
        got = np.stack([t.numpy() for t in got])
    got = got.numpy() if isinstance(got, chainrule.Tensor) else np.asarray(got)
    expected = np.asarray(expected)
    if got.dtype == expected.dtype and got.shape == expected.shape and (got == expected).all():
        passed.append(name)
    else:
        failed[name] = (f"got {got.dtype} {got.tolist()}, expected {expected.dtype} "
                        f"{expected.tolist()}")


def check_reductions(rank, world):
    for dtype in DTYPES:
        everyone = [data(r, dtype) for r in range(world)]
        for op in OPS[dtype]:
            t = tensor(data(rank, dtype))
            returned = dist.all_reduce(t, op=ReduceOp[op])
            check(f"all_reduce {op} {dtype}", t, reduced(op, everyone))
            check(f"all_reduce {op} {dtype} returns None", returned is None, True)
    last = world - 1
    for dtype, op in (("float32", "SUM"), ("int64", "MAX"), ("float64", "AVG"), ("bool", "SUM")):
        t = tensor(data(rank, dtype))
        dist.reduce(t, dst=last, op=ReduceOp[op])
        everyone = [data(r, dtype) for r in range(world)]
        # the others' tensors are left as they were
        check(f"reduce {op} {dtype} to the last rank", t,
              reduced(op, everyone) if rank == last else data(rank, dtype))


def check_other_dtypes_and_shapes(rank, world):
    """Beyond the four dtypes: half and complex floats, small ints, a 0-d and an empty tensor."""
    for dtype, op in (("float16", "SUM"), ("complex64", "SUM"), ("complex128", "PRODUCT"),
                      ("int8", "MAX"), ("uint8", "MIN"), ("int32", "BXOR")):
        everyone = [data(r, "int64").astype(dtype) for r in range(world)]
        t = tensor(everyone[rank])
        dist.all_reduce(t, op=ReduceOp[op])
        check(f"all_reduce {op} {dtype}", t, reduced(op, everyone))
    t = tensor(np.float32(rank + 0.5))
    dist.all_reduce(t)
    check("all_reduce of a 0-d tensor", t, np.float32(sum(r + 0.5 for r in range(world))))
    t = tensor(np.zeros((0, 3), dtype=np.float32))
    dist.all_reduce(t)
    check("all_reduce of an empty tensor", t, np.zeros((0, 3), dtype=np.float32))


def check_scatters(rank, world):
    """reduce_scatter(_tensor): rank r gets op over the ranks of their part r."""
    for dtype, op in (("float32", "SUM"), ("int64", "MAX"), ("float64", "AVG"), ("bool", "SUM")):
        mine = reduced(op, [data(r, dtype, part=rank) for r in range(world)])
        out = tensor(np.zeros_like(data(rank, dtype)))
        dist.reduce_scatter(out, [tensor(data(rank, dtype, part=j)) for j in range(world)],
                            op=ReduceOp[op])
        check(f"reduce_scatter {op} {dtype}", out, mine)
        whole = np.concatenate([data(rank, dtype, part=j) for j in range(world)])
        out = tensor(np.zeros_like(data(rank, dtype)))
        dist.reduce_scatter_tensor(out, tensor(whole), op=ReduceOp[op])
        check(f"reduce_scatter_tensor {op} {dtype}", out, mine)
    last = world - 1
    for dtype in ("float32", "int64"):
        out = tensor(np.zeros_like(data(rank, dtype)))
        parts = [tensor(data(last, dtype, part=j)) for j in range(world)]
        dist.scatter(out, parts if rank == last else None, src=last)
        check(f"scatter {dtype} from the last rank", out, data(last, dtype, part=rank))


def check_broadcasts_and_gathers(rank, world):
    last = world - 1
    for dtype in DTYPES:
        everyone = np.stack([data(r, dtype) for r in range(world)])
        for src, where in ((0, "rank 0"), (last, "the last rank")):
            t = tensor(data(rank, dtype))
            dist.broadcast(t, src=src)
            check(f"broadcast {dtype} from {where}", t, data(src, dtype))
        outs = [tensor(np.zeros_like(data(0, dtype))) for _ in range(world)]
        dist.all_gather(outs, tensor(data(rank, dtype)))
        check(f"all_gather {dtype}", outs, everyone)
        out = tensor(np.zeros((world * 2, 3), dtype=dtype))
        dist.all_gather_into_tensor(out, tensor(data(rank, dtype)))
        check(f"all_gather_into_tensor {dtype}, concatenated", out, np.concatenate(everyone))
        out = tensor(np.zeros((world, 2, 3), dtype=dtype))
        dist.all_gather_into_tensor(out, tensor(data(rank, dtype)))
        check(f"all_gather_into_tensor {dtype}, stacked", out, everyone)
        t = tensor(data(rank, dtype))
        outs = [tensor(np.zeros_like(data(0, dtype))) for _ in range(world)]
        dist.gather(t, outs if rank == last else None, dst=last)
        if rank == last:
            check(f"gather {dtype} to the last rank", outs, everyone)
        check(f"gather {dtype}: the tensor given stays", t, data(rank, dtype))


def check_barrier(rank, world):
    """No rank leaves the barrier before the last has entered it."""
    time.sleep(0.05 * rank)   # the ranks come to it one after the other
    entered = time.time()
    dist.barrier()
    left = time.time()
    times = [None] * world
    dist.all_gather_object(times, entered)
    check("barrier: no rank leaves before every rank has entered", left >= max(times), True)
    work = dist.barrier(async_op=True)
    check("barrier async_op=True: a Work that waits", work.wait() and work.is_completed(), True)


def check_point_to_point(rank, world):
    """Around a ring (each rank sends to the next), then all to rank 0 from any source."""
    right, left = (rank + 1) % world, (rank - 1) % world
    work = dist.isend(tensor(data(rank, "float64")), dst=right)
    got = tensor(np.zeros(SHAPE))
    sender = dist.recv(got, src=left)
    work.wait()
    check("send/recv around a ring", got, data(left, "float64"))
    check("recv returns the sender's rank", sender, left)
    if rank != 0:
        dist.send(tensor(data(rank, "int64")), dst=0)
        return
    received = {}
    for _ in range(world - 1):
        got = tensor(np.zeros(SHAPE, dtype=np.int64))
        sender = dist.recv(got)   # any source
        received[sender] = got.numpy()
    check("recv from any source: each sender once", sorted(received), list(range(1, world)))
    check("recv from any source: each sender's tensor", [tensor(received[r]) for r in
                                                          sorted(received)],
          np.stack([data(r, "int64") for r in range(1, world)]))


def check_async(rank, world):
    everyone = [data(r, "float32") for r in range(world)]
    t = tensor(data(rank, "float32"))
    work = dist.all_reduce(t, async_op=True)
    check("all_reduce async_op=True returns a Work", isinstance(work, dist.Work), True)
    check("Work.wait() returns True, then is_completed()", work.wait() and work.is_completed(),
          True)
    check("all_reduce async_op=True, after wait()", t, reduced("SUM", everyone))
    t = tensor(data(rank, "float32"))
    work = dist.broadcast(t, src=world - 1, async_op=True)
    while not work.is_completed():   # completes by being asked, without wait()
        time.sleep(0.001)
    check("broadcast async_op=True, after is_completed()", t, everyone[-1])
    outs = [tensor(np.zeros(SHAPE, dtype=np.float32)) for _ in range(world)]
    dist.all_gather(outs, tensor(everyone[rank]), async_op=True).wait()
    check("all_gather async_op=True, after wait()", outs, np.stack(everyone))


def check_views(rank, world):
    """Non-contiguous tensors: the result lands in the view and, through it, in its base."""
    everyone = [data(r, "float32") for r in range(world)]
    base = tensor(data(rank, "float32").T)
    view = base.t()
    dist.all_reduce(view)
    check("all_reduce into a transposed view", view, reduced("SUM", everyone))
    check("all_reduce into a transposed view: its base", base, reduced("SUM", everyone).T)
    wide = tensor(np.zeros((2, 6), dtype=np.float32))
    strided = wide[:, ::2]
    strided.array[...] = everyone[rank]
    dist.broadcast(strided, src=world - 1)
    expected = np.zeros((2, 6), dtype=np.float32)
    expected[:, ::2] = everyone[-1]
    check("broadcast into a strided slice, the rest untouched", wide, expected)
    outs = [tensor(np.zeros((3, 2), dtype=np.float32)).t() for _ in range(world)]
    dist.all_gather(outs, tensor(everyone[rank].T).t())
    check("all_gather from and into transposed views", outs, np.stack(everyone))


def check_subgroups(rank, world):
    """The odd ranks and the even ranks as groups: each rank is in one of them, outside the
    other."""
    for name, members in (("odd", list(range(1, world, 2))), ("even", list(range(0, world, 2)))):
        group = dist.new_group(members)
        t = tensor(data(rank, "float64"))
        dist.all_reduce(t, group=group)
        if rank in members:
            check(f"new_group: a member's rank and size in the {name} group",
                  [dist.get_rank(group), dist.get_world_size(group)],
                  [members.index(rank), len(members)])
            check(f"all_reduce over the {name} group", t,
                  reduced("SUM", [data(r, "float64") for r in members]))
            t = tensor(data(rank, "int64"))
            dist.broadcast(t, src=members[-1], group=group)
            check(f"broadcast in the {name} group from its last member (a global rank)", t,
                  data(members[-1], "int64"))
            dist.destroy_process_group(group)
        else:
            check(f"new_group: outside the {name} group, NON_GROUP_MEMBER and rank -1",
                  [group is dist.GroupMember.NON_GROUP_MEMBER, dist.get_rank(group)], [1, -1])
            check(f"all_reduce outside the {name} group leaves the tensor", t,
                  data(rank, "float64"))
    everyone = dist.new_group()
    t = tensor(data(rank, "int64"))
    dist.all_reduce(t, group=everyone)
    check("all_reduce over new_group() of every rank", t,
          reduced("SUM", [data(r, "int64") for r in range(world)]))


def check_objects(rank, world):
    def thing(r):
        return {"rank": r, "name": "x" * r, "values": (r, r / 2, [None] * r)}
    last = world - 1
    gathered = [None] * world
    dist.all_gather_object(gathered, thing(rank))
    check("all_gather_object", gathered == [thing(r) for r in range(world)], True)
    objects = [thing(last), "from the last"] if rank == last else [None, None]
    dist.broadcast_object_list(objects, src=last)
    check("broadcast_object_list from the last rank", objects == [thing(last), "from the last"],
          True)
    gathered = [None] * world if rank == last else None
    dist.gather_object(thing(rank), gathered, dst=last)
    if rank == last:
        check("gather_object to the last rank", gathered == [thing(r) for r in range(world)],
              True)
    out = [None]
    dist.scatter_object_list(out, [thing(10 + r) for r in range(world)] if rank == 0 else None,
                             src=0)
    check("scatter_object_list from rank 0", out == [thing(10 + rank)], True)


def main():
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    for checks in (check_reductions, check_other_dtypes_and_shapes, check_scatters,
                   check_broadcasts_and_gathers, check_barrier, check_point_to_point,
                   check_async, check_views, check_subgroups, check_objects):
        checks(rank, world)
    refused = refusals.collected(rank, world)
    t = tensor(data(rank, "float32"))
    dist.all_reduce(t)   # the refusals left every rank in step
    check("all_reduce after the refusals", t, reduced("SUM", [data(r, "float32")
                                                              for r in range(world)]))
    print(json.dumps({"rank": rank, "world": world, "passed": passed, "failed": failed,
                      "refused": refused}), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
