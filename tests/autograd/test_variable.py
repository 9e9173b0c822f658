"""autograd.Variable, as modern torch keeps it: a function-like class returning Tensors."""
import pytest
import torch

import chainrule as cr


def test_variable_returns_a_tensor_as_in_torch():
    for L in (torch, cr):
        data = L.ones(2)
        v = L.autograd.Variable(data, requires_grad=True)
        assert type(v) is L.Tensor and v.requires_grad and v.is_leaf
        assert v is not data and not data.requires_grad
        assert not L.autograd.Variable(data).requires_grad
        assert isinstance(L.ones(1), L.autograd.Variable)
        assert L.autograd.Variable().shape == (0,)


def test_variable_shares_memory_and_its_data_and_grad_work():
    data = cr.ones(3)
    v = cr.autograd.Variable(data, requires_grad=True)
    (v * 2).sum().backward()
    assert v.grad.tolist() == [2.0, 2.0, 2.0] and v.data.tolist() == [1.0, 1.0, 1.0]
    with cr.no_grad():
        v.add_(1)
    assert data.tolist() == [2.0, 2.0, 2.0]   # the same memory, as in torch


@pytest.mark.parametrize("data, error, message", [
    ([1.0, 2.0], TypeError, "Variable data has to be a tensor, but got list"),
    (lambda L: L.ones(2, dtype=L.int64), RuntimeError, "floating"),
])
def test_variable_refuses_what_torch_refuses(data, error, message):
    for L in (torch, cr):
        with pytest.raises(error, match=message if L is cr else None):
            L.autograd.Variable(data(L) if callable(data) else data, requires_grad=True)
