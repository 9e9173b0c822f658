"""Every op in chainrule.ops must be declared in a case table: an op without a case fails here.

Each case runs once in float64; the Function classes met in its graph, and in the graph of its
gradient (create_graph=True, where ops used only by backward appear), count as covered.

This module tests the ops package as a whole, so it mirrors no ops family (tests/ops/__init__.py);
it reads the case tables of every tests/ops/test_<family>.py.
"""
import importlib
import inspect
import pathlib

import numpy as np

import chainrule
from chainrule import ops
from chainrule.autograd import Function
from tests.ops.harness import OpChecks


def all_cases():
    cases = []
    for path in sorted(pathlib.Path(__file__).parent.glob("test_*.py")):
        module = importlib.import_module(f"tests.ops.{path.stem}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, OpChecks) and cls is not OpChecks:
                cases += cls.cases
    return cases


def functions_in(tensors):
    found, stack = set(), [t.grad_fn for t in tensors if t is not None and t.grad_fn is not None]
    seen = set()
    while stack:
        fn = stack.pop()
        if fn in seen:
            continue
        seen.add(fn)
        found.add(type(fn))
        stack += [p for p in fn.parents if isinstance(p, Function)]
    return found


def covered_by(case):
    found = set()
    for shapes in case.shapes:
        inputs = [chainrule.tensor(a, requires_grad=case.differentiable)
                  for a in case.inputs(shapes)]
        out = case.fn(chainrule, *inputs)
        found |= functions_in([out])
        if case.differentiable and out.requires_grad:
            upstream = chainrule.tensor(np.random.default_rng(0).standard_normal(out.shape))
            grads = chainrule.autograd.grad(out, inputs, upstream, create_graph=True,
                                            allow_unused=True)
            found |= functions_in(grads)
    return found


def declared_ops():
    return {cls for family in ops.FAMILIES for _, cls in inspect.getmembers(family, inspect.isclass)
            if issubclass(cls, Function) and cls.__module__ == family.__name__}


def test_every_op_has_a_declared_case():
    covered = set().union(*(covered_by(case) for case in all_cases()))
    missing = sorted(f"{cls.__module__}.{cls.__name__}" for cls in declared_ops() - covered)
    assert missing == [], f"ops with no case in tests/ops/: {missing}"
