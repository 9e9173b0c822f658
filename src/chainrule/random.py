"""Randomness, in one place: the process's global generator (what manual_seed seeds and every
draw given no generator uses), chainrule.Generator (as torch.Generator: a generator of one's own,
for runs reproducible without global state), and `rng`, the one function that turns what a
caller was given (an int seed, a Generator, or None for the global generator) into the array
library's generator to draw from.

It sits beside chainrule.creation, above Tensor: get_rng_state and set_rng_state return and take
the global generator's state as a tensor (torch.random.get_rng_state)."""
import contextlib

from chainrule.backend import xp
from chainrule.placement import check_device
from chainrule.placement import device as _device   # Generator's `device` parameter shadows it
from chainrule.tensor import Tensor

# torch.Generator().initial_seed(): an unseeded generator is deterministic there too.
_DEFAULT_SEED = 67280421310721

# Unseeded, each process draws differently (torch starts every process at one fixed seed); the
# seed is taken from fresh entropy and kept, so initial_seed() can still reproduce the run.
_global_seed = int(xp.random.SeedSequence().entropy % 2**63)
_global_rng = xp.random.default_rng(_global_seed)


def _seed_global(seed):
    global _global_rng, _global_seed
    try:
        number = int(seed)   # as torch: a float or a numeric string is truncated to an int
    except (TypeError, ValueError):
        raise TypeError(f"manual_seed: expected an int seed, got {type(seed).__name__} "
                        f"{seed!r}") from None
    if not -2**63 <= number < 2**64:
        raise RuntimeError(f"manual_seed: the seed must be within [-2**63, 2**64), got {seed}")
    _global_seed = number % 2**64   # torch keeps a negative seed as its unsigned 64-bit twin
    _global_rng = xp.random.default_rng(_global_seed)


def _global_state():
    """(the global generator's bit-generator state, the seed it started from)."""
    return _global_rng.bit_generator.state, _global_seed


def _set_global_state(state, seed):
    """Put the global generator back in a state _global_state returned."""
    _seed_global(seed)
    _global_rng.bit_generator.state = state


class Generator:
    """A random number generator of one's own, as torch.Generator: draws, shuffling and splits
    that are reproducible without touching the global seed. `Generator().manual_seed(0)`."""

    def __init__(self, device="cpu"):
        check_device(device, "Generator")
        self.device = _device(device)
        self.manual_seed(_DEFAULT_SEED)

    def manual_seed(self, seed):
        try:
            self._seed = int(seed)
        except (TypeError, ValueError):
            raise RuntimeError(f"Generator.manual_seed: expected an int seed, got "
                               f"{type(seed).__name__} {seed!r}") from None
        self._rng = xp.random.default_rng(self._seed)
        return self

    def seed(self):
        """Reseed from fresh entropy and return the new seed."""
        return self.manual_seed(xp.random.SeedSequence().entropy % 2**63)._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        return self._rng.bit_generator.state

    def set_state(self, state):
        self._rng.bit_generator.state = state
        return self


class _DefaultGenerator(Generator):
    """chainrule.default_generator: the global generator that manual_seed seeds, as a Generator
    (what torch.manual_seed returns)."""

    def __init__(self):
        self.device = _device("cpu")

    @property
    def _rng(self):
        return _global_rng

    @property
    def _seed(self):
        return _global_seed

    def manual_seed(self, seed):
        _seed_global(seed)
        return self


default_generator = _DefaultGenerator()


def as_generator(generator, name):
    """A Generator or None as given; an int seed becomes a Generator seeded with it."""
    if isinstance(generator, int) and not isinstance(generator, bool):
        return Generator().manual_seed(generator)
    numpy_generator(generator, name)   # checks the type
    return generator


def numpy_generator(generator, name):
    """The array library's generator behind a Generator or None (the global one)."""
    if generator is None:
        return _global_rng
    if isinstance(generator, Generator):
        return generator._rng
    raise TypeError(f"{name}: generator must be a chainrule.Generator, an int seed or None, got "
                    f"{type(generator).__name__}")


def rng(seed, name):
    """The array library's generator for an int seed, a Generator or None (the global one)."""
    return numpy_generator(as_generator(seed, name), name)


# ----- the global generator, as torch's module-level functions ----------------------------------
def manual_seed(seed):
    """Seed the global generator (rand, randn, dropout, init, shuffling); returns it."""
    return default_generator.manual_seed(seed)


def initial_seed():
    """The seed the global generator last started from (manual_seed's, or seed()'s)."""
    return _global_seed


def seed():
    """Reseed the global generator from fresh entropy; returns the new seed."""
    return default_generator.seed()


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cpu"):
    """Draws inside the block leave the global generator as it was before it (CPU only: the
    devices argument may name no accelerator)."""
    for device in devices or ():
        check_device(device, "fork_rng")
    if not enabled:
        yield
        return
    saved = _global_state()
    try:
        yield
    finally:
        _set_global_state(*saved)


# ----- the global generator's state, as a tensor (torch.get_rng_state) ---------------------------
_STATE_BYTES = 48   # PCG64's state and increment (16 bytes each), its cached half-word, the seed


def get_rng_state():
    """The global generator's state as a uint8 tensor, which set_rng_state restores (and
    chainrule.save can store). torch's ByteTensor holds its own generator's state: the two
    libraries' states do not interchange."""
    state, seed = _global_state()
    fields = [(state["state"]["state"], 16), (state["state"]["inc"], 16),
              (state["has_uint32"], 4), (state["uinteger"], 4), (seed, 8)]
    data = b"".join(value.to_bytes(size, "little") for value, size in fields)
    return Tensor._make(xp.frombuffer(data, dtype=xp.uint8).copy())


def set_rng_state(new_state):
    """Restore the global generator to a state get_rng_state returned."""
    if not isinstance(new_state, Tensor):
        raise TypeError(f"set_rng_state: expected the uint8 tensor get_rng_state returns, got "
                        f"{type(new_state).__name__}")
    if new_state.array.dtype != xp.uint8 or new_state.array.shape != (_STATE_BYTES,):
        raise RuntimeError(f"set_rng_state: expected the uint8 tensor of shape ({_STATE_BYTES},) "
                           f"that chainrule.get_rng_state returns, got a {new_state.dtype} tensor "
                           f"of shape {new_state.shape} (a torch state does not carry over)")
    data = new_state.array.tobytes()
    number = [int.from_bytes(data[start:end], "little")
              for start, end in ((0, 16), (16, 32), (32, 36), (36, 40), (40, 48))]
    state = {"bit_generator": "PCG64", "state": {"state": number[0], "inc": number[1]},
             "has_uint32": number[2], "uinteger": number[3]}
    _set_global_state(state, number[4])
