"""nn.utils.parametrize, parametrizations.weight_norm/spectral_norm/orthogonal and the hook-based
nn.utils.weight_norm/spectral_norm against torch: state_dict names, reprs, outputs and gradients
(power iterations included) in training and evaluation, removal, and custom parametrizations."""

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn.utils import parametrizations, parametrize
from tests.nn.helpers import assert_matches_torch

pytestmark = pytest.mark.filterwarnings("ignore:.*weight_norm. is deprecated:FutureWarning")


def _pair(name, *args):
    return getattr(cr.nn, name)(*args), getattr(torch.nn, name)(*args)


@pytest.mark.parametrize("layer, args, shape, apply, kwargs", [
    ("Linear", (3, 4), (5, 3), "parametrizations.weight_norm", {}),
    ("Linear", (3, 4), (5, 3), "parametrizations.weight_norm", dict(dim=None)),
    ("Conv2d", (2, 3, 3), (2, 2, 5, 5), "parametrizations.weight_norm", dict(dim=1)),
    ("Linear", (3, 4), (5, 3), "parametrizations.spectral_norm", {}),
    ("Conv2d", (2, 3, 3), (2, 2, 5, 5), "parametrizations.spectral_norm",
     dict(n_power_iterations=3)),
    ("ConvTranspose2d", (2, 3, 3), (2, 2, 4, 4), "parametrizations.spectral_norm", {}),
    ("Linear", (3, 4), (5, 3), "weight_norm", {}),
    ("Conv1d", (2, 3, 3), (2, 2, 6), "weight_norm", dict(dim=None)),
    ("Linear", (3, 4), (5, 3), "spectral_norm", {}),
    ("Conv2d", (2, 3, 3), (2, 2, 5, 5), "spectral_norm", dict(n_power_iterations=2)),
    ("ConvTranspose2d", (2, 3, 3), (2, 2, 4, 4), "spectral_norm", {}),
])
def test_normalised_layers_match_torch(layer, args, shape, apply, kwargs):
    cr.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = _pair(layer, *args)
    module, _, function = apply.rpartition(".")
    ours_utils = getattr(cr.nn.utils, module) if module else cr.nn.utils
    theirs_utils = getattr(torch.nn.utils, module) if module else torch.nn.utils
    getattr(ours_utils, function)(ours, **kwargs)
    getattr(theirs_utils, function)(theirs, **kwargs)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(1).standard_normal(shape)
    assert_matches_torch(ours, theirs, [x])


def test_weight_norm_state_dict_shapes_and_values_are_torchs():
    ours, theirs = _pair("Conv2d", 2, 3, 3)
    ours.load_state_dict(theirs.state_dict())
    parametrizations.weight_norm(ours)
    torch.nn.utils.parametrizations.weight_norm(theirs)
    for (name, value), (theirs_name, expected) in zip(ours.state_dict().items(),
                                                     theirs.state_dict().items()):
        assert name == theirs_name
        np.testing.assert_allclose(value.numpy(), expected.numpy(), rtol=1e-6)
    np.testing.assert_allclose(ours.weight.detach().numpy(), theirs.weight.detach().numpy(),
                               rtol=1e-6)


def test_remove_restores_plain_parameters():
    layer = cr.nn.Linear(3, 4)
    parametrizations.weight_norm(layer)
    with cr.no_grad():
        layer.parametrizations.weight.original0.mul_(2.0)
    expected = layer.weight.detach().numpy().copy()
    parametrize.remove_parametrizations(layer, "weight")
    # torch registers the weight back after the bias
    assert type(layer) is cr.nn.Linear and list(layer.state_dict()) == ["bias", "weight"]
    assert isinstance(layer.weight, cr.nn.Parameter)
    np.testing.assert_allclose(layer.weight.detach().numpy(), expected)
    for apply, remove in ((cr.nn.utils.weight_norm, cr.nn.utils.remove_weight_norm),
                          (cr.nn.utils.spectral_norm, cr.nn.utils.remove_spectral_norm)):
        apply(layer)
        layer(cr.ones(1, 3))
        value = layer.weight.detach().numpy().copy()
        remove(layer)
        assert list(layer.state_dict()) == ["bias", "weight"]
        np.testing.assert_allclose(layer.weight.detach().numpy(), value, rtol=1e-6)
        assert not layer._forward_pre_hooks


class Symmetric(cr.nn.Module):
    def forward(self, x):
        return x.triu() + x.triu(1).mT

    def right_inverse(self, a):
        return a.triu()


