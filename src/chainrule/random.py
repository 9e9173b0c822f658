"""Random number generators: chainrule.Generator, as torch.Generator, and the one function that
turns what a caller was given (an int seed, a Generator, or None for the global generator that
`manual_seed` sets) into the array library's generator to draw from."""
import contextlib

from chainrule import backend
from chainrule.backend import xp

# torch.Generator().initial_seed(): an unseeded generator is deterministic there too.
_DEFAULT_SEED = 67280421310721


class Generator:
    """A random number generator of one's own, as torch.Generator: shuffling and splits that are
    reproducible without touching the global seed. `Generator().manual_seed(0)`."""

    def __init__(self, device="cpu"):
        backend.check_device(device, "Generator")
        self.device = backend.device(device)
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


def as_generator(generator, name):
    """A Generator or None as given; an int seed becomes a Generator seeded with it."""
    if isinstance(generator, int) and not isinstance(generator, bool):
        return Generator().manual_seed(generator)
    numpy_generator(generator, name)   # checks the type
    return generator


def numpy_generator(generator, name):
    """The array library's generator behind a Generator or None (the global one)."""
    if generator is None:
        return backend.generator()
    if isinstance(generator, Generator):
        return generator._rng
    raise TypeError(f"{name}: generator must be a chainrule.Generator, an int seed or None, got "
                    f"{type(generator).__name__}")


def rng(seed, name):
    """The array library's generator for an int seed, a Generator or None (the global one)."""
    return numpy_generator(as_generator(seed, name), name)


# ----- the global generator, as torch's module-level functions ----------------------------------
class _DefaultGenerator(Generator):
    """chainrule.default_generator: the global generator that manual_seed seeds, as a Generator
    (what torch.manual_seed returns)."""

    def __init__(self):
        self.device = backend.device("cpu")

    _rng = property(lambda self: backend.generator())
    _seed = property(lambda self: backend.initial_seed())

    def manual_seed(self, seed):
        backend.manual_seed(seed)
        return self


default_generator = _DefaultGenerator()


def manual_seed(seed):
    """Seed the global generator (rand, randn, dropout, init, shuffling); returns it."""
    return default_generator.manual_seed(seed)


def initial_seed():
    """The seed the global generator last started from (manual_seed's, or seed()'s)."""
    return backend.initial_seed()


def seed():
    """Reseed the global generator from fresh entropy; returns the new seed."""
    return default_generator.seed()


_STATE_BYTES = 48   # PCG64's state and increment (16 bytes each), its cached half-word, the seed


def get_rng_state():
    """The global generator's state as a uint8 tensor, which set_rng_state restores (and
    chainrule.save can store). torch's ByteTensor holds its own generator's state: the two
    libraries' states do not interchange."""
    from chainrule.tensor import Tensor
    state = backend.generator().bit_generator.state
    fields = [(state["state"]["state"], 16), (state["state"]["inc"], 16),
              (state["has_uint32"], 4), (state["uinteger"], 4), (backend.initial_seed(), 8)]
    data = b"".join(value.to_bytes(size, "little") for value, size in fields)
    return Tensor._make(xp.frombuffer(data, dtype=xp.uint8).copy())


def set_rng_state(new_state):
    """Restore the global generator to a state get_rng_state returned."""
    from chainrule.tensor import Tensor
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
    backend.manual_seed(number[4])
    backend.generator().bit_generator.state = {
        "bit_generator": "PCG64", "state": {"state": number[0], "inc": number[1]},
        "has_uint32": number[2], "uinteger": number[3]}


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, _caller="fork_rng", _devices_kw="devices",
             device_type="cpu"):
    """Draws inside the block leave the global generator as it was before it (CPU only: the
    devices argument may name no accelerator)."""
    for device in devices or ():
        backend.check_device(device, "fork_rng")
    if not enabled:
        yield
        return
    saved = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(saved)
