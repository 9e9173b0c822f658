"""Activation checkpointing, as torch.utils.checkpoint: torch saves memory by discarding the
activations inside `function` and recomputing them during backward. chainrule runs `function`
once and keeps its activations: the results and gradients are the same, only the memory saving
is missing, so programs that checkpoint run unchanged (and use more memory)."""
import contextlib

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, early_stop=True, **kwargs):
    """function(*args, **kwargs), as torch.utils.checkpoint.checkpoint computes it. The keywords
    that steer torch's recomputation (use_reentrant, determinism_check, debug, early_stop,
    preserve_rng_state) are accepted and change nothing; context_fn's first context manager is
    entered around the call, as torch enters it around the forward pass."""
    if not callable(function):
        raise TypeError(f"checkpoint: function must be callable, got {type(function).__name__}")
    kwargs.pop("preserve_rng_state", None)
    forward_context = contextlib.nullcontext()
    if context_fn is not None:
        forward_context, _ = context_fn()
    with forward_context:
        return function(*args, **kwargs)


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run functions (an nn.Sequential or a list of modules/functions) one after another on
    input, as torch.utils.checkpoint.checkpoint_sequential computes it; segments (how many
    checkpointed pieces torch would make) must be a positive int and changes nothing else."""
    kwargs.pop("preserve_rng_state", None)
    if kwargs:
        raise ValueError("checkpoint_sequential: unexpected keyword arguments: " +
                         ",".join(kwargs))
    if isinstance(segments, bool) or not isinstance(segments, int) or segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be a positive int, got "
                         f"{segments!r}")
    if hasattr(functions, "children") and callable(functions.children):
        functions = list(functions.children())
    for function in functions:
        input = function(input)
    return input
