"""chainrule.distributed imports, says it is not available and refuses to start a process group."""
import pytest


def test_distributed_is_importable_but_not_yet_available():
    import chainrule.distributed as dist
    assert dist.is_available() is False and dist.is_initialized() is False
    with pytest.raises(RuntimeError, match="init_process_group: .*not yet: the data-parallel"):
        dist.init_process_group("gloo", rank=0, world_size=1)
    for name in ("get_rank", "get_world_size", "barrier", "destroy_process_group"):
        with pytest.raises(RuntimeError, match=f"{name}: the default process group has not "
                                               "been initialized"):
            getattr(dist, name)()
