"""Gradients made with create_graph=True stay connected to the inputs they came from, as torch's
do: for the piecewise-linear functions whose torch backward keeps x in the graph (relu,
leaky_relu, abs, max pooling), the gradient requires grad and differentiating it again gives
zeros; the Hessian of any piecewise-linear function is zeros, never an error."""
import numpy as np
import pytest
import torch

import chainrule as cr

CONNECTED = {   # torch: the gradient has a grad_fn (ThresholdBackwardBackward0, MulBackward0 ...)
    "relu": lambda L, x: L.relu(x),
    "leaky_relu": lambda L, x: L.nn.functional.leaky_relu(x, 0.1),
    "abs": lambda L, x: L.abs(x),
    "max_pool1d": lambda L, x: L.nn.functional.max_pool1d(x.reshape(1, 1, 6), 2),
    "max_pool2d": lambda L, x: L.nn.functional.max_pool2d(x.reshape(1, 1, 2, 3), 2, 1),
    "relu_mlp_input": lambda L, x: L.relu(L.relu(x) * 2 - 1),
}
PIECEWISE = dict(CONNECTED, **{
    "clamp": lambda L, x: x.clamp(-0.5, 1.0),
    "max": lambda L, x: x.max(),
    "amax_dim": lambda L, x: x.reshape(2, 3).amax(dim=1),
    "maximum": lambda L, x: L.maximum(x, L.zeros(6, dtype=x.dtype)),
    "where": lambda L, x: L.where(x > 0, x, 0.5 * x),
})
VALUES = np.array([-1.5, -0.3, 0.4, 0.9, 2.0, -2.5])


def first_gradient(L, name):
    x = L.tensor(VALUES, requires_grad=True)
    (g,) = L.autograd.grad(PIECEWISE[name](L, x).sum(), x, create_graph=True)
    return x, g


@pytest.mark.parametrize("name", sorted(CONNECTED))
def test_the_gradient_stays_connected_and_its_derivative_is_zero(name):
    for L in (torch, cr):
        x, g = first_gradient(L, name)
        assert g.requires_grad, f"{L.__name__}: {name}'s gradient does not require grad"
        (h,) = L.autograd.grad((g * L.tensor(VALUES)).sum(), x)
        np.testing.assert_array_equal(h.detach().numpy(force=True) if L is torch else h.numpy(),
                                      np.zeros(6))


@pytest.mark.parametrize("name", sorted(PIECEWISE))
def test_the_gradient_and_the_hessian_match_torch(name):
    _, g = first_gradient(cr, name)
    _, expected = first_gradient(torch, name)
    np.testing.assert_allclose(g.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    hessian = cr.autograd.functional.hessian(lambda x: PIECEWISE[name](cr, x).sum(),
                                             cr.tensor(VALUES))
    np.testing.assert_array_equal(hessian.numpy(), np.zeros((6, 6)))


def test_a_gradient_penalty_on_a_relu_critic_backpropagates():
    """WGAN-GP's penalty (‖∇x D(x)‖ - 1)² where D's gradient in x depends on x only through relu
    masks: torch trains through it (the weights get gradients), and so must chainrule."""
    rng = np.random.default_rng(0)
    w1, w2, x = rng.normal(size=(3, 5)), rng.normal(size=(5, 1)), rng.normal(size=(4, 3))
    grads = []
    for L in (torch, cr):
        a, b = L.tensor(w1, requires_grad=True), L.tensor(w2, requires_grad=True)
        inputs = L.tensor(x, requires_grad=True)
        score = L.relu(inputs @ a) @ b
        (g,) = L.autograd.grad(score.sum(), inputs, create_graph=True)
        penalty = ((g.norm(dim=1) - 1) ** 2).mean()
        penalty.backward()
        grads.append([a.grad.numpy(), b.grad.numpy()])
    for ours, theirs in zip(grads[1], grads[0]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10)
