"""Activation layers and their functional forms against torch: outputs and gradients, reprs,
gradcheck, inplace=True and the implicit softmax dim."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck
from tests.nn.test_module import NN, assert_matches_torch

LAYERS = [
    lambda nn: nn.ReLU(), lambda nn: nn.ReLU(inplace=True), lambda nn: nn.LeakyReLU(),
    lambda nn: nn.LeakyReLU(0.2, inplace=True), lambda nn: nn.GELU(),
    lambda nn: nn.GELU(approximate="tanh"), lambda nn: nn.Tanh(), lambda nn: nn.Sigmoid(),
    lambda nn: nn.Softmax(dim=1), lambda nn: nn.Softmax(dim=-1), lambda nn: nn.LogSoftmax(dim=0),
    lambda nn: nn.LogSoftmax(dim=2), lambda nn: nn.Softplus(), lambda nn: nn.Softplus(2.0, 1.0),
    lambda nn: nn.SiLU(), lambda nn: nn.ELU(), lambda nn: nn.ELU(alpha=0.5),
]


def values_away_from_kinks(shape, seed=0):
    """Distinct values at least 0.05 from 0, where relu and its kin have kinks."""
    rng = np.random.default_rng(seed)
    return rng.choice([-1.0, 1.0], shape) * rng.uniform(0.05, 3.0, shape)


class Copy(NN.Module):
    """x * 1: a non-leaf copy of the input. inplace layers would otherwise write into the leaf
    input, which torch and chainrule both refuse."""

    def forward(self, x):
        return x * 1


class TorchCopy(torch.nn.Module):
    def forward(self, x):
        return x * 1


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_matches_torch(layer):
    ours, theirs = layer(NN), layer(torch.nn)
    assert repr(ours) == repr(theirs)
    for shape in ((3, 4, 5), (2, 6, 1)):
        assert_matches_torch(NN.Sequential(Copy(), ours), torch.nn.Sequential(TorchCopy(), theirs),
                             [values_away_from_kinks(shape)])


FUNCTIONS = [
    lambda lib, x: lib.nn.functional.relu(x),
    lambda lib, x: lib.nn.functional.leaky_relu(x, 0.1),
    lambda lib, x: lib.nn.functional.gelu(x),
    lambda lib, x: lib.nn.functional.gelu(x, approximate="tanh"),
    lambda lib, x: lib.nn.functional.tanh(x),
    lambda lib, x: lib.nn.functional.sigmoid(x),
    lambda lib, x: lib.nn.functional.softplus(x, beta=0.5, threshold=1.5),
    lambda lib, x: lib.nn.functional.softmax(x, dim=0),
    lambda lib, x: lib.nn.functional.log_softmax(x, dim=-1),
    lambda lib, x: lib.nn.functional.silu(x),
    lambda lib, x: lib.nn.functional.elu(x, alpha=1.5),
]


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_functional_form_gradchecks(fn):
    x = cr.tensor(values_away_from_kinks((2, 3), seed=1), requires_grad=True)
    assert gradcheck(lambda t: fn(cr, t), [x])
    assert gradgradcheck(lambda t: fn(cr, t), [x])


def test_elu_has_no_nan_gradient_for_large_inputs():
    x = cr.tensor([-100.0, 0.5, 100.0, 1000.0], dtype=cr.float64, requires_grad=True)
    F.elu(x).sum().backward()
    expected = torch.tensor([-100.0, 0.5, 100.0, 1000.0], dtype=torch.float64,
                            requires_grad=True)
    torch.nn.functional.elu(expected).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected.grad.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("fn", [F.relu, lambda x, inplace: F.leaky_relu(x, 0.3, inplace),
                                F.silu, F.elu])
def test_inplace_overwrites_the_input_and_keeps_the_gradient(fn):
    x = cr.tensor([-2.0, -0.5, 1.0, 3.0], requires_grad=True)
    h = x * 2
    out = fn(h, inplace=True)
    assert out is h
    np.testing.assert_allclose(h.detach().numpy(), fn(x * 2, inplace=False).detach().numpy())
    out.sum().backward()
    reference = cr.tensor([-2.0, -0.5, 1.0, 3.0], requires_grad=True)
    fn(reference * 2, inplace=False).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), reference.grad.numpy())


def test_inplace_on_a_leaf_that_requires_grad_is_refused_as_in_torch():
    with pytest.raises(RuntimeError, match="leaf"):
        F.relu(cr.ones(2, requires_grad=True), inplace=True)
    x = cr.tensor([-1.0, 2.0])
    assert F.relu(x, inplace=True) is x and np.array_equal(x.numpy(), [0.0, 2.0])


@pytest.mark.parametrize("shape", [(4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_without_dim_warns_and_picks_torchs_dim(shape):
    array = np.random.default_rng(5).standard_normal(shape)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        ours = NN.Softmax()(cr.tensor(array))
    with pytest.warns(UserWarning):
        theirs = torch.nn.Softmax()(torch.tensor(array))
        log_theirs = torch.nn.functional.log_softmax(torch.tensor(array))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    with pytest.warns(UserWarning):
        np.testing.assert_allclose(F.log_softmax(cr.tensor(array)).numpy(), log_theirs.numpy(),
                                   rtol=1e-12)
