"""Every public op reaches the user where PyTorch's does: a name an ops family exports (its
`__all__`) must exist as chainrule.<name> where torch.<name> exists, as Tensor.<name> where
torch.Tensor has it, and likewise in nn.functional, linalg and special. An op added to a family
but not bound fails here. Names torch does not have (sum_to, rnn_cell_step...) are chainrule's own
helpers and may stay inside their family."""
import pytest
import torch

import chainrule
from chainrule import ops

NAMESPACES = {   # where torch puts a name -> where chainrule must put it
    "torch": (torch, chainrule),
    "torch.Tensor": (torch.Tensor, chainrule.Tensor),
    "torch.nn.functional": (torch.nn.functional, chainrule.nn.functional),
    "torch.linalg": (torch.linalg, chainrule.linalg),
    "torch.special": (torch.special, chainrule.special),
}

# A torch name that means a different function from the family's op of that name.
DIFFERENT_FUNCTION = {
    ("torch", "solve"): "removed from torch (it took (B, A)); the family's is torch.linalg.solve",
    ("torch.Tensor", "solve"): "removed from torch, as torch.solve",
    ("torch", "svd"): "returns V, not Vh, and takes some=: not torch.linalg.svd",
    ("torch.Tensor", "svd"): "as torch.svd",
    ("torch", "qr"): "takes some=, not mode=: not torch.linalg.qr",
    ("torch.Tensor", "qr"): "as torch.qr",
    ("torch.linalg", "vander"): "increasing powers and N=: the family's is torch.vander",
}


def exported():
    return sorted({(family.__name__, name) for family in ops.FAMILIES for name in family.__all__})


def test_every_family_lists_its_public_ops():
    unlisted = [family.__name__ for family in ops.FAMILIES if not hasattr(family, "__all__")]
    assert not unlisted, f"families without __all__: {unlisted}"


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_a_public_op_is_bound_where_torch_has_it(namespace):
    theirs, ours = NAMESPACES[namespace]
    missing = [f"{name} (from {family})" for family, name in exported()
               if hasattr(theirs, name) and not hasattr(ours, name)
               and (namespace, name) not in DIFFERENT_FUNCTION]
    assert not missing, f"{namespace} has these but chainrule's counterpart lacks them: {missing}"


def test_every_exception_is_still_needed():
    # an exception that no longer matches an export (renamed, removed or now bound) is dropped
    names = {name for _, name in exported()}
    stale = [(namespace, name) for namespace, name in DIFFERENT_FUNCTION
             if name not in names or not hasattr(NAMESPACES[namespace][0], name)
             or hasattr(NAMESPACES[namespace][1], name)]
    assert not stale, f"exceptions that no longer apply: {stale}"


def test_each_tensor_method_is_bound_by_one_family():
    # two tables binding one name: the later silently wins and the earlier is dead code
    owner, twice = {}, []
    for family in ops.FAMILIES:
        for name, function in getattr(family, "TENSOR_METHODS", {}).items():
            if name in owner and owner[name][1] is not function:
                twice.append(f"{name} ({owner[name][0]} and {family.__name__})")
            owner[name] = (family.__name__, function)
    assert not twice, f"Tensor methods bound by two families: {twice}"


def test_the_method_tables_hold_named_functions():
    # a lambda has no name or docstring for help(tensor.method) or a traceback to show
    lambdas = [f"{family.__name__}: {name}" for family in ops.FAMILIES
               for name, entry in getattr(family, "TENSOR_METHODS", {}).items()
               if getattr(entry.fget if isinstance(entry, property) else entry,
                          "__name__", "") == "<lambda>"]
    assert not lambdas, f"lambdas in TENSOR_METHODS: {lambdas}"
