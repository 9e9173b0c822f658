"""The recurrent step ops (one RNN, LSTM or GRU time step from precomputed input gates) and unbind,
checked by the shared harness against NumPy and against the same formulas written in torch."""
import numpy as np
import pytest
import torch

import chainrule
from chainrule.ops import recurrent
from tests.ops.harness import Case, OpChecks


# ----- the formulas, once for torch and once for NumPy ------------------------------------------
def torch_lstm_step(gates_x, hc, w_hh):
    hidden = w_hh.shape[1]
    h, c = hc[:, :hidden], hc[:, hidden:]
    i, f, g, o = (gates_x + h @ w_hh.T).chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return torch.cat([o.sigmoid() * c.tanh(), c], 1)


def torch_gru_step(gates_x, h, w_hh, b_hh=None):
    hidden = w_hh.shape[1]
    recurrent = h @ w_hh.T + (0 if b_hh is None else b_hh)
    x_r, x_z, x_n = gates_x.chunk(3, 1)
    a_r, a_z, a_n = recurrent.chunk(3, 1)
    r, z = (x_r + a_r).sigmoid(), (x_z + a_z).sigmoid()
    n = (x_n + r * a_n).tanh()
    return (1 - z) * n + z * h


def torch_rnn_step(gates_x, h, w_hh, nonlinearity):
    pre = gates_x + h @ w_hh.T
    return pre.tanh() if nonlinearity == "tanh" else pre.relu()


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def numpy_lstm_step(gates_x, hc, w_hh):
    hidden = w_hh.shape[1]
    i, f, g, o = np.split(gates_x + hc[:, :hidden] @ w_hh.T, 4, axis=1)
    c = sigmoid(f) * hc[:, hidden:] + sigmoid(i) * np.tanh(g)
    return np.concatenate([sigmoid(o) * np.tanh(c), c], 1)


def numpy_gru_step(gates_x, h, w_hh, b_hh=0.0):
    x_r, x_z, x_n = np.split(gates_x, 3, axis=1)
    a_r, a_z, a_n = np.split(h @ w_hh.T + b_hh, 3, axis=1)
    r, z = sigmoid(x_r + a_r), sigmoid(x_z + a_z)
    n = np.tanh(x_n + r * a_n)
    return (1 - z) * n + z * h


def on(lib, ours, theirs):
    """The chainrule op or the torch reference, whichever library the harness runs."""
    return ours if lib is chainrule else theirs


def lstm(L, gates_x, hc, w_hh):
    return on(L, recurrent.lstm_cell_step, torch_lstm_step)(gates_x, hc, w_hh)


def gru(L, *tensors):
    return on(L, recurrent.gru_cell_step, torch_gru_step)(*tensors)


def rnn(nonlinearity):
    return lambda L, *xs: on(L, recurrent.rnn_cell_step, torch_rnn_step)(*xs, nonlinearity)


def unbind_weighted(dim, used):
    """Slices along dim, each scaled by its position + 1, stacked back; only `used` slices."""
    def fn(L, x):
        pieces = on(L, recurrent.unbind, torch.unbind)(x, dim)
        return L.stack([pieces[i] * (i + 1) for i in used], 0)
    return fn


def numpy_unbind_weighted(dim, used):
    return lambda x: np.stack([np.take(x, i, axis=dim) * (i + 1) for i in used], 0)


def unbind_reused(L, x):
    """A slice used twice: its two gradients add up before the hub stacks them."""
    a, b = on(L, recurrent.unbind, torch.unbind)(x, 0)
    return a * b + a.tanh()


# N = 2 sequences, H = 3 hidden units (and 1 x 1 edge cases): gates_x, state, w_hh[, b_hh]
LSTM_SHAPES = [((2, 12), (2, 6), (12, 3)), ((1, 4), (1, 2), (4, 1))]
GRU_SHAPES = [((2, 9), (2, 3), (9, 3)), ((1, 3), (1, 1), (3, 1))]
RNN_SHAPES = [((2, 3), (2, 3), (3, 3)), ((1, 1), (1, 1), (1, 1))]

