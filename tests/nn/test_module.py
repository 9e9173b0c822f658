"""Module against torch.nn.Module: the same model built with both libraries must list the same
names in the same order, print the same, load each other's state dicts and compute the same.

The helpers the layer tests share (`NN`, `assert_matches_torch`) are in tests/nn/helpers.py.
"""
import copy
import importlib
import re
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd.function import Function
from tests.nn.gradient_cases import CASES
from tests.nn.helpers import NN, assert_matches_torch


# ----- one model, built with either library ---------------------------------------------------
def build(lib, nn):
    """A nested model using every container, buffers (one not persistent), a parameter set to
    None, a tied weight and activation layers."""

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 4)
            self.register_buffer("running", lib.zeros(4))
            self.register_buffer("scratch", lib.ones(2), persistent=False)
            self.register_parameter("unused", None)
            self.heads = nn.ModuleList([nn.Linear(4, 4), nn.Linear(4, 4), nn.Tanh()])
            self.acts = nn.ModuleDict({"relu": nn.ReLU(), "leaky": nn.LeakyReLU(0.2)})

        def forward(self, x):
            x = self.acts["relu"](self.fc(x)) + self.running
            for head in self.heads:
                x = head(x)
            return self.acts["leaky"](x)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed = nn.Linear(2, 3, bias=False)
            self.body = nn.Sequential(Block(), nn.GELU(), nn.Linear(4, 3))
            self.scale = nn.Parameter(lib.ones(3))
            self.out = nn.Linear(3, 3)
            self.decode = nn.Linear(2, 3, bias=False)
            self.decode.weight = self.embed.weight   # tied: listed once
            self.soft = nn.Softmax(dim=-1)

        def forward(self, x):
            return self.soft(self.out(self.body(self.embed(x)) * self.scale) + self.decode(x))

    return Net()


@pytest.fixture
def models():
    return build(cr, NN), build(torch, torch.nn)


def test_names_and_orders_match_torch(models):
    ours, theirs = models
    for listing in ("named_parameters", "named_buffers", "named_modules", "named_children"):
        assert ([name for name, _ in getattr(ours, listing)()]
                == [name for name, _ in getattr(theirs, listing)()]), listing
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "body.0.scratch" not in ours.state_dict() and "decode.weight" in ours.state_dict()
    assert len(list(ours.parameters())) == len(list(theirs.parameters()))
    assert [type(m).__name__ for m in ours.children()] == [
        type(m).__name__ for m in theirs.children()]
    assert [type(m).__name__ for m in ours.modules()] == [
        type(m).__name__ for m in theirs.modules()]


def test_repr_matches_torch(models):
    ours, theirs = models
    assert repr(ours) == repr(theirs)


def test_the_model_computes_as_torch_does(models):
    ours, theirs = models
    assert_matches_torch(ours, theirs, [np.random.default_rng(0).standard_normal((5, 2))])


def test_tied_weights_are_one_parameter(models):
    ours, theirs = models
    assert ours.decode.weight is ours.embed.weight
    assert "decode.weight" not in dict(ours.named_parameters())
    assert ([n for n, _ in ours.named_parameters(remove_duplicate=False)]
            == [n for n, _ in theirs.named_parameters(remove_duplicate=False)])


def test_train_and_eval_reach_every_submodule(models):
    ours, _ = models
    assert ours.eval() is ours
    assert not any(m.training for m in ours.modules())
    ours.body.train()
    assert not ours.training and all(m.training for m in ours.body.modules())
    with pytest.raises(ValueError, match="bool"):
        ours.train("yes")


def test_train_calls_each_childs_own_train():
    class Frozen(NN.Module):
        def train(self, mode=True):
            return super().train(False)   # a layer that stays in eval mode, as some do

    model = NN.Sequential(NN.Linear(1, 1), Frozen())
    model.train()
    assert model[0].training and not model[1].training


def test_zero_grad(models):
    ours, _ = models
    ours(cr.randn(4, 2)).sum().backward()
    grads = {name: p.grad for name, p in ours.named_parameters()}
    ours.zero_grad(set_to_none=False)
    assert all(p.grad is grads[name] and not np.any(p.grad.numpy())
               for name, p in ours.named_parameters())
    ours.zero_grad()
    assert all(p.grad is None for p in ours.parameters())


