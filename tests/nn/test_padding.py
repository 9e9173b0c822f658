"""Padding layers against torch: outputs and gradients (float64 and float32, train and eval),
reprs, the input shapes each accepts, and the errors for bad padding or inputs."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.nn import padding as layers
from tests.nn.helpers import assert_matches_torch

# (name, constructor arguments, input shape)
CASES = [
    ("ReflectionPad1d", (2,), (2, 3, 5)),
    ("ReflectionPad1d", ((3, 1),), (3, 6)),                       # unbatched
    ("ReflectionPad1d", ((-1, 2),), (1, 2, 5)),                   # a negative pad crops
    ("ReflectionPad2d", (1,), (2, 3, 4, 5)),
    ("ReflectionPad2d", ((1, 0, 2, 3),), (2, 4, 5)),              # unbatched
    ("ReflectionPad3d", (1,), (1, 2, 3, 4, 3)),
    ("ReflectionPad3d", ((0, 1, 2, 1, 1, 0),), (2, 3, 4, 3)),     # unbatched
    ("ReplicationPad1d", (3,), (2, 3, 2)),                        # pads larger than the dim
    ("ReplicationPad1d", ((0, 2),), (3, 4)),
    ("ReplicationPad2d", ((2, 1, 0, 3),), (2, 2, 3, 3)),
    ("ReplicationPad2d", (2,), (3, 2, 2)),
    ("ReplicationPad3d", ((1, 2, 0, 1, 2, 0),), (1, 2, 2, 3, 2)),
    ("ReplicationPad3d", (1,), (2, 2, 2, 2)),
    ("CircularPad1d", (2,), (2, 3, 4)),
    ("CircularPad1d", ((1, 3),), (2, 3)),
    ("CircularPad2d", ((1, 2, 2, 0),), (2, 2, 3, 4)),
    ("CircularPad2d", (1,), (2, 3, 3)),
    ("CircularPad3d", (1,), (1, 2, 2, 3, 2)),
    ("ConstantPad1d", (2, 3.5), (2, 3, 4)),
    ("ConstantPad1d", ((1, 0), -1.0), (4,)),                      # any number of dims
    ("ConstantPad2d", ((1, 2, 0, 3), 0.5), (2, 2, 3, 3)),
    ("ConstantPad2d", (1, 2), (3, 3)),
    ("ConstantPad3d", (1, 1.5), (1, 2, 2, 2, 2)),
    ("ZeroPad1d", ((2, 1),), (2, 3, 4)),
    ("ZeroPad2d", (1,), (2, 3, 4, 4)),
    ("ZeroPad2d", ((1, 2, 3, 4),), (4, 4)),
    ("ZeroPad2d", ((-1, 1, 0, -2),), (1, 2, 4, 4)),               # negative pads crop
    ("ZeroPad3d", ((1, 0, 0, 1, 2, 0),), (1, 2, 2, 3, 2)),
]


@pytest.mark.parametrize("name, args, shape", CASES,
                         ids=[f"{name}{args}{shape}" for name, args, shape in CASES])
def test_layers_match_torch(name, args, shape):
    ours, theirs = getattr(layers, name)(*args), getattr(torch.nn, name)(*args)
    assert repr(ours) == repr(theirs)
    x = np.random.default_rng(0).standard_normal(shape)
    assert_matches_torch(ours, theirs, [x])


def test_reprs_are_torchs_for_int_and_list_padding():
    for name, args in [("ReflectionPad2d", (2,)), ("ZeroPad1d", ([1, 2],)),
                       ("ConstantPad3d", (1, 3)), ("ReplicationPad3d", ((1, 2, 3, 4, 5, 6),)),
                       ("CircularPad2d", (0,))]:
        assert repr(getattr(layers, name)(*args)) == repr(getattr(torch.nn, name)(*args))
    assert layers.ZeroPad2d(1).value == torch.nn.ZeroPad2d(1).value == 0.0


def test_padding_passes_gradcheck_and_double_backward():
    x = cr.tensor(np.random.default_rng(1).standard_normal((1, 2, 3, 4)), requires_grad=True)
    for layer in (layers.ReflectionPad2d((2, 1, 1, 2)), layers.ReplicationPad2d(2),
                  layers.CircularPad2d(1), layers.ConstantPad2d(1, 2.0)):
        assert gradcheck(layer, (x,))
        assert gradgradcheck(layer, (x,))


@pytest.mark.parametrize("layer, shape, error, message", [
    (layers.ReflectionPad2d(1), (3, 4), NotImplementedError,
     r"ReflectionPad2d\(\(1, 1, 1, 1\)\): expected input of shape \(N, C, H, W\) or \(C, H, W\), "
     r"got \(3, 4\)"),
    (layers.ReplicationPad1d(1), (4,), NotImplementedError,
     r"ReplicationPad1d\(\(1, 1\)\): expected input of shape \(N, C, L\) or \(C, L\), got \(4,\)"),
    (layers.ReplicationPad3d(1), (1, 2, 3, 4, 5, 6), NotImplementedError,
     r"expected input of shape \(N, C, D, H, W\) or \(C, D, H, W\)"),
    (layers.CircularPad2d(1), (3, 4), ValueError, r"CircularPad2d\(.*\): expected 3D or 4D input"),
    (layers.ReflectionPad2d(3), (1, 3, 4), RuntimeError,
     r"reflect padding of \(3, 3\) is too large for a dim of size 3"),
    (layers.CircularPad1d(3), (1, 3, 2), RuntimeError,
     r"circular padding of \(3, 3\) is too large for a dim of size 2"),
    (layers.ConstantPad3d(1, 3.0), (4, 4), RuntimeError, r"pad: the pad \(1, 1, 1, 1, 1, 1\)"),
])
def test_a_wrong_input_is_refused_naming_the_layer_and_the_shapes(layer, shape, error, message):
    with pytest.raises(error, match=message):
        layer(cr.ones(*shape))


@pytest.mark.parametrize("name, padding", [
    ("ReflectionPad2d", (1, 2)), ("ZeroPad2d", (1, 2, 3)), ("ReplicationPad1d", 1.5),
    ("ConstantPad1d", "2"), ("CircularPad3d", (1, 1, 1, 1, 1, 1.0))])
def test_a_padding_of_the_wrong_length_or_type_is_refused(name, padding):
    # torch accepts some of these and pads fewer dims than the layer's name says; we refuse
    args = (padding, 0.0) if name.startswith("Constant") else (padding,)
    with pytest.raises(ValueError, match=f"{name}: padding must be an int or a tuple of"):
        getattr(layers, name)(*args)
