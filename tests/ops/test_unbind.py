"""unbind: its cases, checked by the shared harness; then the slices as views, the one-stack
backward through the hub, and each slice backpropagated on its own as in torch."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks


def unbind_weighted(dim, used):
    """Slices along dim, each scaled by its position + 1, stacked back; only `used` slices."""
    def fn(L, x):
        pieces = L.unbind(x, dim)
        return L.stack([pieces[i] * (i + 1) for i in used], 0)
    return fn


def numpy_unbind_weighted(dim, used):
    return lambda x: np.stack([np.take(x, i, axis=dim) * (i + 1) for i in used], 0)


def unbind_reused(L, x):
    """A slice used twice: its two gradients add up before the hub stacks them."""
    a, b = L.unbind(x, 0)
    return a * b + a.tanh()


CASES = [
    Case("unbind", lambda L, x: L.stack([p * (i + 1.0) for i, p in enumerate(x.unbind(1))], 0),
         lambda a: np.stack([a[:, i] * (i + 1.0) for i in range(a.shape[1])]),
         [((2, 3),), ((0, 2),), ((1, 1, 2),)]),
    Case("unbind_function", unbind_weighted(0, [0, 1, 2]), numpy_unbind_weighted(0, [0, 1, 2]),
         [((3, 2),), ((3, 2, 2),)]),
    Case("unbind_dim1_some_unused", unbind_weighted(1, [3, 1]), numpy_unbind_weighted(1, [3, 1]),
         [((2, 4, 3),)]),
    Case("unbind_reused", unbind_reused, lambda x: x[0] * x[1] + np.tanh(x[0]), [((2, 3),)]),
]


class TestUnbind(OpChecks):
    cases = CASES


# ----- views, and a backward that is one stack ----------------------------------------------------
def test_unbind_slices_are_views_sharing_the_version_counter():
    x = chainrule.randn(3, 4)
    pieces = chainrule.unbind(x, 1)
    assert len(pieces) == 4 and pieces[2].shape == (3,)
    assert np.shares_memory(pieces[2].numpy(), x.numpy())
    x.add_(1.0)
    assert pieces[2]._version is x._version


def test_unbind_slices_refuse_in_place_changes_while_recording():
    x = chainrule.randn(2, 3, requires_grad=True) * 1
    a, _ = chainrule.unbind(x)
    with pytest.raises(RuntimeError, match=r"add_: this tensor .* is a view of another live"):
        a.add_(1)


def test_unbind_backward_is_one_stack():
    """x's gradient is one stack of the slices' gradients, not a sum of full-size scatters."""
    x = chainrule.randn(50, 2, dtype=chainrule.float64, requires_grad=True)
    loss = chainrule.stack([p * p for p in chainrule.unbind(x)]).sum()
    (grad,) = chainrule.autograd.grad(loss, [x], create_graph=True)
    assert type(grad.grad_fn).__name__ == "Stack"
    np.testing.assert_allclose(grad.detach().numpy(), 2 * x.detach().numpy())


def test_unbind_backward_twice_with_retain_graph():
    x = chainrule.randn(4, 2, requires_grad=True)
    loss = sum(p.sum() * (i + 1) for i, p in enumerate(chainrule.unbind(x)))
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.repeat([[1.0], [2], [3], [4]], 2, 1))


@pytest.mark.parametrize("shape, dim", [((), 0), ((2, 3), 2), ((2, 3), -3)])
def test_unbind_bad_dim(shape, dim):
    with pytest.raises(IndexError, match="unbind"):
        chainrule.unbind(chainrule.zeros(*shape), dim)


def test_unbind_slices_backpropagate_one_at_a_time_as_in_torch():
    # the per-sample loss loop: each slice's backward runs through the shared hub on its own
    data = np.arange(6.0).reshape(3, 2)
    x, tx = chainrule.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    for r, tr in zip(x.unbind(0), tx.unbind(0)):
        (r * r).sum().backward()
        (tr * tr).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    a, b = x.unbind(1)
    (a * 3).sum().backward()
    (b * 5).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy() + [[3.0, 5.0]] * 3)
