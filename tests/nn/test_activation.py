"""Activation layers and their functional forms against torch: outputs and gradients, reprs,
gradcheck, inplace=True and the implicit softmax dim."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck, gradgradcheck
from tests.nn.helpers import NN, assert_matches_torch

LAYERS = [
    lambda nn: nn.ReLU(), lambda nn: nn.ReLU(inplace=True), lambda nn: nn.LeakyReLU(),
    lambda nn: nn.LeakyReLU(0.2, inplace=True), lambda nn: nn.GELU(),
    lambda nn: nn.GELU(approximate="tanh"), lambda nn: nn.Tanh(), lambda nn: nn.Sigmoid(),
    lambda nn: nn.Softmax(dim=1), lambda nn: nn.Softmax(dim=-1), lambda nn: nn.LogSoftmax(dim=0),
    lambda nn: nn.LogSoftmax(dim=2), lambda nn: nn.Softplus(), lambda nn: nn.Softplus(2.0, 1.0),
    lambda nn: nn.SiLU(), lambda nn: nn.ELU(), lambda nn: nn.ELU(alpha=0.5),
    lambda nn: nn.Softmax2d(),
    lambda nn: nn.Hardtanh(), lambda nn: nn.Hardtanh(-2.0, 0.5, inplace=True),
    lambda nn: nn.ReLU6(), lambda nn: nn.ReLU6(inplace=True), lambda nn: nn.PReLU(),
    lambda nn: nn.PReLU(init=-0.5), lambda nn: nn.Mish(), lambda nn: nn.Mish(inplace=True),
    lambda nn: nn.Hardswish(), lambda nn: nn.Hardswish(inplace=True), lambda nn: nn.Softsign(),
    lambda nn: nn.Tanhshrink(),
    lambda nn: nn.LogSigmoid(), lambda nn: nn.SELU(), lambda nn: nn.SELU(inplace=True),
    lambda nn: nn.CELU(), lambda nn: nn.CELU(0.5, inplace=True), lambda nn: nn.Threshold(0.1, 20),
    lambda nn: nn.Threshold(-0.5, 2.0, inplace=True), lambda nn: nn.GLU(dim=1),
    lambda nn: nn.Softmin(dim=1), lambda nn: nn.Hardshrink(), lambda nn: nn.Softshrink(0.3),
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
    lambda lib, x: lib.nn.functional.hardtanh(x, -0.5, 2.0),
    lambda lib, x: lib.nn.functional.relu6(x * 3),
    lambda lib, x: lib.nn.functional.hardswish(x * 2),
    lambda lib, x: lib.nn.functional.mish(x),
    lambda lib, x: lib.nn.functional.logsigmoid(x),
    lambda lib, x: lib.nn.functional.softsign(x),
    lambda lib, x: lib.nn.functional.tanhshrink(x),
    lambda lib, x: lib.nn.functional.selu(x),
    # alpha a power of 2: torch's celu gradient uses 1/alpha rounded to float32, which then is exact
    lambda lib, x: lib.nn.functional.celu(x, alpha=0.5),
    lambda lib, x: lib.nn.functional.threshold(x, 0.2, -3.0),
    lambda lib, x: lib.nn.functional.glu(x, dim=0),
    lambda lib, x: lib.nn.functional.prelu(x, lib.tensor([0.1, -0.3, 2.0], dtype=x.dtype)),
    lambda lib, x: lib.nn.functional.softmin(x, dim=1),
    lambda lib, x: lib.nn.functional.hardshrink(x, 0.6),
    lambda lib, x: lib.nn.functional.softshrink(x, 0.6),
    lambda lib, x: lib.nn.functional.softshrink(x, 0),
]
# torch's hardsigmoid gradient is 1/6 rounded to float32 even in float64 (its kernel's constant
# is 1.0f / 6.0f); ours is 1/6, so it is compared to 1e-7 (test_hardsigmoid_...) and gradchecked
HARDSIGMOID = [lambda lib, x: lib.nn.functional.hardsigmoid(x * 2),
               lambda lib, x: lib.nn.functional.hardsigmoid(x, inplace=True)]


@pytest.mark.parametrize("fn,rtol", [(fn, 1e-12) for fn in FUNCTIONS]
                         + [(fn, 1e-7) for fn in HARDSIGMOID])
def test_functional_form_matches_torch(fn, rtol):
    array = values_away_from_kinks((2, 3), seed=2)
    ours, theirs = cr.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
    out, expected = fn(cr, ours * 1), fn(torch, theirs * 1)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12,
                               atol=1e-12)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=rtol, atol=rtol)


def test_hardsigmoid_layer_matches_torch():
    for inplace in (False, True):
        ours, theirs = NN.Hardsigmoid(inplace), torch.nn.Hardsigmoid(inplace)
        assert repr(ours) == repr(theirs) and ours.inplace == theirs.inplace
        array = values_away_from_kinks((3, 4), seed=4) * 2
        x, t = cr.tensor(array, requires_grad=True), torch.tensor(array, requires_grad=True)
        out, expected = ours(x * 1), theirs(t * 1)
        np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
        out.sum().backward()
        expected.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-7)


@pytest.mark.parametrize("fn", FUNCTIONS[:1] + HARDSIGMOID[:1] + FUNCTIONS[1:])
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


@pytest.mark.parametrize("fn", [
    F.relu, lambda x, inplace: F.leaky_relu(x, 0.3, inplace), F.silu, F.elu, F.hardtanh, F.relu6,
    F.hardsigmoid, F.hardswish, F.mish, F.selu, lambda x, inplace: F.celu(x, 0.5, inplace),
    lambda x, inplace: F.threshold(x, 0.5, -1.0, inplace)])
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


@pytest.mark.parametrize("name,args", [("relu_", ()), ("leaky_relu_", (0.2,)), ("elu_", (0.5,)),
                                       ("hardtanh_", (-0.5, 0.8)), ("threshold_", (0.3, -2.0)),
                                       ("celu_", (2.0,)), ("selu_", ())])
def test_underscore_forms_work_in_place_as_torch(name, args):
    array = values_away_from_kinks((2, 3), seed=7)
    ours, theirs = cr.tensor(array), torch.tensor(array)
    assert getattr(F, name)(ours, *args) is ours
    getattr(torch.nn.functional, name)(theirs, *args)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


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
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmin"):
        ours = NN.Softmin()(cr.tensor(array))
    with pytest.warns(UserWarning):
        theirs = torch.nn.Softmin()(torch.tensor(array))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


# ----- kinks, per-channel slopes and bad input ----------------------------------------------
KINKS = [
    (lambda lib, x: lib.nn.functional.hardtanh(x), [-1.0, 1.0, -1.5, 0.0, 1.5]),
    (lambda lib, x: lib.nn.functional.hardtanh(x, -2.0, 0.5), [-2.0, 0.5]),
    (lambda lib, x: lib.nn.functional.relu6(x), [0.0, 6.0, -1.0, 7.0, 3.0]),
    (lambda lib, x: lib.nn.functional.hardsigmoid(x), [-3.0, 3.0, -4.0, 4.0, 0.0]),
    (lambda lib, x: lib.nn.functional.hardswish(x), [-3.0, 3.0, -4.0, 4.0, 0.0]),
    (lambda lib, x: lib.nn.functional.threshold(x, 0.5, 2.0), [0.5, 0.0, 1.0]),
    (lambda lib, x: lib.nn.functional.prelu(x, lib.tensor([0.25], dtype=x.dtype)), [0.0, -1.0]),
    (lambda lib, x: lib.nn.functional.selu(x), [0.0]),
    (lambda lib, x: lib.nn.functional.celu(x, 2.0), [0.0]),
]


@pytest.mark.parametrize("fn,values", KINKS)
def test_gradient_at_the_kinks_is_torchs(fn, values):
    ours = cr.tensor(values, dtype=cr.float64, requires_grad=True)
    theirs = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    fn(cr, ours).sum().backward()
    fn(torch, theirs).sum().backward()
    np.testing.assert_allclose(fn(cr, ours).detach().numpy(), fn(torch, theirs).detach().numpy())
    # 1e-7: torch's hardsigmoid gradient is float32's 1/6 (see HARDSIGMOID); zeros are exact
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-7, atol=0)


@pytest.mark.parametrize("shape", [(2, 3), (2, 3, 4), (2, 3, 2, 2)])
def test_prelu_learns_one_slope_per_channel(shape):
    ours, theirs = NN.PReLU(3, init=0.1), torch.nn.PReLU(3, init=0.1)
    with torch.no_grad():
        theirs.weight.copy_(torch.tensor([0.1, -0.4, 1.5]))
    assert repr(ours) == repr(theirs)
    assert_matches_torch(ours, theirs, [values_away_from_kinks(shape, seed=3)])


def test_prelu_layer_matches_torchs_parameters():
    ours = NN.PReLU(4, init=0.3, dtype=cr.float64)
    theirs = torch.nn.PReLU(4, init=0.3, dtype=torch.float64)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [("weight", (4,))]
    np.testing.assert_array_equal(ours.weight.detach().numpy(), theirs.weight.detach().numpy())
    assert ours.weight.dtype == cr.float64 and ours.init == theirs.init == 0.3


@pytest.mark.parametrize("call,error,message", [
    (lambda: F.prelu(cr.randn(2, 4), cr.ones(3)), RuntimeError,
     "prelu: expected one weight or one per channel (dim 1 of input (2, 4)), got weight of "
     "shape (3,)"),
    (lambda: F.prelu(cr.randn(2, 4), cr.ones(2, 2)), RuntimeError,
     "prelu: expected weight to be a scalar or 1-D tensor, got shape (2, 2)"),
    (lambda: NN.PReLU(3)(cr.randn(2, 4, 5)), RuntimeError, "one per channel (dim 1 of input"),
    (lambda: NN.PReLU(3)(cr.randn(3)), RuntimeError,  # as torch: a 1-d input has one channel
     "prelu: expected one weight or one per channel (dim 1 of input (3,)), got weight of shape"),
    (lambda: F.glu(cr.randn(2, 5)), RuntimeError,
     "glu: halving dimension must be even, but dimension -1 of input (2, 5) is size 5"),
    (lambda: F.glu(cr.tensor(1.0)), RuntimeError, "glu: does not support scalars"),
    (lambda: NN.Softmax2d()(cr.randn(2, 3)), ValueError,
     "Softmax2d: expected input to be 3D or 4D, got 2D (shape (2, 3)) instead"),
    (lambda: F.hardtanh(cr.randn(2), 1.0, -1.0), ValueError,
     "hardtanh: min_val cannot be greater than max_val, got min_val=1.0 and max_val=-1.0"),
    (lambda: F.softshrink(cr.randn(2), -0.5), RuntimeError,
     "softshrink: lambda must be greater or equal to 0, got -0.5"),
    (lambda: NN.Hardtanh(1.0, 1.0), ValueError,
     "Hardtanh: max_val (1.0) must be greater than min_val (1.0)"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_bad_input_is_refused_clearly(call, error, message):
    with pytest.raises(error) as raised:
        call()
    assert message in str(raised.value)