def test_apply_visits_children_first_as_torch_does(models):
    ours, theirs = models
    seen_ours, seen_theirs = [], []
    ours.apply(lambda m: seen_ours.append(type(m).__name__))
    theirs.apply(lambda m: seen_theirs.append(type(m).__name__))
    assert seen_ours == seen_theirs


def test_apply_for_custom_init(models):
    ours, _ = models

    def init(m):
        if isinstance(m, NN.Linear):
            NN.init.constant_(m.weight, 0.5)

    ours.apply(init)
    assert all(np.all(m.weight.detach().numpy() == 0.5)
               for m in ours.modules() if isinstance(m, NN.Linear))


# ----- state dicts ---------------------------------------------------------------------------
def test_state_dict_round_trip_from_torch_is_exact(models):
    ours, theirs = models
    ours.double()
    theirs.double()
    weight = ours.body[0].fc.weight
    assert repr(ours.load_state_dict(theirs.state_dict())) == "<All keys matched successfully>"
    assert ours.body[0].fc.weight is weight    # loaded in place: optimisers keep their Parameter
    for (name, value), expected in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert value.dtype == np.float64 and np.array_equal(value.numpy(), expected.numpy()), name


def test_state_dict_values_are_detached_views(models):
    ours, _ = models
    state = ours.state_dict()
    assert not state["out.weight"].requires_grad
    assert state["out.weight"].numpy() is not None
    assert ours.state_dict(keep_vars=True)["out.weight"] is ours.out.weight


def test_load_state_dict_reports_missing_and_unexpected_keys(models):
    ours, theirs = models
    state = theirs.state_dict()
    del state["out.bias"]
    state["extra.weight"] = torch.zeros(1)
    result = ours.load_state_dict(state, strict=False)
    expected = theirs.load_state_dict(state, strict=False)
    assert result.missing_keys == expected.missing_keys == ["out.bias"]
    assert result.unexpected_keys == expected.unexpected_keys == ["extra.weight"]
    with pytest.raises(RuntimeError, match=r'(?s)Missing key.*"out.bias".*Unexpected key.*'
                                           r'"extra.weight"'):
        ours.load_state_dict(state)


def test_load_state_dict_refuses_shape_mismatches_even_when_not_strict(models):
    ours, theirs = models
    state = theirs.state_dict()
    state["out.weight"] = torch.zeros(2, 3)
    before = ours.out.bias.detach().numpy().copy()
    with pytest.raises(RuntimeError, match=r"size mismatch for out.weight.*\(2, 3\).*\(3, 3\)"):
        ours.load_state_dict(state, strict=False)
    assert np.array_equal(ours.out.bias.detach().numpy(), before)   # nothing loaded


@pytest.mark.parametrize("value, named", [
    ([1, 2], "list"), (None, "NoneType"), ("model.safetensors", "str"),
    (lambda L: L.nn.Linear(2, 2), "Linear"), (lambda L: L.ones(2), "Tensor")])
def test_load_state_dict_of_a_non_mapping_is_refused_as_torch_does(value, named):
    ours, theirs = cr.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    mine, its = (value(cr), value(torch)) if callable(value) else (value, value)
    with pytest.raises(TypeError, match=rf"Expected state_dict to be dict-like, got <class "
                                        rf"'[\w.]*{named}'>"):
        ours.load_state_dict(mine)
    with pytest.raises(TypeError, match=r"Expected state_dict to be dict-like"):
        theirs.load_state_dict(its)


def test_load_state_dict_of_a_module_or_a_path_says_what_to_pass():
    with pytest.raises(TypeError, match=r"pass the module's state_dict\(\)"):
        cr.nn.Linear(2, 2).load_state_dict(cr.nn.Linear(2, 2))
    with pytest.raises(TypeError, match=r"to load a file, pass chainrule.load\(path\)"):
        cr.nn.Linear(2, 2).load_state_dict("model.safetensors")


@pytest.mark.parametrize("value, received", [([[1.0, 2.0]] * 3, "list"), ("abc", "str"),
                                             (None, "NoneType"), (3.0, "float")])
