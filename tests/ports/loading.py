"""Load a port twice, once on real torch and once on chainrule through the import hook, and move
weights and batches between the two, so each test can run the same program on both libraries."""
import functools
import importlib.util
import pathlib

import numpy as np
import torch

import chainrule
from chainrule import porting

PROGRAMS = pathlib.Path(__file__).resolve().parent / "programs"


@functools.lru_cache(maxsize=None)
def load(name, library):
    """The program tests/ports/programs/<name>.py as a fresh module whose `import torch` gave
    `library` ("torch" or "chainrule"); its functions keep the modules they imported."""
    path = PROGRAMS / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"ports_{library}_{name}", path)
    module = importlib.util.module_from_spec(spec)
    if library == "torch":
        spec.loader.exec_module(module)
    else:
        with porting.install(force=True):
            spec.loader.exec_module(module)
    return module


def both(name):
    return load(name, "torch"), load(name, "chainrule")


def copy_weights(torch_model, chainrule_model):
    """chainrule_model takes torch_model's state (parameters and buffers), through NumPy."""
    state = {key: chainrule.from_numpy(value.detach().numpy().copy())
             for key, value in torch_model.state_dict().items()}
    chainrule_model.load_state_dict(state)


def tensors(array, library):
    """A NumPy array (or a tuple of them) as tensors of the library."""
    if isinstance(array, tuple):
        return tuple(tensors(a, library) for a in array)
    array = np.ascontiguousarray(array).copy()
    return torch.from_numpy(array) if library == "torch" else chainrule.from_numpy(array)


def numpy(value):
    """A tensor of either library (or a Python number) as a NumPy array."""
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value)


def assert_close(torch_value, chainrule_value, rtol=1e-4, atol=1e-6):
    np.testing.assert_allclose(np.asarray(numpy(chainrule_value)), np.asarray(numpy(torch_value)),
                               rtol=rtol, atol=atol)
