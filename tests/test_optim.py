"""The public surface of the optim package (src/chainrule/optim/, its optimisers and its
lr_scheduler's schedulers), checked across it against torch.optim: every optimiser and scheduler
takes torch's arguments, in torch's order, with torch's defaults (a program passing them
positionally gets the same meaning); every optimiser accepts torch's kernel choices and refuses
its graph options. What one optimiser or scheduler does is tested in tests/optim/."""
import inspect

import pytest
import torch

import chainrule as cr

OPTIMISERS = ["Adamax", "ASGD", "Rprop", "SparseAdam"]
SCHEDULERS = ["ConstantLR", "PolynomialLR", "ChainedScheduler", "CyclicLR",
              "CosineAnnealingWarmRestarts", "LambdaLR", "MultiplicativeLR"]


def described(function):
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


@pytest.mark.parametrize("name", OPTIMISERS)
def test_optimiser_signature_as_torch(name):
    assert described(getattr(cr.optim, name)) == described(getattr(torch.optim, name))


@pytest.mark.parametrize("name", SCHEDULERS)
def test_scheduler_signature_as_torch(name):
    ours = described(getattr(cr.optim.lr_scheduler, name))
    theirs = described(getattr(torch.optim.lr_scheduler, name))
    assert ours == theirs


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "NAdam", "RAdam", "LBFGS"])
def test_existing_optimisers_take_torchs_arguments(name):
    """foreach, fused, capturable, differentiable in torch's places: programs pass them."""
    assert described(getattr(cr.optim, name)) == described(getattr(torch.optim, name))


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta",
                                  "NAdam", "RAdam", "Adamax", "ASGD", "Rprop"])
def test_kernel_choices_are_accepted_and_graph_options_refused(name):
    cls = getattr(cr.optim, name)
    options = set(inspect.signature(cls).parameters)
    params = [cr.nn.Parameter(cr.ones(3))]
    cls(params, **{key: False for key in ("foreach", "fused") if key in options})
    for option in ("differentiable", "capturable"):
        if option in options:
            with pytest.raises(NotImplementedError, match=rf"{name}\({option}=True\)"):
                cls(params, **{option: True})