def test_load_state_dict_with_a_non_tensor_value_names_the_key(value, received):
    ours, theirs = cr.nn.Linear(2, 3), torch.nn.Linear(2, 3)
    before = ours.bias.detach().numpy().copy()
    with pytest.raises(RuntimeError, match=r"While copying the parameter named \"weight\""):
        theirs.load_state_dict({"weight": value, "bias": torch.zeros(3)})
    with pytest.raises(RuntimeError, match=rf"Error\(s\) in loading state_dict for Linear:\n\t"
                                           rf"While copying the parameter named \"weight\", "
                                           rf"expected a Tensor or an array from checkpoint but "
                                           rf"received <class '{received}'>"):
        ours.load_state_dict({"weight": value, "bias": cr.zeros(3)})
    assert np.array_equal(ours.bias.detach().numpy(), before)   # nothing loaded


def test_load_state_dict_takes_torch_tensors_and_arrays_but_not_strings_in_arrays():
    ours = cr.nn.Linear(2, 3)
    torch_weight = torch.randn(3, 2, requires_grad=True)   # not detached: still loads
    ours.load_state_dict({"weight": torch_weight, "bias": np.arange(3.0)})
    np.testing.assert_array_equal(ours.weight.detach().numpy(), torch_weight.detach().numpy())
    assert ours.weight.dtype == cr.float32 and ours.bias.tolist() == [0, 1, 2]
    with pytest.raises(RuntimeError, match=r'named "bias", expected numbers .* dtype <U1'):
        ours.load_state_dict({"weight": cr.zeros(3, 2), "bias": np.array(["a", "b", "c"])})


def test_load_state_dict_names_every_shape_mismatch_with_both_shapes():
    ours, theirs = cr.nn.Linear(2, 3), torch.nn.Linear(2, 3)
    state = {"weight": torch.ones(2, 2), "bias": torch.zeros(4)}
    with pytest.raises(RuntimeError) as expected:
        theirs.load_state_dict(state)
    with pytest.raises(RuntimeError) as mine:
        ours.load_state_dict(state)
    assert str(mine.value) == str(expected.value).replace("torch.Size([", "(").replace("])", ")") \
        .replace("(4)", "(4,)").replace("(3)", "(3,)")


def test_load_state_dict_not_strict_returns_the_named_tuple():
    result = cr.nn.Linear(2, 3).load_state_dict({"bias": cr.zeros(3), "x": cr.ones(1)},
                                                strict=False)
    expected = torch.nn.Linear(2, 3).load_state_dict({"bias": torch.zeros(3),
                                                      "x": torch.ones(1)}, strict=False)
    assert isinstance(result, tuple) and result._fields == ("missing_keys", "unexpected_keys")
    assert result == tuple(expected) == (["weight"], ["x"])
    assert repr(result) == repr(expected).replace("_IncompatibleKeys", "IncompatibleKeys")


def test_non_persistent_buffers_are_neither_saved_nor_expected(models):
    ours, _ = models
    state = ours.state_dict()
    assert "body.0.scratch" not in state and "body.0.running" in state
    assert ours.load_state_dict(state).missing_keys == []


def test_a_shared_module_is_saved_under_each_name_as_torch_does():
    ours_layer, theirs_layer = NN.Linear(2, 2), torch.nn.Linear(2, 2)
    ours, theirs = NN.Sequential(ours_layer, ours_layer), torch.nn.Sequential(theirs_layer,
                                                                              theirs_layer)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == [
        "0.weight", "0.bias", "1.weight", "1.bias"]
    assert [n for n, _ in ours.named_parameters()] == ["0.weight", "0.bias"]
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]


# ----- registration ---------------------------------------------------------------------------
def test_register_buffer_and_parameter():
    m = NN.Module()
    m.register_buffer("count", cr.zeros(1, dtype=cr.int64))
    m.register_buffer("cache", cr.zeros(2), persistent=False)
    m.register_parameter("w", NN.Parameter(cr.ones(2)))
    m.register_parameter("b", None)
    assert list(m.state_dict()) == ["w", "count"]
    assert [n for n, _ in m.named_buffers()] == ["count", "cache"]
    assert m.b is None and [n for n, _ in m.named_parameters()] == ["w"]
    m.count = cr.ones(1, dtype=cr.int64)       # assigning to a buffer name replaces the buffer
    assert m._buffers["count"] is m.count
    del m.w
    assert list(m.state_dict()) == ["count"]


