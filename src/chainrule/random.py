"""Randomness, in one place: the process's global generator (what manual_seed seeds and every
draw given no generator uses), chainrule.Generator (as torch.Generator: a generator of one's own,
for runs reproducible without global state), and `rng`, the one function that turns what a
caller was given (an int seed, a Generator, or None for the global generator) into the array
library's generator to draw from.

This module is in the bottom layer and makes no tensors: get_rng_state and set_rng_state, which
return and take one, are defined in chainrule.creation and bound here when it loads (as torch
offers them: torch.random.get_rng_state)."""
import contextlib

from chainrule import backend
from chainrule.backend import xp

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


def global_state():
    """(the global generator's bit-generator state, the seed it started from)."""
    return _global_rng.bit_generator.state, _global_seed


def set_global_state(state, seed):
    """Put the global generator back in a state global_state returned."""
    _seed_global(seed)
    _global_rng.bit_generator.state = state


class Generator:
    """A random number generator of one's own, as torch.Generator: draws, shuffling and splits
    that are reproducible without touching the global seed. `Generator().manual_seed(0)`."""

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


class _DefaultGenerator(Generator):
    """chainrule.default_generator: the global generator that manual_seed seeds, as a Generator
    (what torch.manual_seed returns)."""

    def __init__(self):
        self.device = backend.device("cpu")

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
        backend.check_device(device, "fork_rng")
    if not enabled:
        yield
        return
    saved = global_state()
    try:
        yield
    finally:
        set_global_state(*saved)
