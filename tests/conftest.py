"""Shared test set-up: op-case tables expand into one test per case and shape set."""
import pytest
import torch

# The oracle's thread pool costs far more than the work on the tiny tensors tests use.
torch.set_num_threads(1)


def pytest_generate_tests(metafunc):
    cases = getattr(metafunc.cls, "cases", None)
    if cases is None or "case" not in metafunc.fixturenames:
        return
    params, ids = [], []
    for case in cases:
        for shapes in case.shapes:
            params.append((case, shapes))
            ids.append(f"{case.name}-{'-'.join('x'.join(map(str, s)) or 'scalar' for s in shapes)}")
    metafunc.parametrize("case,shapes", params, ids=ids)


@pytest.fixture(autouse=True)
def _backend_flags_restored():
    """Ported programs set torch.backends flags (cudnn.benchmark, allow_tf32), in torch and, run
    through the hook, in chainrule: each test gets them back as they were."""
    import chainrule
    flags = [(module, name) for library in (torch, chainrule)
             for module, names in ((library.backends.cudnn, ("benchmark", "deterministic",
                                                             "enabled", "allow_tf32")),
                                   (library.backends.cuda.matmul, ("allow_tf32",)))
             for name in names]
    saved = [getattr(module, name) for module, name in flags]
    yield
    for (module, name), value in zip(flags, saved):
        setattr(module, name, value)


# ----- chainrule.distributed in this process: a world of one, without a launcher ---------------
@pytest.fixture
def world_of_one():
    """A process group of this process alone, destroyed afterwards."""
    import chainrule.distributed as dist
    dist.init_process_group("gloo")
    try:
        yield
    finally:
        dist.destroy_process_group()


@pytest.fixture
def ddp_of_one(world_of_one):
    """make(module, **kwargs): a DistributedDataParallel in a world of one. The hooks each one
    registered are removed afterwards, so that later tests run the engine as they would
    without it."""
    from chainrule.nn.parallel import DistributedDataParallel
    from chainrule.tensor import post_accumulate_hooks
    counted, made = post_accumulate_hooks[0], []

    def make(module, **kwargs):
        made.append(DistributedDataParallel(module, **kwargs))
        return made[-1]
    yield make
    for ddp in made:
        for handle in ddp._hooks:
            handle.remove()
    assert post_accumulate_hooks[0] == counted
