"""Bad input gets an error that names the operation and the shapes or dtypes involved."""
import pytest

import chainrule as cr


def test_mismatched_matmul_shapes():
    with pytest.raises(RuntimeError, match=r"matmul.*\(3, 4\).*\(5, 2\)"):
        cr.ones(3, 4) @ cr.ones(5, 2)


def test_non_broadcastable_operands():
    with pytest.raises(RuntimeError, match=r"add: operands of shapes \(2, 3\) and \(4,\) cannot be "
                                           r"broadcast"):
        cr.ones(2, 3) + cr.ones(4)
    with pytest.raises(RuntimeError, match=r"mul: .*\(3,\).*\(2,\)"):
        cr.ones(3) * cr.ones(2)


def test_integer_tensor_asking_for_a_gradient():
    with pytest.raises(RuntimeError, match="only floating-point tensors can require gradients, "
                                           "this one is int64"):
        cr.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="int64"):
        cr.arange(3).requires_grad_()


def test_backward_on_a_non_scalar_without_gradient():
    y = cr.ones(2, 3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"scalar output; this output has shape \(2, 3\), so pass "
                                           r"gradient="):
        y.backward()


def test_backward_on_a_tensor_with_no_graph():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.ones(2).sum().backward()


@pytest.mark.parametrize("call, name", [
    (lambda x: x.sum(dim=2), "sum"),
    (lambda x: x.mean(dim=-3), "mean"),
    (lambda x: x.softmax(dim=5), "softmax"),
    (lambda x: x.transpose(0, 2), "transpose"),
    (lambda x: x.unsqueeze(4), "unsqueeze"),
    (lambda x: cr.cat([x, x], dim=2), "cat"),
])
def test_out_of_range_dim(call, name):
    with pytest.raises(IndexError, match=rf"(?s){name}.*2.*\(2, 3\)|{name}.*\(2, 3\).*2"):
        call(cr.ones(2, 3))


def test_gradient_of_the_wrong_shape():
    y = cr.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"backward: the gradient has shape \(3,\) but the output "
                                           r"it belongs to has shape \(2,\)"):
        y.backward(cr.ones(3))


def test_reshape_to_a_different_number_of_elements():
    with pytest.raises(RuntimeError, match=r"(?s)(reshape|view).*\(2, 3\).*\(4,\)"):
        cr.ones(2, 3).reshape(4)


def test_index_out_of_bounds():
    with pytest.raises(IndexError, match=r"\(2, 3\)"):
        cr.ones(2, 3)[5]