@pytest.mark.parametrize("action, error, message", [
    (lambda m: setattr(m, "w", cr.ones(2)), TypeError, "parameter 'w'"),
    (lambda m: m.register_parameter("a.b", None), KeyError, r"\."),
    (lambda m: m.register_parameter("x", cr.ones(1)), TypeError, "Parameter"),
    (lambda m: m.register_buffer("x", [1.0]), TypeError, "Tensor"),
    (lambda m: m.register_buffer("plain", cr.ones(1)), KeyError, "already exists"),
    (lambda m: m.add_module("child", "not a module"), TypeError, "Module"),
    (lambda m: m.register_parameter("p", NN.Parameter(cr.ones(1)) * 2), TypeError, "Parameter"),
])
def test_registration_errors(action, error, message):
    m = NN.Module()
    m.w = NN.Parameter(cr.ones(2))
    m.plain = 3
    with pytest.raises(error, match=message):
        action(m)


def test_assigning_before_init_is_explained():
    class Early(NN.Module):
        def __init__(self):
            self.fc = NN.Linear(1, 1)
            super().__init__()

    with pytest.raises(AttributeError, match="super\\(\\).__init__\\(\\)"):
        Early()


def test_missing_attribute_and_missing_forward():
    m = NN.Module()
    with pytest.raises(AttributeError, match="'Module' object has no attribute 'nope'"):
        m.nope
    with pytest.raises(NotImplementedError, match="forward"):
        m(cr.ones(1))


def test_get_submodule_and_get_parameter(models):
    ours, _ = models
    assert ours.get_submodule("body.0.heads.1") is ours.body[0].heads[1]
    assert ours.get_parameter("body.0.fc.bias") is ours.body[0].fc.bias
    with pytest.raises(AttributeError, match="nope"):
        ours.get_submodule("body.nope")


# ----- dtypes, devices, gradients, hooks, copies -------------------------------------------------
def test_to_converts_floating_state_in_place(models):
    ours, _ = models
    ours.register_buffer("steps", cr.zeros(1, dtype=cr.int64))
    weight = ours.out.weight
    assert ours.to(cr.float64) is ours
    assert ours.out.weight is weight
    assert all(p.dtype == np.float64 for p in ours.parameters())
    assert ours.body[0].running.dtype == np.float64 and ours.steps.dtype == np.int64
    ours.float()
    assert all(p.dtype == np.float32 for p in ours.parameters())
    ours.to("cpu").to(cr.device("cpu")).to("cpu", cr.float64).to(cr.zeros(1, dtype=cr.float32))
    assert ours.out.weight.dtype == np.float32
    with pytest.raises(RuntimeError, match="CPU"):
        ours.to("cuda")
    with pytest.raises(TypeError, match="floating"):
        ours.to(cr.int64)


def test_requires_grad_(models):
    ours, _ = models
    ours.requires_grad_(False)
    assert not any(p.requires_grad for p in ours.parameters())
    ours.out.requires_grad_()
    assert [n for n, p in ours.named_parameters() if p.requires_grad] == ["out.weight", "out.bias"]


def test_forward_hooks_and_pre_hooks():
    layer = NN.Linear(2, 2)
    seen = []
    pre = layer.register_forward_pre_hook(lambda m, args: (args[0] * 0,))
    post = layer.register_forward_hook(lambda m, args, out: seen.append(out.shape) or out + 1)
    out = layer(cr.ones(3, 2))
    np.testing.assert_allclose(out.detach().numpy(), (layer.bias + 1).detach().numpy()[None]
                               .repeat(3, 0))
    assert seen == [(3, 2)]
    pre.remove()
    post.remove()
    assert layer(cr.ones(1, 2)).shape == (1, 2) and seen == [(3, 2)]


def test_deepcopy_gives_an_independent_model(models):
    ours, _ = models
    twin = copy.deepcopy(ours)
    assert [n for n, _ in twin.named_parameters()] == [n for n, _ in ours.named_parameters()]
    assert isinstance(twin.out.weight, NN.Parameter) and twin.out.weight is not ours.out.weight
    assert twin.decode.weight is twin.embed.weight    # ties survive the copy
    with cr.no_grad():
        twin.out.weight.fill_(0)
    assert np.any(ours.out.weight.detach().numpy())
    x = cr.randn(2, 2)
    assert twin(x).shape == ours(x).shape


