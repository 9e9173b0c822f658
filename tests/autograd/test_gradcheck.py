"""gradcheck and gradgradcheck: they pass on correct gradients and name the worst entry otherwise."""
import pytest
import torch

import chainrule as cr
from chainrule.autograd import Function, GradcheckError, gradcheck, gradgradcheck


class SquareWrongGrad(Function):
    """y = x², with a deliberately wrong derivative 3x at the last element."""

    def forward(self, x):
        return x * x

    def backward(self, grad):
        (x,) = self.inputs
        bad = cr.ones(x.shape, dtype=x.dtype)
        bad[-1] = 1.5
        return grad * 2 * x * bad


class SquareFrozenGrad(Function):
    """y = x², whose backward is right but not differentiable (it leaves the graph)."""

    def forward(self, x):
        return x * x

    def backward(self, grad):
        (x,) = self.inputs
        return grad * 2 * x.detach()


def inputs():
    return cr.tensor([0.5, -1.0, 2.0], dtype=cr.float64, requires_grad=True)


def test_gradcheck_passes_on_a_correct_gradient():
    assert gradcheck(lambda x: (x * x).exp(), (inputs(),))
    assert gradgradcheck(lambda x: (x * x).exp(), (inputs(),))


def test_gradcheck_names_the_worst_element():
    with pytest.raises(GradcheckError, match=r"input 0 \(shape \(3,\)\), element \(2,\), output 0 "
                                             r"element \(2,\): backward gives 6, finite "
                                             r"differences give 4"):
        gradcheck(SquareWrongGrad.apply, (inputs(),))
    assert gradcheck(SquareWrongGrad.apply, (inputs(),), raise_exception=False) is False


def test_gradgradcheck_catches_a_backward_that_is_not_differentiable():
    assert gradcheck(SquareFrozenGrad.apply, (inputs(),))
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(SquareFrozenGrad.apply, (inputs(),))


def test_gradcheck_wants_float64():
    with pytest.raises(GradcheckError, match="float64"):
        gradcheck(lambda x: x * x, (cr.ones(2, requires_grad=True),))


# ----- the checker itself: several inputs and outputs, small errors, lost gradients --------------
class MulAddOnePercentOff(Function):
    """(x * y, x + y) for vectors, with d(x * y)/dy 1 % too large at element 1 only."""

    def forward(self, x, y):
        return x * y

    def backward(self, grad):
        x, y = self.inputs
        off = cr.ones(x.shape, dtype=x.dtype)
        off[1] = 1.01
        return grad * y, grad * x * off


class SquareOutsideTheGraph(Function):
    """y = x², whose backward computes on arrays: right values, no graph behind them."""

    def forward(self, x):
        return x * x

    def backward(self, grad):
        (x,) = self.inputs
        return cr.tensor(grad.detach().numpy() * 2 * x.detach().numpy())


def two_inputs():
    x = cr.tensor([0.5, -1.0, 2.0], dtype=cr.float64, requires_grad=True)
    y = cr.tensor([1.5, 0.25, -3.0], dtype=cr.float64, requires_grad=True)
    return x, y


def several_outputs(x, y):
    return (x * y).sum(), x.exp() + y, (x[:2] * y[1:]).tanh()


def test_gradcheck_checks_every_input_against_every_output():
    assert gradcheck(several_outputs, two_inputs())
    assert gradgradcheck(several_outputs, two_inputs())


def test_gradcheck_catches_a_one_percent_error_in_one_entry():
    # d(x * y)/dy at element 1 is x[1] = -1: backward gives -1.01, beyond rtol=1e-3
    with pytest.raises(GradcheckError, match=r"input 1 \(shape \(3,\)\), element \(1,\), output 0 "
                                             r"element \(1,\): backward gives -1.01"):
        gradcheck(lambda x, y: (MulAddOnePercentOff.apply(x, y), x + y), two_inputs())
    assert gradcheck(lambda x, y: (MulAddOnePercentOff.apply(x, y), x + y), two_inputs(),
                     raise_exception=False) is False


def test_gradcheck_refuses_a_detached_output():
    # torch raises "Numerical gradient for function expected to be zero" here
    with pytest.raises(GradcheckError, match="output 0 .* does not require grad.* gradient is lost"):
        gradcheck(lambda x: x.detach() * 2, (inputs(),))
    assert gradcheck(lambda x: x.detach() * 2, (inputs(),), raise_exception=False) is False


def test_gradcheck_passes_over_an_output_without_grad_beside_one_with_it_as_torch():
    # torch.autograd.gradcheck returns True here: the detached output is not differentiated
    assert gradcheck(lambda x, y: (x * y, (x + y).detach()), two_inputs())
    x, y = (torch.tensor(t.detach().numpy(), requires_grad=True) for t in two_inputs())
    assert torch.autograd.gradcheck(lambda x, y: (x * y, (x + y).detach()), (x, y))


def test_gradgradcheck_refuses_one_gradient_computed_outside_the_graph_beside_others():
    # stricter than torch's: the first derivative for y is computed outside the graph
    def f(x, y):
        return x * x + SquareOutsideTheGraph.apply(y)
    assert gradcheck(f, two_inputs())
    with pytest.raises(GradcheckError, match=r"the gradient of input 1 .* outside the graph"):
        gradgradcheck(f, two_inputs())


def test_gradcheck_accepts_outputs_that_are_constant_without_grad():
    # indices and constants have no gradient and no finite differences either, as in torch
    assert gradcheck(lambda x: (x * x, x.argmax(), cr.ones(2, dtype=cr.float64)), (inputs(),))
    assert gradgradcheck(lambda x: x.floor() * 0 + x * x, (inputs(),))


def test_gradgradcheck_refuses_a_backward_computed_outside_the_graph():
    assert gradcheck(SquareOutsideTheGraph.apply, (inputs(),))
    with pytest.raises(GradcheckError, match=r"gradgradcheck: the gradient of input 0 .* does not "
                                             r"require grad.*outside the graph"):
        gradgradcheck(SquareOutsideTheGraph.apply, (inputs(),))


def test_gradgradcheck_of_detached_outputs_fails_in_its_own_name():
    """No output requires grad: the first-order check runs, under the name of the function
    called."""
    with pytest.raises(GradcheckError, match=r"^gradgradcheck: output 0 .* does not require grad"
                                             r".*its gradient is lost"):
        gradgradcheck(lambda x: x.detach() * 2, (inputs(),))
    assert gradgradcheck(lambda x: x.detach() * 0, (inputs(),))   # constant: nothing lost


def test_gradcheck_wants_an_input_that_requires_grad():
    for check in (gradcheck, gradgradcheck):
        with pytest.raises(ValueError, match="at least one input tensor to require gradient"):
            check(lambda x: x * 2, (inputs().detach(),))
