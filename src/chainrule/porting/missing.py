"""What a PyTorch program may reach for that chainrule does not have, and what to use instead:
the advice the import hook gives when `torch.X` (or a sibling package) cannot be mapped."""

# Packages built on real torch: they cannot run on chainrule's tensors, so the hook refuses them
# by name rather than letting them import the real torch next to chainrule.
SIBLINGS = {
    "torchvision": "torchvision is not part of chainrule. For datasets, load the arrays with NumPy "
                   "(or use chainrule.data.datasets) and wrap them in TensorDataset; write "
                   "transforms as functions on tensors; for models, define the layers in nn.",
    "torchaudio": "torchaudio is not part of chainrule: load audio with a NumPy reader and wrap "
                  "the arrays in TensorDataset.",
    "torchtext": "torchtext is not part of chainrule: tokenise in Python and wrap the index "
                 "arrays in TensorDataset.",
}

# torch submodules chainrule leaves out on purpose (or has not yet), with the advice to give.
SUBMODULES = {
    "torch.distributions": "there is no distributions module: sample with "
                           "chainrule.randn/rand/multinomial and write log-densities as tensor "
                           "expressions (e.g. -0.5 * ((x - mu) / sigma) ** 2 - sigma.log() - ...).",
    "torch.hub": "chainrule downloads nothing at run time: fetch the weights yourself as a "
                 ".safetensors file and load them with chainrule.load + load_state_dict.",
    "torch.onnx": "chainrule cannot export ONNX graphs: it has no tracing compiler.",
    "torch.fx": "chainrule has no graph capture (torch.fx): it runs programs eagerly.",
    "torch.sparse": "chainrule has dense tensors only: use dense tensors.",
    "torch.quantization": "chainrule computes in float32/float64 only: train without quantisation.",
    "torch.ao": "chainrule computes in float32/float64 only: train without quantisation.",
    "torch.export": "chainrule cannot export programs: it runs them eagerly.",
    "torch.package": "chainrule never pickles code: save weights with chainrule.save(state_dict).",
    "torch.testing": "compare with chainrule.allclose(a, b, rtol, atol), or "
                     "numpy.testing.assert_allclose(a.numpy(), b.numpy()).",
}

ADVICE_FALLBACK = ("see README section 'Where chainrule differs from PyTorch' for what is "
                   "missing; the rest of chainrule's API is listed by dir(chainrule)")


def submodule_message(torch_name, chainrule_name):
    """The ImportError text for `import torch_name` when chainrule_name does not exist."""
    advice = _advice_for(torch_name)
    return (f"chainrule has no {torch_name} (the import hook looked for {chainrule_name}): "
            f"{advice}")


def attribute_message(name):
    """The AttributeError text for `torch.name` when chainrule has no such name."""
    advice = _advice_for(f"torch.{name}")
    return f"chainrule has no torch.{name} (looked for chainrule.{name}): {advice}"


def _advice_for(torch_name):
    for prefix, advice in {**SUBMODULES, **SIBLINGS}.items():
        if torch_name == prefix or torch_name.startswith(prefix + "."):
            return advice
    return ADVICE_FALLBACK
