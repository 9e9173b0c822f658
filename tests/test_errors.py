"""Bad input gets an error that names the operation and the shapes or dtypes involved."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F


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
    with pytest.raises(RuntimeError, match=r"requires_grad_: tensors that require grad need a "
                                           r"floating-point dtype \(.*\), got int64"):
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


# ----- an array, a list or a number where a Tensor is expected ----------------------------------
NOT_TENSORS = [np.ones(2), [1.0, 2.0], 2.0]
HINT = r"\(use chainrule.tensor\(x\), or chainrule.from_numpy\(x\)"


def _type_name(value):
    return "numpy.ndarray" if isinstance(value, np.ndarray) else type(value).__name__


@pytest.mark.parametrize("value", NOT_TENSORS, ids=_type_name)
def test_an_op_given_a_non_tensor_names_itself_and_the_type(value):
    with pytest.raises(TypeError, match=rf"relu: expected a Tensor as argument 0, got "
                                        rf"{_type_name(value)} {HINT}"):
        F.relu(value)
    with pytest.raises(TypeError, match=r"expected Tensor|must be Tensor"):   # torch refuses too
        torch.nn.functional.relu(value)


LAYERS = {
    "Linear": (lambda L: L.nn.Linear(2, 3), (4, 2)),
    "Conv2d": (lambda L: L.nn.Conv2d(1, 2, 3), (1, 1, 5, 5)),
    "Sequential": (lambda L: L.nn.Sequential(L.nn.Linear(2, 3), L.nn.ReLU()), (4, 2)),
    "LSTM": (lambda L: L.nn.LSTM(2, 3), (5, 1, 2)),
    "ReLU": (lambda L: L.nn.ReLU(), (3,)),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_called_with_an_array_names_the_layer(layer, dtype):
    build, shape = LAYERS[layer]
    array = np.ones(shape, dtype)
    with pytest.raises((TypeError, AttributeError)):   # torch refuses it (LSTM: AttributeError)
        build(torch)(array)
    named = "Linear" if layer == "Sequential" else layer   # the layer that received it
    with pytest.raises(TypeError, match=rf"{named}: expected a Tensor as input 0, got "
                                        rf"numpy.ndarray {HINT}"):
        build(cr)(array)


@pytest.mark.parametrize("value", NOT_TENSORS[1:], ids=_type_name)
def test_a_layer_called_with_a_list_or_a_number(value):
    with pytest.raises(TypeError, match=rf"Linear: expected a Tensor as input 0, got "
                                        rf"{_type_name(value)}"):
        cr.nn.Linear(2, 3)(value)
    with pytest.raises(TypeError, match=r"MSELoss: expected a Tensor as input 1, got list"):
        cr.nn.MSELoss()(cr.ones(2), [1.0, 2.0])


def test_a_users_module_may_take_arrays_and_its_errors_stay_its_own():
    class FromArrays(cr.nn.Module):
        def forward(self, array):
            if array.ndim != 2:
                raise ValueError("FromArrays wants a matrix")
            return cr.from_numpy(array).sum()

    assert FromArrays()(np.ones((2, 2))).item() == 4
    with pytest.raises(ValueError, match="FromArrays wants a matrix"):
        FromArrays()(np.ones(3))
    with pytest.raises(ValueError, match="FromArrays wants a matrix"):   # not blamed on the array
        cr.nn.Sequential(FromArrays())(np.ones(3))


def test_joining_a_list_that_holds_an_array():
    with pytest.raises(TypeError, match=r"cat: expected a Tensor as element 1, got numpy.ndarray"):
        cr.cat([cr.ones(2), np.ones(2, np.float32)])
    with pytest.raises(TypeError, match=r"stack: expected a Tensor as element 1, got "
                                        r"numpy.ndarray"):
        cr.stack([cr.ones(2), np.ones(2, np.float32)])
    with pytest.raises(TypeError, match="expected Tensor as element 1"):
        torch.cat([torch.ones(2), np.ones(2, np.float32)])


@pytest.mark.filterwarnings("ignore:__array_wrap__")   # torch, on a NumPy operand
@pytest.mark.parametrize("other", [1, 2.5, np.float64(1.5), np.float32(2), np.ones(2)],
                         ids=lambda v: f"{type(v).__name__}")
def test_arithmetic_with_numbers_and_arrays_still_works_as_in_torch(other):
    """torch converts a NumPy operand; Python and NumPy scalars keep the tensor's dtype."""
    x = np.array([1.0, 2.0], np.float32)
    ops = [lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b]
    if not isinstance(other, np.ndarray):   # torch refuses ndarray * Tensor; chainrule allows it
        ops += [lambda a, b: b * a, lambda a, b: b - a]
    for op in ops:
        mine, theirs = op(cr.tensor(x), other), op(torch.tensor(x), other)
        assert str(mine.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_allclose(mine.numpy(), theirs.numpy())


@pytest.mark.parametrize("other", ["a", None, {}], ids=repr)
def test_arithmetic_with_a_non_number_is_a_type_error_as_in_torch(other):
    with pytest.raises(TypeError):
        torch.ones(2) + other
    with pytest.raises(TypeError, match=r"add: unsupported operand type\(s\): 'Tensor' and"):
        cr.ones(2) + other


@pytest.mark.parametrize("other", [np.ones(2), [1.0, 2.0]], ids=_type_name)
@pytest.mark.parametrize("join", ["cat", "stack"])
def test_joining_a_list_that_holds_an_array_of_another_dtype_or_a_list(join, other):
    with pytest.raises(TypeError, match="expected Tensor as element 1"):
        getattr(torch, join)([torch.ones(2), other])
    with pytest.raises(TypeError, match=rf"{join}: expected a Tensor as .* 1, got "
                                        rf"{_type_name(other)}"):
        getattr(cr, join)([cr.ones(2), other])


def test_a_list_operand_is_refused_as_in_torch():
    with pytest.raises(TypeError, match="unsupported operand"):
        torch.ones(2) + [1.0, 2.0]
    with pytest.raises(TypeError):
        cr.ones(2) + [1.0, 2.0]
