"""Random number generators: chainrule.Generator, as torch.Generator, and the one function that
turns what a caller was given (an int seed, a Generator, or None for the global generator that
`manual_seed` sets) into the array library's generator to draw from."""
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
        self._seed = int(seed)
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
