"""The global generator's torch-like functions: manual_seed, initial_seed, seed, get_rng_state,
set_rng_state, fork_rng, default_generator."""
import subprocess
import sys

import pytest
import torch

import chainrule as cr
from chainrule import porting


def test_manual_seed_is_remembered_by_initial_seed_as_in_torch():
    for L in (torch, cr):
        generator = L.manual_seed(5)
        assert L.initial_seed() == 5 and generator.initial_seed() == 5
        assert L.manual_seed(-1).initial_seed() == 2**64 - 1   # the unsigned twin, as torch
        assert L.random.manual_seed(7) is not None and L.initial_seed() == 7
    assert cr.manual_seed(3) is cr.default_generator


def test_manual_seed_repeats_the_draws():
    cr.manual_seed(11)
    first = cr.randn(4).numpy().copy()
    cr.manual_seed(11)
    assert (cr.randn(4).numpy() == first).all()


def test_seed_reseeds_from_entropy_and_returns_the_new_seed():
    new = cr.seed()
    assert isinstance(new, int) and cr.initial_seed() == new
    cr.manual_seed(new)
    first = cr.rand(3).numpy().copy()
    cr.manual_seed(cr.initial_seed())
    assert (cr.rand(3).numpy() == first).all()


def test_a_seed_torch_refuses_is_refused():
    with pytest.raises(RuntimeError, match=r"manual_seed: the seed must be within"):
        cr.manual_seed(2**64)
    with pytest.raises(TypeError, match="manual_seed: expected an int seed, got list"):
        cr.manual_seed([1])


def test_rng_state_round_trips():
    cr.manual_seed(0)
    state = cr.get_rng_state()
    assert str(state.dtype) == "uint8" and state.ndim == 1   # torch's is a ByteTensor too
    first = cr.randn(5).numpy().copy()
    cr.randn(3)
    cr.set_rng_state(state)
    assert (cr.randn(5).numpy() == first).all() and cr.initial_seed() == 0


def test_rng_state_can_be_saved_in_a_checkpoint(tmp_path):
    cr.manual_seed(1)
    cr.save({"rng": cr.get_rng_state()}, tmp_path / "rng.pt")
    expected = cr.rand(2).numpy().copy()
    cr.set_rng_state(cr.load(tmp_path / "rng.pt")["rng"])
    assert (cr.rand(2).numpy() == expected).all()


@pytest.mark.parametrize("state, error, message", [
    ([1, 2], TypeError, "expected the uint8 tensor get_rng_state returns, got list"),
    (lambda: cr.zeros(3), RuntimeError, "got a float32 tensor of shape \\(3,\\)"),
])
def test_set_rng_state_refuses_what_get_rng_state_did_not_make(state, error, message):
    with pytest.raises(error, match=message):
        cr.set_rng_state(state() if callable(state) else state)


def test_fork_rng_restores_the_global_generator():
    cr.manual_seed(2)
    with cr.random.fork_rng():
        cr.randn(10)
    inside = cr.randn(3).numpy().copy()
    cr.manual_seed(2)
    assert (cr.randn(3).numpy() == inside).all()
    with pytest.raises(RuntimeError, match="fork_rng: chainrule computes on the CPU only"):
        with cr.random.fork_rng(devices=["cuda:0"]):
            pass


def test_float32_matmul_precision_is_recorded():
    assert cr.get_float32_matmul_precision() == torch.get_float32_matmul_precision() == "highest"
    try:
        cr.set_float32_matmul_precision("high")
        assert cr.get_float32_matmul_precision() == "high"
        with pytest.raises(ValueError, match="expected one of 'highest', 'high' or 'medium'"):
            cr.set_float32_matmul_precision("low")
    finally:
        cr.set_float32_matmul_precision("highest")


def test_warn_always_is_accepted():   # set_flush_denormal: tests/test_placement.py
    try:
        cr.set_warn_always(True)
        assert cr.is_warn_always_enabled()
    finally:
        cr.set_warn_always(False)


@pytest.mark.parametrize("seed", ["x", None])
def test_a_generator_seed_that_is_not_a_number_is_named(seed):
    with pytest.raises(RuntimeError):   # torch raises RuntimeError too
        torch.Generator().manual_seed(seed)
    with pytest.raises(RuntimeError, match="Generator.manual_seed: expected an int seed, got"):
        cr.Generator().manual_seed(seed)


def test_torch_random_names_are_chainrule_random_names():
    names = ("manual_seed", "seed", "initial_seed", "get_rng_state", "set_rng_state", "fork_rng",
             "default_generator")
    for name in names:
        assert hasattr(torch.random, name) and hasattr(cr.random, name), name
    assert cr.random.get_rng_state is cr.get_rng_state
    assert cr.random.set_rng_state is cr.set_rng_state
    public = {name for name in vars(cr.random) if not name.startswith("_")}
    assert not {"global_state", "set_global_state"} & public   # not torch's: private


def test_the_rng_state_functions_are_defined_in_random_itself():
    """chainrule.random defines get_rng_state and set_rng_state (nothing binds them onto it at
    import): they work in a fresh interpreter that has loaded random and not creation."""
    program = ("import sys, types\n"
               "package = types.ModuleType('chainrule')\n"
               f"package.__path__ = {list(cr.__path__)!r}\n"
               "sys.modules['chainrule'] = package\n"
               "from chainrule.random import get_rng_state, set_rng_state, manual_seed\n"
               "assert 'chainrule.creation' not in sys.modules\n"
               "manual_seed(3); state = get_rng_state(); set_rng_state(state)\n"
               "assert get_rng_state().tolist() == state.tolist()\n")
    result = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert cr.get_rng_state.__module__ == cr.set_rng_state.__module__ == "chainrule.random"


def test_torch_random_under_the_porting_hook_is_chainrule_random():
    with porting.install(force=True):
        import torch.random as hooked_random
        hooked_random.manual_seed(5)
        state = hooked_random.get_rng_state()
        first = cr.rand(2).tolist()
        hooked_random.set_rng_state(state)
        assert cr.rand(2).tolist() == first
        assert not hasattr(hooked_random, "global_state")


def test_fork_rng_restores_the_seed_too_as_in_torch():
    for L in (torch, cr):
        L.manual_seed(4)
        before = L.rand(3).tolist()
        L.manual_seed(4)
        with L.random.fork_rng():
            L.manual_seed(9)
            L.rand(2)
        assert L.initial_seed() == 4 and L.rand(3).tolist() == before


def test_a_generator_draws_without_touching_the_global_generator():
    cr.manual_seed(0)
    expected = cr.rand(4).tolist()
    cr.manual_seed(0)
    generator = cr.Generator().manual_seed(0)
    mine = [cr.rand(3, generator=generator).tolist(), cr.randn(2, generator=generator).tolist()]
    assert cr.rand(4).tolist() == expected          # the global stream went on as if untouched
    generator.manual_seed(0)
    assert [cr.rand(3, generator=generator).tolist(),
            cr.randn(2, generator=generator).tolist()] == mine
    assert generator.initial_seed() == 0 and cr.initial_seed() == 0
