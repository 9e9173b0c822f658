"""Every public op reaches the user where PyTorch's does: a name an ops family exports (its
`__all__`) must exist as chainrule.<name> where torch.<name> exists, as Tensor.<name> where
torch.Tensor has it, and likewise in nn.functional, linalg and special. An op added to a family
but not bound fails here. Names torch does not have (sum_to, rnn_cell_step...) are chainrule's own
helpers and may stay inside their family.

The modules above the ops that define public functions of their own are held to the same rule:
chainrule.special (expit, logit, xlogy ...), chainrule.linalg and its modules (checked against
torch.linalg; its modules' top-level functions, inverse and logdet ..., against torch and
torch.Tensor) and creation (zeros, randn, new_zeros ...). chainrule.special and chainrule.linalg
also mirror a torch namespace whole: each function torch.special or torch.linalg has is there, or
named in the module's _MISSING with advice. Every Tensor-method table, the families' and those
above (special, creation, autograd), binds each name once and holds named functions."""
import inspect

import pytest
import torch

import chainrule
import chainrule.linalg.least_squares
import chainrule.linalg.matrices
import chainrule.linalg.norms
from chainrule import autograd, creation, ops, special

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
}


# Modules outside the ops families with public functions of their own, and the torch namespaces
# where a name of theirs means the same function. chainrule.linalg's names are torch.linalg's:
# torch.cholesky, torch.svd, torch.cond ... of the same spelling are older or other functions.
EVERYWHERE = tuple(NAMESPACES)
ABOVE_THE_OPS = {
    special: EVERYWHERE,
    creation: EVERYWHERE,
    chainrule.linalg: ("torch.linalg",),
    chainrule.linalg.matrices: ("torch.linalg",),
    chainrule.linalg.least_squares: ("torch.linalg",),
    chainrule.linalg.norms: ("torch.linalg",),
}
# torch's top-level names that linalg's modules define beside torch.linalg's (torch.inverse ...)
LINALG_TOP_LEVEL = ("torch", "torch.Tensor")

# torch namespaces that a chainrule module mirrors whole, saying in _MISSING what it leaves out
MIRRORED = {"torch.special": special, "torch.linalg": chainrule.linalg}


def defined_functions(module):
    """The public functions a module defines itself (not those it imports)."""
    return {name for name, value in vars(module).items() if inspect.isfunction(value)
            and value.__module__ == module.__name__ and not name.startswith("_")}


def public_names(module):
    """(name, the torch namespaces where it means torch's function) for what the module offers:
    its __all__, or, for creation, which has none, the functions it defines."""
    namespaces = ABOVE_THE_OPS.get(module, EVERYWHERE)
    names = {(name, namespaces) for name in getattr(module, "__all__", ())}
    if module is creation:
        names |= {(name, namespaces) for name in defined_functions(module)}
    if module.__name__.startswith("chainrule.linalg."):
        names |= {(name, LINALG_TOP_LEVEL) for name in defined_functions(module)
                  if name not in module.__all__}
    return names


def exported():
    """(module, name, namespaces) for every public op: the families' and those above the ops."""
    return sorted({(module.__name__, name, namespaces)
                   for module in (*ops.FAMILIES, *ABOVE_THE_OPS)
                   for name, namespaces in public_names(module)})


# A method that a layer above rebinds on purpose: name -> (the table it replaces, why)
SUPERSEDED = {
    "norm": ("chainrule.ops.reduce",
             "the 2-norm; chainrule.linalg binds torch.norm's any-p form over it as it loads"),
}


def method_tables():
    """(module name, table) for every TENSOR_METHODS table: the families', then the layers above
    that bind their own (creation, autograd, linalg, special)."""
    modules = (*ops.FAMILIES, creation, autograd, chainrule.linalg, special)
    return [(module.__name__, module.TENSOR_METHODS) for module in modules
            if hasattr(module, "TENSOR_METHODS")]


