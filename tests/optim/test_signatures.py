"""The optimisers and schedulers added for ported programs take torch's arguments, in torch's
order, with torch's defaults (a program passing them positionally gets the same meaning)."""
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


def test_old_scheduler_base_is_there_as_in_torch():
    S = cr.optim.lr_scheduler
    assert issubclass(S._LRScheduler, S.LRScheduler)
    assert issubclass(torch.optim.lr_scheduler._LRScheduler, torch.optim.lr_scheduler.LRScheduler)


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
