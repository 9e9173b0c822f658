"""Sequential, ModuleList and ModuleDict against torch's: the same operations must leave the same
names, in the same order, and print the same."""
from collections import OrderedDict

import numpy as np
import pytest
import torch

import chainrule
from tests.nn.helpers import NN, assert_matches_torch


def names(module):
    return [name for name, _ in module.named_parameters()]


def both(build):
    """The same container built with chainrule and with torch."""
    return build(NN), build(torch.nn)


# ----- Sequential -----------------------------------------------------------------------------
def mlp(nn):
    return nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 5), nn.Tanh(), nn.Linear(5, 2))


def test_sequential_computes_as_torch():
    ours, theirs = both(mlp)
    assert_matches_torch(ours, theirs, [np.random.default_rng(1).standard_normal((4, 3))])


def test_sequential_from_an_ordered_dict_keeps_the_names():
    ours, theirs = both(lambda nn: nn.Sequential(OrderedDict(
        [("hidden", nn.Linear(2, 3)), ("act", nn.ReLU()), ("out", nn.Linear(3, 1))])))
    assert names(ours) == names(theirs) == ["hidden.weight", "hidden.bias", "out.weight",
                                            "out.bias"]
    assert repr(ours) == repr(theirs)
    assert repr(ours[1:]) == repr(theirs[1:]) and type(ours[1:]) is NN.Sequential


@pytest.mark.parametrize("edit", [
    lambda s, nn: s.append(nn.Linear(2, 2)),
    lambda s, nn: s.extend([nn.ReLU(), nn.Linear(2, 2)]),
    lambda s, nn: s.insert(1, nn.Linear(2, 2)),
    lambda s, nn: s.insert(-1, nn.Sigmoid()),
    lambda s, nn: s.__delitem__(1),
    lambda s, nn: s.__delitem__(slice(0, 2)),
    lambda s, nn: s.__setitem__(-1, nn.Linear(5, 7)),
    lambda s, nn: s.pop(0),
])
def test_sequential_edits_leave_torchs_names(edit):
    ours, theirs = both(mlp)
    edit(ours, NN)
    edit(theirs, torch.nn)
    assert repr(ours) == repr(theirs) and names(ours) == names(theirs)


def test_sequential_indexing_length_and_iteration():
    ours, theirs = both(mlp)
    assert len(ours) == len(theirs) == 5
    assert type(ours[-1]).__name__ == "Linear" and ours[-1] is ours[4]
    assert [type(m).__name__ for m in ours] == [type(m).__name__ for m in theirs]
    assert names(ours[2:]) == names(theirs[2:]) == ["2.weight", "2.bias", "4.weight", "4.bias"]
    with pytest.raises(IndexError, match="index 5 is out of range for 5 modules"):
        ours[5]


# ----- ModuleList -----------------------------------------------------------------------------
def mixed_list(nn):
    return nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 2),
                          nn.ReLU(), nn.ReLU(), nn.ReLU()])


def test_module_list_repr_compresses_runs_as_torch():
    ours, theirs = both(mixed_list)
    assert repr(ours) == repr(theirs)
    assert repr(NN.ModuleList()) == repr(torch.nn.ModuleList()) == "ModuleList()"


@pytest.mark.parametrize("edit", [
    lambda m, nn: m.append(nn.Linear(2, 3)),
    lambda m, nn: m.extend([nn.Tanh(), nn.Linear(2, 3)]),
    lambda m, nn: m.__iadd__([nn.Linear(2, 4)]),
    lambda m, nn: m.insert(1, nn.Linear(2, 5)),
    lambda m, nn: m.__delitem__(0),
    lambda m, nn: m.__delitem__(slice(1, 4)),
    lambda m, nn: m.__setitem__(2, nn.Linear(2, 6)),
    lambda m, nn: m.pop(-4),
])
def test_module_list_edits_leave_torchs_names(edit):
    ours, theirs = both(mixed_list)
    edit(ours, NN)
    edit(theirs, torch.nn)
    assert repr(ours) == repr(theirs) and names(ours) == names(theirs)


def test_module_list_registers_its_modules_with_the_parent():
    class Stack(NN.Module):
        def __init__(self):
            super().__init__()
            self.layers = NN.ModuleList(NN.Linear(2, 2) for _ in range(3))

    model = Stack()
    assert names(model) == [f"layers.{i}.{kind}" for i in range(3) for kind in ("weight", "bias")]
    assert len(model.layers) == 3 and model.layers[-1] is model.layers[2]
    assert type(model.layers[:2]) is NN.ModuleList and len(model.layers[:2]) == 2
    assert len(model.layers + model.layers) == 6


# ----- ModuleDict -----------------------------------------------------------------------------
def heads(nn):
    return nn.ModuleDict({"b": nn.Linear(2, 2), "a": nn.ReLU(), "c": nn.Linear(2, 1)})


def test_module_dict_keeps_insertion_order_as_torch():
    ours, theirs = both(heads)
    assert list(ours) == list(theirs) == ["b", "a", "c"]
    assert list(ours.keys()) == list(theirs.keys()) and names(ours) == names(theirs)
    assert repr(ours) == repr(theirs)
    assert [type(m).__name__ for m in ours.values()] == ["Linear", "ReLU", "Linear"]
    assert [k for k, _ in ours.items()] == ["b", "a", "c"]


@pytest.mark.parametrize("edit", [
    lambda d, nn: d.update({"z": nn.Linear(2, 4), "b": nn.Linear(2, 5)}),
    lambda d, nn: d.update([("y", nn.Tanh())]),
    lambda d, nn: d.__setitem__("new", nn.Linear(3, 3)),
    lambda d, nn: d.__delitem__("b"),
    lambda d, nn: d.pop("c"),
    lambda d, nn: d.clear(),
])
def test_module_dict_edits_leave_torchs_names(edit):
    ours, theirs = both(heads)
    edit(ours, NN)
    edit(theirs, torch.nn)
    assert repr(ours) == repr(theirs) and names(ours) == names(theirs)
    assert ("b" in ours) == ("b" in theirs) and len(ours) == len(theirs)


def test_parameter_list_and_dict_register_as_torch_does():
    def build(L):
        model = L.nn.Module()
        model.weights = L.nn.ParameterList([L.ones(2, 3), L.nn.Parameter(L.zeros(3))])
        model.weights.append(L.ones(1))
        model.table = L.nn.ParameterDict({"b": L.ones(2), "a": L.zeros(1)})
        model.table["c"] = L.ones(4)
        return model
    ours, theirs = build(chainrule), build(torch)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert all(isinstance(p, chainrule.nn.Parameter) and p.requires_grad for p in ours.weights)
    assert len(ours.weights) == 3 and ours.weights[-1].shape == (1,)
    assert list(ours.table.keys()) == list(theirs.table.keys()) == ["a", "b", "c"]


def test_unflatten_matches_torch():
    x = np.arange(24.0).reshape(2, 12)
    ours = chainrule.nn.Unflatten(1, (3, -1))(chainrule.tensor(x))
    theirs = torch.nn.Unflatten(1, (3, -1))(torch.tensor(x))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert repr(chainrule.nn.Unflatten(1, (3, 4))) == repr(torch.nn.Unflatten(1, (3, 4)))