def test_every_family_lists_its_public_ops():
    unlisted = [family.__name__ for family in ops.FAMILIES if not hasattr(family, "__all__")]
    assert not unlisted, f"families without __all__: {unlisted}"


def test_every_listed_name_exists():
    # a function deleted but still listed in __all__ (special.expit, say) breaks `import *`
    modules = (*ops.FAMILIES, *ABOVE_THE_OPS)
    absent = [f"{module.__name__}.{name}" for module in modules
              for name in getattr(module, "__all__", ()) if not hasattr(module, name)]
    assert not absent, f"listed in __all__ but not defined: {absent}"


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_a_public_op_is_bound_where_torch_has_it(namespace):
    theirs, ours = NAMESPACES[namespace]
    missing = [f"{name} (from {module})" for module, name, namespaces in exported()
               if namespace in namespaces and hasattr(theirs, name) and not hasattr(ours, name)
               and (namespace, name) not in DIFFERENT_FUNCTION]
    assert not missing, f"{namespace} has these but chainrule's counterpart lacks them: {missing}"


def torch_functions(namespace):
    """The public functions of a torch namespace (its classes, Tensor and errors, left out)."""
    return sorted(name for name in dir(namespace) if not name.startswith("_")
                  and callable(getattr(namespace, name))
                  and not inspect.isclass(getattr(namespace, name)))


@pytest.mark.parametrize("namespace", MIRRORED)
def test_a_mirrored_namespace_has_each_torch_function_or_says_why_not(namespace):
    ours = MIRRORED[namespace]
    theirs = torch_functions(NAMESPACES[namespace][0])
    unaccounted = [name for name in theirs if not hasattr(ours, name) and name not in ours._MISSING]
    assert not unaccounted, (f"{namespace} has these, {ours.__name__} neither has them nor names "
                             f"them in _MISSING: {unaccounted}")
    stale = [name for name in ours._MISSING if name not in theirs or name in vars(ours)]
    assert not stale, f"{ours.__name__}._MISSING names what it has or torch lacks: {stale}"


def test_every_exception_is_still_needed():
    # an exception that no longer matches an export (renamed, removed or now bound) is dropped
    names = {name for _, name, _ in exported()}
    stale = [(namespace, name) for namespace, name in DIFFERENT_FUNCTION
             if name not in names or not hasattr(NAMESPACES[namespace][0], name)
             or hasattr(NAMESPACES[namespace][1], name)]
    assert not stale, f"exceptions that no longer apply: {stale}"


def test_each_tensor_method_is_bound_by_one_table():
    # two tables binding one name: the later silently wins and the earlier is dead code
    owner, twice = {}, []
    for module, table in method_tables():
        for name, function in table.items():
            if name in owner and owner[name][1] is not function and \
                    SUPERSEDED.get(name, ("",))[0] != owner[name][0]:
                twice.append(f"{name} ({owner[name][0]} and {module})")
            owner[name] = (module, function)
    assert not twice, f"Tensor methods bound by two tables: {twice}"
    stale = [name for name, (module, _) in SUPERSEDED.items()
             if name not in dict(method_tables()).get(module, {})]
    assert not stale, f"SUPERSEDED names methods that table no longer binds: {stale}"


def test_the_method_tables_hold_named_functions():
    # a lambda has no name or docstring for help(tensor.method) or a traceback to show
    lambdas = [f"{module}: {name}" for module, table in method_tables()
               for name, entry in table.items()
               if getattr(entry.fget if isinstance(entry, property) else entry,
                          "__name__", "") == "<lambda>"]
    assert not lambdas, f"lambdas in TENSOR_METHODS: {lambdas}"


def test_the_method_tables_are_what_tensor_has():
    # a table edited after binding (or bound to the wrong class) would leave Tensor behind it
    stale = [f"{module}: {name}" for module, table in method_tables()
             for name, entry in table.items() if vars(chainrule.Tensor).get(name) is not entry
             and SUPERSEDED.get(name, ("",))[0] != module]
    assert not stale, f"table entries that are not Tensor's method: {stale}"
