"""The "Learning PyTorch with Examples" tutorial on chainrule: the custom autograd Function, the
Flatten(0, 1) polynomial under RMSprop and the DynamicNet of random depth all follow torch."""
import random

import numpy as np

from tests.ports.loading import both, copy_weights, load


def test_legendre_function_descent_agrees_with_torch():
    T, C = both("learning_pytorch")
    # a and c stay at rounding-noise size (sin is odd), hence the absolute tolerance
    for dtype, rtol, atol in (("float32", 1e-4, 1e-8), ("float64", 1e-10, 1e-14)):
        expected = T.fit_legendre(30, getattr(T.torch, dtype))
        got = C.fit_legendre(30, getattr(C.torch, dtype))
        np.testing.assert_allclose(got[0], expected[0], rtol=rtol)
        np.testing.assert_allclose(got[1], expected[1], rtol=rtol, atol=atol)


def test_legendre_backward_is_the_hand_written_derivative():
    C = load("learning_pytorch", "chainrule")
    x = C.torch.tensor([-0.5, 0.0, 0.7], dtype=C.torch.float64, requires_grad=True)
    C.LegendrePolynomial3.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 1.5 * (5 * np.array([-0.5, 0.0, 0.7]) ** 2 - 1))


def test_flatten_polynomial_under_rmsprop_agrees_with_torch():
    T, C = both("learning_pytorch")
    T.torch.manual_seed(0)
    torch_model, chainrule_model = T.polynomial_model(), C.polynomial_model()
    copy_weights(torch_model, chainrule_model)
    expected = T.fit_polynomial(torch_model, 40)
    got = C.fit_polynomial(chainrule_model, 40)
    np.testing.assert_allclose(got, expected, rtol=1e-4)


def test_dynamic_net_of_random_depth_agrees_with_torch():
    T, C = both("learning_pytorch")
    T.torch.manual_seed(0)
    torch_model, chainrule_model = T.DynamicNet(), C.DynamicNet()
    copy_weights(torch_model, chainrule_model)
    random.seed(7)
    expected = T.fit_dynamic(torch_model, 40)
    random.seed(7)
    got = C.fit_dynamic(chainrule_model, 40)
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    for name, value in torch_model.named_parameters():
        np.testing.assert_allclose(getattr(chainrule_model, name).item(), value.item(), rtol=1e-4)