# ----- Module.to with torch-like devices, bfloat16 ----------------------------------------------
@pytest.mark.parametrize("args, kwargs", [
    ((torch.device("cpu"),), {}), ((cr.device("cpu"),), {}), (("cpu",), {}),
    (("cpu", cr.float64), {}), ((), {"device": torch.device("cpu"), "dtype": cr.float64}),
    ((cr.ones(1, dtype=cr.float64),), {}), ((cr.float64,), {"non_blocking": True}),
    ((), {"memory_format": cr.channels_last}),
], ids=["torch.device", "device", "str", "str+dtype", "keywords", "tensor", "non_blocking",
        "memory_format"])
def test_module_to_reads_devices_as_devices(args, kwargs):
    layer = cr.nn.Linear(2, 3)
    weight = layer.weight
    assert layer.to(*args, **kwargs) is layer and layer.weight is weight
    wants_double = "dtype" in kwargs or any(
        getattr(arg, "dtype", arg) == cr.float64 for arg in args
        if not isinstance(arg, (str, cr.device, torch.device)))
    assert str(layer.weight.dtype) == ("float64" if wants_double else "float32")


@pytest.mark.parametrize("device", [torch.device("cuda"), "cuda:1", 0, cr.device("mps")],
                         ids=str)
def test_module_to_an_accelerator_is_refused(device):
    with pytest.raises(RuntimeError, match="Linear.to: .*CPU only"):
        cr.nn.Linear(2, 3).to(device)


def test_module_bfloat16_rounds_as_torch_and_keeps_float32_storage():
    theirs = torch.nn.Linear(4, 3)
    ours = cr.nn.Linear(4, 3)
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in
                          theirs.state_dict().items()})
    ours.weight.grad = cr.ones(3, 4) / 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)   # "stored as float32", said once
        assert ours.bfloat16() is ours
    theirs.bfloat16()
    assert str(ours.weight.dtype) == "float32"
    np.testing.assert_array_equal(ours.weight.detach().numpy(),
                                  theirs.weight.detach().float().numpy())
    assert ours.weight.grad.shape == (3, 4)
    assert ours.double().weight.dtype == cr.float64 and ours.half().weight.dtype == cr.float16
    assert ours.float().weight.dtype == cr.float32


def test_a_module_tree_with_a_cycle_is_named_where_torch_recurses_without_end():
    outer = cr.nn.Sequential(cr.nn.Linear(2, 2))
    outer.add_module("back", cr.nn.Sequential(outer))
    with pytest.raises(RecursionError, match=r"state_dict: Sequential contains itself as a "
                                             r"submodule \(again at 'back.0'\); a module tree "
                                             r"cannot have cycles"):
        outer.state_dict()
    with pytest.raises(RecursionError, match="train: Sequential contains itself"):
        outer.eval()
    assert len(list(outer.named_parameters())) == 2   # the walks that keep a memo still work


def test_a_module_shared_under_two_names_is_no_cycle():
    shared = cr.nn.Linear(2, 2)
    model = cr.nn.Sequential(shared, cr.nn.Sequential(shared))
    assert list(model.state_dict()) == ["0.weight", "0.bias", "1.0.weight", "1.0.bias"]
    model.eval()
    assert not shared.training


# ----- every layer's docstring says where its gradient is computed ------------------------------
# Containers and wrappers hold layers and compute nothing themselves.
NOT_LAYERS = {"Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict",
              "DataParallel"}
# an op class (ops.family.Class, or nn.functional.module.Class for an op defined beside its
# functional), a function of nn.functional, or another layer
REFERENCE = re.compile(r"\b(?:ops\.\w+\.\w+|nn\.functional\.\w+(?:\.[A-Z]\w*)?|nn\.[A-Z]\w*)")
OP_CLASS = re.compile(r"(?:ops|nn\.functional)\.\w+\.[A-Z]\w*")


def layer_classes():
    return sorted(name for name in dir(cr.nn) if isinstance(getattr(cr.nn, name), type)
                  and issubclass(getattr(cr.nn, name), cr.nn.Module) and name not in NOT_LAYERS)


