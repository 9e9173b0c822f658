"""The collectives on Tensors (and on objects) match their definitions: programs/collectives.py,
launched as 2 and, oversubscribed, 4 processes, runs each on rank-dependent float32, float64,
int64 and bool data and checks every rank's result against the definition computed with NumPy;
its refusals come on every rank alike, naming the collective and each rank's shape and dtype.
In a world of one (no launcher), each collective gives back its own tensor."""
import numpy as np
import pytest

import chainrule
import chainrule.distributed as dist
from chainrule.distributed import ReduceOp
from tests.distributed.launching import PROGRAMS, chainrule_run, rank_lines

DTYPES = ("float32", "float64", "int64", "bool")
OPS = {"float32": ("SUM", "AVG", "PRODUCT", "MIN", "MAX"),
       "float64": ("SUM", "AVG", "PRODUCT", "MIN", "MAX"),
       "int64": ("SUM", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR"),
       "bool": ("SUM", "PRODUCT", "MIN", "MAX", "BAND", "BOR", "BXOR")}
REDUCED = (("float32", "SUM"), ("int64", "MAX"), ("float64", "AVG"), ("bool", "SUM"))

# The checks the program must have made and passed, by the ranks that make them.
ON_EVERY_RANK = [
    *(f"all_reduce {op} {dtype}" for dtype in DTYPES for op in OPS[dtype]),
    *(f"reduce {op} {dtype} to the last rank" for dtype, op in REDUCED),
    "all_reduce SUM float16", "all_reduce SUM complex64", "all_reduce PRODUCT complex128",
    "all_reduce MAX int8", "all_reduce MIN uint8", "all_reduce BXOR int32",
    "all_reduce of a 0-d tensor", "all_reduce of an empty tensor",
    *(f"{name} {op} {dtype}" for dtype, op in REDUCED
      for name in ("reduce_scatter", "reduce_scatter_tensor")),
    "scatter float32 from the last rank", "scatter int64 from the last rank",
    *(f"broadcast {dtype} from {where}" for dtype in DTYPES
      for where in ("rank 0", "the last rank")),
    *(f"all_gather {dtype}" for dtype in DTYPES),
    *(f"all_gather_into_tensor {dtype}, {how}" for dtype in DTYPES
      for how in ("concatenated", "stacked")),
    *(f"gather {dtype}: the tensor given stays" for dtype in DTYPES),
    "barrier: no rank leaves before every rank has entered",
    "barrier async_op=True: a Work that waits",
    "send/recv around a ring", "recv returns the sender's rank",
    "all_reduce async_op=True returns a Work", "Work.wait() returns True, then is_completed()",
    "all_reduce async_op=True, after wait()", "broadcast async_op=True, after is_completed()",
    "all_gather async_op=True, after wait()",
    "all_reduce into a transposed view", "all_reduce into a transposed view: its base",
    "broadcast into a strided slice, the rest untouched",
    "all_gather from and into transposed views",
    "all_reduce over new_group() of every rank",
    "all_gather_object", "broadcast_object_list from the last rank",
    "scatter_object_list from rank 0", "all_reduce after the refusals"]
ON_THE_LAST_RANK = [*(f"gather {dtype} to the last rank" for dtype in DTYPES),
                    "gather_object to the last rank"]
ON_RANK_0 = ["recv from any source: each sender once",
             "recv from any source: each sender's tensor"]


def subgroup_checks(rank):
    """The odd ranks' group and the even ranks' group: a rank is in one, outside the other."""
    inside, outside = ("odd", "even") if rank % 2 else ("even", "odd")
    return [f"new_group: a member's rank and size in the {inside} group",
            f"all_reduce over the {inside} group",
            f"broadcast in the {inside} group from its last member (a global rank)",
            f"new_group: outside the {outside} group, NON_GROUP_MEMBER and rank -1",
            f"all_reduce outside the {outside} group leaves the tensor"]


def refusals(world):
    """{case: (error type, what its message says)}, the same message on every rank."""
    return {
        "all_reduce of shapes that differ": ("ValueError", [
            "all_reduce:", "same shape and dtype on every rank",
            *(f"rank {r} has float32 ({r + 1},)" for r in range(world))]),
        "all_reduce of dtypes that differ": ("ValueError", [
            "all_reduce:", "rank 0 has float64 (2,)",
            *(f"rank {r} has float32 (2,)" for r in range(1, world))]),
        "broadcast of shapes that differ": ("ValueError", [
            "broadcast:", *(f"rank {r} has float32 {(2, 3) if r % 2 == 0 else (3, 2)}"
                            for r in range(world))]),
        "all_reduce AVG of an int tensor": ("TypeError", ["all_reduce:", "AVG", "int64"]),
        "all_reduce MAX of a complex tensor": ("TypeError", ["all_reduce:", "MAX", "complex64"]),
        "all_gather with a tensor_list too short": ("ValueError", [
            "all_gather:", "tensor_list holds 1 tensors", f"the group has {world} ranks"]),
        "all_gather_into_tensor with an output too small": ("ValueError", [
            "all_gather_into_tensor:", "float32 (2, 3)", f"world_size ({world})"]),
        "broadcast from a src out of range": ("ValueError", [
            "broadcast:", f"src={world} is not a rank of the group"]),
        "reduce to a negative dst": ("ValueError", ["reduce:", "dst=-1 is not a rank"]),
        "all_reduce of a list": ("TypeError", ["all_reduce:", "must be a Tensor", "list"]),
        "all_reduce of a NumPy array": ("TypeError", ["all_reduce:", "must be a Tensor",
                                                      "ndarray"]),
    }


def own_refusals(rank):
    """Mistakes of one rank's own (the ranks other than 0 give a list only rank 0, the root, may
    give): refused there by what was wrong, and on rank 0 by who refused, so no rank waits."""
    if rank == 0:
        return {case: ("ValueError", [f"{op}: refused on rank 1", "no rank took part"])
                for case, op in (("gather_list given on a rank other than dst", "gather"),
                                 ("scatter_list given on a rank other than src", "scatter"))}
    return {
        "gather_list given on a rank other than dst": ("ValueError", [
            "gather:", "gather_list", "destination rank only (0)", f"not on rank {rank}"]),
        "scatter_list given on a rank other than src": ("ValueError", [
            "scatter:", "scatter_list", "source rank only (0)", f"not on rank {rank}"]),
    }


@pytest.fixture(scope="module", params=[2, 4], ids=["2 processes", "4 processes"])
def job(request):
    """(world size, each rank's JSON line) of one launch of programs/collectives.py."""
    world = request.param
    code, out, err, _ = chainrule_run(world, PROGRAMS / "collectives.py")
    assert code == 0, err[-4000:]
    return world, rank_lines(out, world)


def test_each_collective_matches_its_definition_on_every_rank(job):
    world, lines = job
    for line in lines:
        rank = line["rank"]
        assert line["world"] == world and line["failed"] == {}, (rank, line["failed"])
        expected = ON_EVERY_RANK + subgroup_checks(rank) + \
            (ON_THE_LAST_RANK if rank == world - 1 else []) + (ON_RANK_0 if rank == 0 else [])
        missing = sorted(set(expected) - set(line["passed"]))
        assert not missing, f"rank {rank} did not check {missing}"


@pytest.mark.parametrize("case", sorted(refusals(4)))
def test_a_refusal_comes_on_every_rank_alike_and_says_why(job, case):
    world, lines = job
    kind, says = refusals(world)[case]
    answers = [line["refused"][case] for line in lines]
    assert all(answer == answers[0] for answer in answers), answers   # the very same message
    assert answers[0][0] == kind, answers[0]
    for part in says:
        assert part in answers[0][1], answers[0]


def test_a_mistake_of_one_rank_is_refused_there_and_on_the_ranks_waiting_for_it(job):
    _, lines = job
    for line in lines:
        for case, (kind, says) in own_refusals(line["rank"]).items():
            answer = line["refused"][case]
            assert answer[0] == kind and all(part in answer[1] for part in says), answer


# ----- a world of one: no launcher ---------------------------------------------------------------


def test_in_a_world_of_one_each_collective_gives_back_its_own_tensor(world_of_one):
    values = np.array([[1.5, -2.0, 3.0]], dtype=np.float32)
    for op in ("SUM", "AVG", "PRODUCT", "MIN", "MAX"):
        t = chainrule.tensor(values.copy())
        assert dist.all_reduce(t, op=ReduceOp[op]) is None
        np.testing.assert_array_equal(t.numpy(), values)
    t, out = chainrule.tensor(values.copy()), chainrule.zeros(1, 3)
    dist.broadcast(t, src=0)
    dist.all_gather([out], t)
    np.testing.assert_array_equal(out.numpy(), values)
    out = chainrule.zeros(1, 3)
    dist.reduce_scatter_tensor(out, t)
    np.testing.assert_array_equal(out.numpy(), values)
    gathered = [None]
    dist.all_gather_object(gathered, {"a": 1})
    assert gathered == [{"a": 1}]


def test_in_a_world_of_one_async_op_returns_a_work_that_is_done_when_waited(world_of_one):
    t = chainrule.tensor([1.0, 2.0])
    work = dist.all_reduce(t, op=ReduceOp.AVG, async_op=True)
    assert isinstance(work, dist.Work)
    assert work.wait() is True and work.is_completed()
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


def test_a_non_tensor_is_refused_by_name_before_anything_is_sent(world_of_one):
    with pytest.raises(TypeError, match="broadcast: tensor must be a Tensor, got list"):
        dist.broadcast([1.0], src=0)
