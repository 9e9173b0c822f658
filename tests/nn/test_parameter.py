"""Parameter: a leaf Tensor that requires grad and that modules register, as torch.nn.Parameter."""
import copy

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn import Parameter


def test_a_parameter_is_a_leaf_tensor_that_requires_grad():
    p = Parameter(cr.ones(2, 3))
    assert isinstance(p, cr.Tensor) and p.is_leaf and p.requires_grad and p.grad is None
    assert not Parameter(cr.ones(2), requires_grad=False).requires_grad
    assert Parameter().shape == torch.nn.Parameter().shape == (0,)


def test_a_parameter_shares_memory_and_version_with_its_tensor():
    t = cr.zeros(3)
    p = Parameter(t)
    with cr.no_grad():
        p.add_(1)
    assert np.array_equal(t.numpy(), [1, 1, 1]) and t._version is p._version


def test_a_parameter_of_a_non_leaf_is_detached():
    x = cr.ones(2, requires_grad=True)
    p = Parameter(x * 2)
    assert p.is_leaf and p.requires_grad


def test_results_of_ops_are_plain_tensors():
    p = Parameter(cr.ones(2))
    assert type(p * 2) is cr.Tensor and type(p.data) is cr.Tensor
    assert type(torch.nn.Parameter(torch.ones(2)) * 2) is torch.Tensor


def test_gradients_accumulate_into_a_parameter():
    p = Parameter(cr.tensor([1.0, 2.0]))
    (p * p).sum().backward()
    (p * 3).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), [5.0, 7.0])


def test_repr_as_torch():
    assert repr(Parameter(cr.tensor([1.0, 2.0]))) == repr(torch.nn.Parameter(torch.tensor([1.0,
                                                                                          2.0])))


def test_integer_parameters_cannot_require_grad():
    with pytest.raises(RuntimeError, match="floating"):
        Parameter(cr.tensor([1, 2]))
    assert Parameter(cr.tensor([1, 2]), requires_grad=False).dtype == np.int64


def test_deepcopy_copies_memory_and_gradient():
    p = Parameter(cr.ones(2))
    (p * 2).sum().backward()
    q = copy.deepcopy(p)
    assert type(q) is Parameter and q.requires_grad
    with cr.no_grad():
        q.fill_(5)
    q.grad.fill_(0)
    assert np.array_equal(p.detach().numpy(), [1, 1]) and np.array_equal(p.grad.numpy(), [2, 2])