def gradient_line(layer):
    """The docstring's 'Gradient:' entry of the class itself (not inherited): its line and the
    lines that continue it, up to a blank line, joined."""
    lines = [line.strip() for line in (vars(layer).get("__doc__") or "").splitlines()]
    starts = [i for i, line in enumerate(lines) if line.startswith("Gradient:")]
    assert len(starts) == 1, f"{layer.__name__}: expected one 'Gradient:' line, got {starts}"
    entry = []
    for line in lines[starts[0]:]:
        if not line:
            break
        entry.append(line)
    return " ".join(entry)


def resolve(reference):
    """The object a Gradient line names: an op class (an autograd Function defined in that ops
    module), a function of nn.functional, or another nn layer."""
    if reference.startswith("ops."):
        _, module, name = reference.split(".")
        op = getattr(importlib.import_module(f"chainrule.ops.{module}"), name, None)
        assert isinstance(op, type) and issubclass(op, Function), f"{reference}: not an op class"
        assert op.__module__ == f"chainrule.ops.{module}", f"{reference}: defined in {op.__module__}"
        return op
    if OP_CLASS.fullmatch(reference):    # an op defined beside its functional
        _, _, module, name = reference.split(".")
        op = getattr(importlib.import_module(f"chainrule.nn.functional.{module}"), name, None)
        assert isinstance(op, type) and issubclass(op, Function), f"{reference}: not an op class"
        return op
    if reference.startswith("nn.functional."):
        function = getattr(cr.nn.functional, reference.rsplit(".", 1)[1], None)
        assert callable(function), f"{reference}: no such function"
        return function
    layer = getattr(cr.nn, reference.split(".", 1)[1], None)
    assert isinstance(layer, type) and issubclass(layer, cr.nn.Module), f"{reference}: no layer"
    return layer


@pytest.mark.parametrize("name", layer_classes())
def test_a_layer_docstring_names_the_op_whose_backward_computes_its_gradient(name):
    line = gradient_line(getattr(cr.nn, name))
    references = REFERENCE.findall(line)
    if name == "Identity":          # returns its input itself: no op, no gradient of its own
        assert not references and "none" in line
        return
    assert references, f"{name}: {line!r} names no op, functional or layer"
    for reference in references:
        resolve(reference)
    single_op = re.fullmatch(r"Gradient: (ops\.\w+\.\w+)\.backward\.", line)
    assert single_op or line.startswith(("Gradient: nn.functional.", "Gradient: its ")), line


# ----- ... and that op is in the layer's graph -----------------------------------------------
def ops_in_graph(outputs):
    """The classes of every node reachable from the outputs' grad_fns (AccumulateGrad included:
    a leaf's node, which has no edges)."""
    found, seen = set(), set()
    stack = [o.grad_fn for o in outputs]
    while stack:
        node = stack.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        found.add(type(node))
        stack += [parent for parent, _ in node.next_functions]
    return found


def tensors_in(output):
    """The tensors of a layer's output (RNNs and attention return nested tuples)."""
    if isinstance(output, (tuple, list)):
        return [t for part in output for t in tensors_in(part)]
    return [output] if isinstance(output, cr.Tensor) else []


def layers_naming_ops():
    return sorted(name for name in layer_classes()
                  if OP_CLASS.search(gradient_line(getattr(cr.nn, name))))


def test_every_layer_naming_ops_has_a_case_in_the_graph_test():
    assert sorted(CASES) == layers_naming_ops()


@pytest.mark.parametrize("name", layers_naming_ops())
def test_the_ops_a_gradient_line_names_are_in_the_layers_graph(name):
    """Each case's path takes the ops it lists (all the line's, unless its path is one the line
    names separately), and the cases together cover every op the line names."""
    named = OP_CLASS.findall(gradient_line(getattr(cr.nn, name)))
    covered = set()
    generator = cr.Generator().manual_seed(0)
    for case in CASES[name]:
        expected = case.ops or named
        assert set(expected) <= set(named), f"{name}: {expected} are not all in its line {named}"
        covered.update(expected)
        layer, inputs = case.build(name, generator)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)   # kl_div's 'mean', dropout's p
            graph = ops_in_graph(tensors_in(layer(*inputs)))
        missing = [op for op in expected if resolve(op) not in graph]
        assert not missing, (f"{name}{case.args} {case.kwargs} "
                             f"({'train' if case.train else 'eval'}): {missing} not in its graph, "
                             f"which has {sorted(op.__name__ for op in graph)}")
    assert covered == set(named), f"{name}: no case takes {set(named) - covered}"
