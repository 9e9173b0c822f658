"""torch.jit and torch.compile as the import hook presents them: chainrule runs every program
eagerly, so compiling or scripting returns the model or function unchanged (same results, no
speed-up); saving or loading a TorchScript archive is refused, since it has no eager form."""


def compile(model=None, *, fullgraph=False, dynamic=None, backend="inductor", mode=None,
            options=None, disable=False):
    """torch.compile: returns `model` unchanged (as a decorator too, when called without it).
    torch.compile changes speed, never results, so running eagerly keeps the program's meaning."""
    if model is None:
        return lambda function: function
    return model


def script(obj, optimize=None, _frames_up=0, _rcb=None, example_inputs=None):
    """torch.jit.script: returns `obj` unchanged; chainrule has no TorchScript compiler."""
    return obj


def trace(func, example_inputs=None, *args, **kwargs):
    """torch.jit.trace: returns `func` unchanged; it runs eagerly on every call instead."""
    return func


def ignore(drop=False, **kwargs):
    """torch.jit.ignore as a decorator, with or without arguments: leaves the function as it is."""
    if callable(drop):
        return drop
    return lambda function: function


unused = ignore


def export(function):
    """torch.jit.export: leaves the method as it is."""
    return function


def annotate(the_type, value):
    """torch.jit.annotate: the value itself."""
    return value


def is_scripting():
    return False


def is_tracing():
    return False


class ScriptModule:
    """Never instantiated: `isinstance(model, torch.jit.ScriptModule)` is False on chainrule."""


class ScriptFunction:
    """Never instantiated, as ScriptModule."""


def save(m, f, _extra_files=None):
    raise RuntimeError(
        "torch.jit.save: chainrule has no TorchScript archives (the model is never compiled). "
        "Save the weights instead: chainrule.save(model.state_dict(), 'model.safetensors'), and "
        "rebuild the model from its class before load_state_dict(chainrule.load(...)).")


def load(f, map_location=None, _extra_files=None):
    raise RuntimeError(
        f"torch.jit.load({f!r}): chainrule cannot read TorchScript archives (they hold pickled "
        "code). Export the weights from PyTorch as safetensors (safetensors.torch.save_file("
        "model.state_dict(), path)), build the model class, and "
        "load_state_dict(chainrule.load(path)).")
