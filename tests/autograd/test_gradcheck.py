"""gradcheck and gradgradcheck: they pass on correct gradients and name the worst entry otherwise."""
import pytest

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
