"""Linear, Identity and Flatten against torch: outputs and gradients with copied weights, init,
reprs, and the error for an input of the wrong shape."""
import math

import numpy as np
import pytest
import torch

import chainrule
import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck
from tests.nn.helpers import NN, assert_matches_torch


@pytest.mark.parametrize("in_features, out_features, bias, input_shape", [
    (3, 4, True, (5, 3)), (5, 2, False, (2, 3, 5)), (1, 1, True, (4, 1)), (4, 3, True, (4,)),
    (6, 6, True, (2, 1, 3, 6)),
])
def test_linear_matches_torch(in_features, out_features, bias, input_shape):
    ours = NN.Linear(in_features, out_features, bias)
    theirs = torch.nn.Linear(in_features, out_features, bias)
    assert repr(ours) == repr(theirs)
    assert_matches_torch(ours, theirs, [np.random.default_rng(2).standard_normal(input_shape)])


@pytest.mark.parametrize("layer", [
    lambda nn: nn.Identity(), lambda nn: nn.Identity(54, unused_argument=0.1),
    lambda nn: nn.Flatten(), lambda nn: nn.Flatten(0, 1), lambda nn: nn.Flatten(-2),
])
def test_identity_and_flatten_match_torch(layer):
    ours, theirs = layer(NN), layer(torch.nn)
    assert repr(ours) == repr(theirs)
    assert_matches_torch(ours, theirs, [np.random.default_rng(3).standard_normal((2, 3, 4))])


@pytest.mark.parametrize("in1, in2, out, bias, batch", [
    (3, 4, 5, True, (6,)), (2, 2, 1, False, (3, 2)), (4, 3, 2, True, ()),
])
def test_bilinear_matches_torch(in1, in2, out, bias, batch):
    ours, theirs = NN.Bilinear(in1, in2, out, bias), torch.nn.Bilinear(in1, in2, out, bias)
    assert repr(ours) == repr(theirs)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    rng = np.random.default_rng(5)
    assert_matches_torch(ours, theirs, [rng.standard_normal(batch + (in1,)),
                                        rng.standard_normal(batch + (in2,))])


def test_bilinear_init_is_uniform_within_one_over_root_in1():
    layer = NN.Bilinear(16, 3, 40)
    for p in (layer.weight, layer.bias):
        x = p.detach().numpy()
        assert np.abs(x).max() <= 0.25 and np.abs(x).max() > 0.2


@pytest.mark.parametrize("bias", [True, False])
def test_functional_bilinear_gradcheck(bias):
    rng = np.random.default_rng(6)
    shapes = ((2, 3), (2, 4), (5, 3, 4), (5,))[:4 if bias else 3]
    inputs = [cr.tensor(rng.standard_normal(shape), requires_grad=True) for shape in shapes]
    assert gradcheck(F.bilinear, inputs)


@pytest.mark.parametrize("shapes", [((2, 3), (3, 4), (5, 3, 4)), ((2, 3), (2, 4), (5, 4, 3)),
                                    ((2, 3), (4,), (5, 3, 4)), ((2, 3), (2, 4), (5, 3, 4), (4,))])
def test_functional_bilinear_refuses_mismatched_shapes(shapes):
    tensors = [cr.randn(*shape) for shape in shapes]
    with pytest.raises(RuntimeError, match=r"bilinear: expected input1 \(\*, in1\), input2 "
                                           r"\(\*, in2\) with the same batch dims.*got input1"):
        F.bilinear(*tensors)


@pytest.mark.parametrize("bias", [True, False])
def test_functional_linear_gradcheck(bias):
    rng = np.random.default_rng(4)
    inputs = [cr.tensor(rng.standard_normal(shape), requires_grad=True)
              for shape in ((2, 3), (2, 3), (2,))[:3 if bias else 2]]
    assert gradcheck(F.linear, inputs)


def test_wrong_input_shape_names_the_layer_and_the_expected_shape():
    layer = NN.Linear(3, 4)
    with pytest.raises(RuntimeError, match=r"Linear\(in_features=3, out_features=4, bias=True\): "
                                           r"expected input of shape \(\*, 3\), got \(2, 5\)"):
        layer(cr.ones(2, 5))
    with pytest.raises(RuntimeError, match=r"\(\*, 3\)"):
        layer(cr.tensor(1.0))


def test_init_matches_torchs_distribution():
    cr.manual_seed(0)
    in_features = 400
    layer = NN.Linear(in_features, 300)
    bound = 1 / math.sqrt(in_features)   # kaiming_uniform_(a=√5) gives U(±1/√in)
    for p in (layer.weight, layer.bias):
        x = p.detach().numpy()
        assert x.min() >= -bound and x.max() <= bound and x.max() > 0.98 * bound
    w = layer.weight.detach().numpy()
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    assert abs(w.mean()) < 0.01 * bound


def test_dtype_and_device_arguments():
    layer = NN.Linear(2, 3, dtype=cr.float64, device="cpu")
    assert layer.weight.dtype == np.float64 and layer.bias.dtype == np.float64
    assert layer(cr.ones(1, 2, dtype=cr.float64)).dtype == np.float64
    assert NN.Linear(2, 3, bias=False).bias is None
    with pytest.raises(RuntimeError, match="CPU"):
        NN.Linear(2, 3, device="cuda")


@pytest.mark.parametrize("labels, classes", [([0, 2, 1], -1), ([[1, 0], [3, 3]], 5), ([], 4)])
def test_one_hot_matches_torch(labels, classes):
    values = np.array(labels, dtype=np.int64)
    ours = chainrule.nn.functional.one_hot(chainrule.tensor(values), classes)
    theirs = torch.nn.functional.one_hot(torch.tensor(values), classes)
    assert ours.dtype == chainrule.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_one_hot_names_a_class_out_of_range():
    with pytest.raises(RuntimeError, match=r"one_hot: class values must be in \[0, 3\)"):
        chainrule.nn.functional.one_hot(chainrule.tensor([0, 3]), 3)


def test_bilinear_with_mixed_dtypes_names_them():
    def call(lib):
        return lib.nn.functional.bilinear(lib.ones(4, 2).double(), lib.ones(4, 2).double(),
                                          lib.ones(3, 2, 2), lib.ones(3))
    with pytest.raises(RuntimeError, match="same dtype"):   # torch refuses it too
        call(torch)
    with pytest.raises(RuntimeError, match=r"bilinear: all tensors must have the same dtype, got "
                                           r"float64, float64, float32, float32 \(input1 \(4, 2\)"):
        call(cr)