def test_custom_parametrization_assignment_and_gradients():
    layer = cr.nn.Linear(3, 3)
    parametrize.register_parametrization(layer, "weight", Symmetric())
    assert parametrize.is_parametrized(layer) and parametrize.is_parametrized(layer, "weight")
    assert not parametrize.is_parametrized(layer, "bias")
    assert type(layer).__name__ == "ParametrizedLinear"
    assert parametrize.type_before_parametrizations(layer) is cr.nn.Linear
    weight = layer.weight.detach().numpy()
    np.testing.assert_allclose(weight, weight.T)
    a = cr.rand(3, 3)
    layer.weight = a + a.mT
    np.testing.assert_allclose(layer.weight.detach().numpy(), (a + a.mT).numpy(), rtol=1e-6)
    layer(cr.ones(2, 3)).sum().backward()
    grad = layer.parametrizations.weight.original.grad.numpy()
    assert np.all(np.tril(grad, -1) == 0)     # only the upper triangle is free
    with parametrize.cached():
        assert layer.weight is layer.weight


def test_a_parametrized_model_deep_copies_and_refuses_pickling():
    import copy
    import pickle
    model = cr.nn.Sequential(cr.nn.Linear(3, 4), cr.nn.ReLU())
    parametrizations.weight_norm(model[0])
    replica = copy.deepcopy(model)
    assert type(replica[0]) is type(model[0])
    x = cr.randn(2, 3)
    np.testing.assert_array_equal(replica(x).detach().numpy(), model(x).detach().numpy())
    with cr.no_grad():
        replica[0].parametrizations.weight.original0.mul_(2.0)   # g: v is scale-free
    assert not np.allclose(replica[0].weight.detach().numpy(), model[0].weight.detach().numpy())
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(model)


def test_parametrization_errors_name_the_problem():
    layer = cr.nn.Linear(3, 3)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer, or a "
                                         "parametrized element with name 'kernel'"):
        parametrize.register_parametrization(layer, "kernel", Symmetric())
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(layer, "weight")
    with pytest.raises(ValueError, match="may not change the dtype or shape"):
        parametrize.register_parametrization(layer, "bias", cr.nn.Flatten(0))
        parametrize.register_parametrization(layer, "weight", cr.nn.Flatten(0))
    with pytest.raises(ValueError, match="n_power_iterations to be positive"):
        parametrizations.spectral_norm(cr.nn.Linear(2, 2), n_power_iterations=0)
    cr.nn.utils.weight_norm(layer)
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"):
        cr.nn.utils.weight_norm(layer)


@pytest.mark.parametrize("out_features, in_features, orthogonal_map", [
    (4, 4, None), (4, 4, "cayley"), (5, 3, None), (3, 5, None), (5, 3, "matrix_exp"),
    (3, 5, "cayley"), (4, 4, "householder")])
def test_orthogonal_matches_torch(out_features, in_features, orthogonal_map):
    torch.manual_seed(0)
    ours, theirs = _pair("Linear", in_features, out_features)
    ours.load_state_dict(theirs.state_dict())
    parametrizations.orthogonal(ours, orthogonal_map=orthogonal_map)
    torch.nn.utils.parametrizations.orthogonal(theirs, orthogonal_map=orthogonal_map)
    assert repr(ours) == repr(theirs)
    if out_features == in_features:   # the base is W's Q factor, in both libraries
        np.testing.assert_allclose(ours.parametrizations.weight[0].base.numpy(),
                                   theirs.parametrizations.weight[0].base.numpy(), atol=1e-5)
    with torch.no_grad():   # away from the identity, keeping the householder map's ±1 diagonal
        original = theirs.parametrizations.weight.original
        noise = 0.3 * torch.randn(original.shape)
        noise.diagonal().zero_()
        original.add_(noise)
    x = np.random.default_rng(2).standard_normal((6, in_features))
    assert_matches_torch(ours, theirs, [x])
    weight = ours.weight.detach().numpy()
    gram = weight.T @ weight if out_features >= in_features else weight @ weight.T
    np.testing.assert_allclose(gram, np.eye(min(out_features, in_features)), atol=1e-6)  # float32


def test_orthogonal_assignment_and_errors():
    layer = cr.nn.Linear(3, 3)
    parametrizations.orthogonal(layer)
    rotation = cr.tensor([[0.0, -1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    layer.weight = rotation
    np.testing.assert_allclose(layer.weight.detach().numpy(), rotation.numpy(), atol=1e-6)
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        parametrizations.orthogonal(cr.nn.Linear(3, 3), "bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp"'):
        parametrizations.orthogonal(cr.nn.Linear(3, 3), orthogonal_map="qr")
