"""The process groups: before init_process_group everything refuses with torch's error; the
backend, world size and rank given to init_process_group are checked against the launch; a
process started without a launcher is a world of one; new_group leaves the ranks outside it with
NON_GROUP_MEMBER and rank -1 (programs/groups.py, launched as 2 processes)."""
import datetime

import pytest
import torch

import chainrule
import chainrule.distributed as dist
from tests.distributed.launching import PROGRAMS, chainrule_run, rank_lines

NOT_INITIALIZED = "Default process group has not been initialized"




# ----- before init_process_group: no MPI started -------------------------------------------------
def test_it_is_available_and_not_initialized():
    assert dist.is_available() and dist.is_mpi_available() and dist.is_gloo_available()
    assert not dist.is_nccl_available()
    assert not dist.is_initialized()


@pytest.mark.parametrize("name", ["get_rank", "get_world_size", "get_backend", "barrier",
                                  "destroy_process_group", "new_group"])
def test_before_init_the_functions_refuse_as_torchs_do(name):
    with pytest.raises(ValueError, match=NOT_INITIALIZED) as ours:
        getattr(dist, name)()
    assert name in str(ours.value)
    if name in ("get_rank", "get_world_size", "get_backend"):   # torch's own refusal, for these
        with pytest.raises(ValueError, match=NOT_INITIALIZED):
            getattr(torch.distributed, name)()


def test_backend_nccl_is_refused_as_needing_gpus():
    with pytest.raises(RuntimeError, match="init_process_group: backend 'nccl' needs CUDA GPUs"):
        dist.init_process_group("nccl")
    assert not dist.is_initialized()


@pytest.mark.parametrize("backend", ["tcp", "", 3])
def test_an_unknown_backend_is_refused_by_name(backend):
    with pytest.raises(ValueError, match=f"unknown backend {backend!r}.*'mpi' or 'gloo'"):
        dist.init_process_group(backend)
    assert not dist.is_initialized()


@pytest.mark.parametrize("timeout", [30, datetime.timedelta(0), datetime.timedelta(seconds=-1)])
def test_a_timeout_must_be_a_positive_timedelta(timeout):
    with pytest.raises(TypeError, match="timeout must be a positive datetime.timedelta, got"):
        dist.init_process_group("gloo", timeout=timeout)
    assert not dist.is_initialized()


# ----- a world of one ----------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["gloo", "mpi", "cpu:gloo", None])
def test_without_a_launcher_the_process_is_a_world_of_one(backend):
    dist.init_process_group(backend, timeout=datetime.timedelta(seconds=30), world_size=1,
                            rank=0, init_method="env://")
    try:
        assert dist.is_initialized()
        assert (dist.get_rank(), dist.get_world_size()) == (0, 1)
        assert dist.get_backend() == ("mpi" if backend is None else backend.split(":")[-1])
        assert dist.barrier() is None
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


def test_init_twice_is_refused(world_of_one):
    with pytest.raises(RuntimeError, match="initialize the default process group twice"):
        dist.init_process_group("gloo")


def test_a_world_size_the_launch_disagrees_with_is_refused_with_how_to_launch():
    with pytest.raises(ValueError, match=r"world_size=3, but this process was started without "
                                         r"an MPI launcher.*chainrule run -n 3"):
        dist.init_process_group("gloo", world_size=3)
    with pytest.raises(ValueError, match="rank=1 was given to the process that the MPI launcher "
                                         "made rank 0"):
        dist.init_process_group("gloo", rank=1)
    assert not dist.is_initialized()


def test_after_destroy_the_world_can_be_started_again():
    for _ in range(2):
        dist.init_process_group("gloo")
        try:
            t = chainrule.tensor([2.0])
            dist.all_reduce(t)
            assert t.item() == 2.0
        finally:
            dist.destroy_process_group()
    with pytest.raises(ValueError, match=NOT_INITIALIZED):
        dist.get_rank()


def test_new_group_takes_only_ranks_of_the_world(world_of_one):
    group = dist.new_group([0])
    assert (dist.get_rank(group), dist.get_world_size(group)) == (0, 1)
    dist.destroy_process_group(group)
    with pytest.raises(ValueError, match=r"all_reduce: the group has been destroyed"):
        dist.all_reduce(chainrule.ones(1), group=group)
    for ranks in ([1], [], [0, 0]):
        with pytest.raises(ValueError, match=r"new_group: ranks must be distinct ranks of the "
                                             r"world \(0 .. 0\)"):
            dist.new_group(ranks)
    with pytest.raises(TypeError, match="group must be a ProcessGroup"):
        dist.get_rank("world")


# ----- a launched world of two -------------------------------------------------------------------
@pytest.fixture(scope="module")
def two():
    code, out, err, _ = chainrule_run(2, PROGRAMS / "groups.py")
    assert code == 0, err[-4000:]
    return rank_lines(out, 2)


def test_launched_ranks_refuse_before_init_and_a_world_the_launch_disagrees_with(two):
    for line in two:
        refused = line["refused"]
        for name in ("get_rank", "get_world_size", "barrier", "all_reduce"):
            kind, message = refused[f"{name} before init"]
            assert kind == "ValueError" and message.startswith(f"{name}: {NOT_INITIALIZED}")
        assert refused["backend nccl"][0] == "RuntimeError"
        assert refused["an unknown backend"][0] == "ValueError"
        kind, message = refused["a world_size the launch disagrees with"]
        assert kind == "ValueError" and "world_size=3, but the MPI launch started 2 " \
            "processes" in message and "chainrule run -n 3" in message
        kind, message = refused["a rank the launch disagrees with"]
        assert kind == "ValueError" and f"made rank {line['rank']}" in message
        assert line["seen"]["is_initialized after the refusals"] is False
        assert refused["init_process_group twice"][0] == "RuntimeError"


def test_launched_ranks_know_their_rank_and_the_world_size(two):
    for line in two:
        assert line["seen"]["rank, world size, backend"] == [line["rank"], 2, "gloo"]


def test_a_rank_outside_a_new_group_gets_non_group_member_and_rank_minus_one(two):
    outside, inside = two
    assert outside["seen"]["new_group([1]) is NON_GROUP_MEMBER"] is True
    assert outside["seen"]["get_rank, get_world_size in new_group([1])"] == [-1, -1]
    assert inside["seen"]["new_group([1]) is NON_GROUP_MEMBER"] is False
    assert inside["seen"]["get_rank, get_world_size in new_group([1])"] == [0, 1]
    assert inside["refused"]["all_reduce on a destroyed group"] == [
        "ValueError", "all_reduce: the group has been destroyed"]
    for line in two:
        for case in ("new_group of a rank outside the world", "new_group of a rank twice"):
            assert line["refused"][case][0] == "ValueError"
            assert "new_group: ranks must be distinct ranks of the world (0 .. 1)" in \
                line["refused"][case][1]


def test_a_launched_world_destroyed_can_be_started_again(two):
    for line in two:
        assert line["seen"]["is_initialized after destroy_process_group"] is False
        assert line["refused"]["get_rank after destroy_process_group"][0] == "ValueError"
        assert line["seen"]["all_reduce in the world started again"] == [3.0, 3.0]