CASES = [
    Case("lstm_cell_step", lstm, numpy_lstm_step, LSTM_SHAPES),
    Case("gru_cell_step", gru, numpy_gru_step, GRU_SHAPES),
    Case("gru_cell_step_bias", gru, numpy_gru_step, [s + ((9,),) for s in GRU_SHAPES[:1]]),
    Case("rnn_cell_step_tanh", rnn("tanh"), lambda g, h, w: np.tanh(g + h @ w.T), RNN_SHAPES),
    # distinct values keep the pre-activations away from relu's kink
    Case("rnn_cell_step_relu", rnn("relu"), lambda g, h, w: np.maximum(g + h @ w.T, 0),
         [((2, 3), (2, 3), (3, 3))], make=lambda rng, shape: rng.uniform(0.1, 1.0, shape)),
    Case("unbind", unbind_weighted(0, [0, 1, 2]), numpy_unbind_weighted(0, [0, 1, 2]),
         [((3, 2),), ((3, 2, 2),)]),
    Case("unbind_dim1_some_unused", unbind_weighted(1, [3, 1]), numpy_unbind_weighted(1, [3, 1]),
         [((2, 4, 3),)]),
    Case("unbind_reused", unbind_reused, lambda x: x[0] * x[1] + np.tanh(x[0]), [((2, 3),)]),
]


class TestRecurrent(OpChecks):
    cases = CASES


# ----- the plain backward (saved gate values) and the graph-building one (recomputed) agree -----
@pytest.mark.parametrize("step, shapes", [
    (recurrent.lstm_cell_step, LSTM_SHAPES[0]), (recurrent.gru_cell_step, GRU_SHAPES[0]),
    (recurrent.gru_cell_step, GRU_SHAPES[0] + ((9,),)), (recurrent.rnn_cell_step, RNN_SHAPES[0]),
])
def test_plain_and_graph_building_backward_agree(step, shapes):
    rng = np.random.default_rng(0)
    inputs = [chainrule.tensor(rng.standard_normal(s), requires_grad=True) for s in shapes]
    out = step(*inputs)
    upstream = chainrule.tensor(rng.standard_normal(out.shape))
    plain = chainrule.autograd.grad(out, inputs, upstream, retain_graph=True)
    built = chainrule.autograd.grad(out, inputs, upstream, create_graph=True)
    for a, b in zip(plain, built):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-13, atol=1e-13)


# ----- unbind ----------------------------------------------------------------------------------
def test_unbind_slices_are_views_sharing_the_version_counter():
    x = chainrule.randn(3, 4)
    pieces = recurrent.unbind(x, 1)
    assert len(pieces) == 4 and pieces[2].shape == (3,)
    assert np.shares_memory(pieces[2].numpy(), x.numpy())
    x.add_(1.0)
    assert pieces[2]._version is x._version


def test_unbind_slices_refuse_in_place_changes_while_recording():
    x = chainrule.randn(2, 3, requires_grad=True) * 1
    a, _ = recurrent.unbind(x)
    with pytest.raises(RuntimeError, match=r"add_: this tensor .* is a view of another live"):
        a.add_(1)


def test_unbind_backward_is_one_stack():
    """x's gradient is one stack of the slices' gradients, not a sum of full-size scatters."""
    x = chainrule.randn(50, 2, dtype=chainrule.float64, requires_grad=True)
    loss = chainrule.stack([p * p for p in recurrent.unbind(x)]).sum()
    (grad,) = chainrule.autograd.grad(loss, [x], create_graph=True)
    assert type(grad.grad_fn).__name__ == "Stack"
    np.testing.assert_allclose(grad.detach().numpy(), 2 * x.detach().numpy())


def test_unbind_backward_twice_with_retain_graph():
    x = chainrule.randn(4, 2, requires_grad=True)
    loss = sum(p.sum() * (i + 1) for i, p in enumerate(recurrent.unbind(x)))
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 2 * np.repeat([[1.0], [2], [3], [4]], 2, 1))


def test_unbind_after_a_freed_backward_says_so():
    x = chainrule.randn(2, 3, requires_grad=True)
    a, b = recurrent.unbind(x)
    a.sum().backward()
    with pytest.raises(RuntimeError, match="a second time"):
        b.sum().backward()


@pytest.mark.parametrize("shape, dim", [((), 0), ((2, 3), 2), ((2, 3), -3)])
def test_unbind_bad_dim(shape, dim):
    with pytest.raises(IndexError, match="unbind"):
        recurrent.unbind(chainrule.zeros(*shape), dim)


def test_rnn_cell_step_unknown_nonlinearity():
    with pytest.raises(ValueError, match="unknown nonlinearity 'sigmoid'"):
        recurrent.rnn_cell_step(*(chainrule.zeros(1, 1) for _ in range(3)), "sigmoid")
