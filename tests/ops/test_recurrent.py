"""The recurrent step ops (one RNN, LSTM or GRU time step from precomputed input gates), checked by
the shared harness against NumPy and against the same formulas written in torch."""
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


def sequence(step):
    """A layer in one direction from its step: run over t (backwards if reverse), the states
    stacked (works on torch tensors and NumPy arrays alike)."""
    def run(gates_x, state, *weights, reverse=False):
        outputs = [None] * len(gates_x)
        for t in (reversed(range(len(gates_x))) if reverse else range(len(gates_x))):
            state = outputs[t] = step(gates_x[t], state, *weights)
        return outputs
    return run


def sequence_case(name, reverse):
    """fn(lib, *tensors) and its NumPy reference for lstm_sequence or gru_sequence."""
    torch_step, numpy_step = {"lstm": (torch_lstm_step, numpy_lstm_step),
                              "gru": (torch_gru_step, numpy_gru_step)}[name]
    ours = getattr(recurrent, f"{name}_sequence")

    def fn(L, *tensors):
        if L is chainrule:
            return ours(*tensors, reverse=reverse)
        return torch.stack(sequence(torch_step)(*tensors, reverse=reverse))
    return fn, lambda *arrays: np.stack(sequence(numpy_step)(*arrays, reverse=reverse))


def rnn(nonlinearity):
    return lambda L, *xs: on(L, recurrent.rnn_cell_step, torch_rnn_step)(*xs, nonlinearity)


# N = 2 sequences, H = 3 hidden units (and 1 x 1 edge cases): gates_x, state, w_hh[, b_hh]
LSTM_SHAPES = [((2, 12), (2, 6), (12, 3)), ((1, 4), (1, 2), (4, 1))]
GRU_SHAPES = [((2, 9), (2, 3), (9, 3)), ((1, 3), (1, 1), (3, 1))]
RNN_SHAPES = [((2, 3), (2, 3), (3, 3)), ((1, 1), (1, 1), (1, 1))]
# T = 3 steps of N = 2 sequences, H = 2; and a single step of one
GRU_SEQUENCE_SHAPES = [((3, 2, 6), (2, 2), (6, 2), (6,)), ((1, 1, 3), (1, 1), (3, 1), (3,))]
LSTM_SEQUENCE_SHAPES = [((3, 2, 8), (2, 4), (8, 2)), ((1, 1, 4), (1, 2), (4, 1))]

CASES = [
    Case("lstm_cell_step", lstm, numpy_lstm_step, LSTM_SHAPES),
    Case("gru_cell_step", gru, numpy_gru_step, GRU_SHAPES),
    Case("gru_cell_step_bias", gru, numpy_gru_step, [s + ((9,),) for s in GRU_SHAPES[:1]]),
    Case("gru_sequence", *sequence_case("gru", False), GRU_SEQUENCE_SHAPES),
    Case("gru_sequence_reverse", *sequence_case("gru", True), GRU_SEQUENCE_SHAPES[:1]),
    Case("gru_sequence_no_bias", *sequence_case("gru", False),
         [shapes[:3] for shapes in GRU_SEQUENCE_SHAPES[:1]]),
    Case("lstm_sequence", *sequence_case("lstm", False), LSTM_SEQUENCE_SHAPES),
    Case("lstm_sequence_reverse", *sequence_case("lstm", True), LSTM_SEQUENCE_SHAPES[:1]),
    Case("rnn_cell_step_tanh", rnn("tanh"), lambda g, h, w: np.tanh(g + h @ w.T), RNN_SHAPES),
    # distinct values keep the pre-activations away from relu's kink
    Case("rnn_cell_step_relu", rnn("relu"), lambda g, h, w: np.maximum(g + h @ w.T, 0),
         [((2, 3), (2, 3), (3, 3))], make=lambda rng, shape: rng.uniform(0.1, 1.0, shape)),
]


class TestRecurrent(OpChecks):
    cases = CASES


# ----- the plain backward (saved gate values) and the graph-building one (recomputed) agree -----
@pytest.mark.parametrize("step, shapes", [
    (recurrent.lstm_cell_step, LSTM_SHAPES[0]), (recurrent.gru_cell_step, GRU_SHAPES[0]),
    (recurrent.gru_cell_step, GRU_SHAPES[0] + ((9,),)), (recurrent.rnn_cell_step, RNN_SHAPES[0]),
    (recurrent.gru_sequence, GRU_SEQUENCE_SHAPES[0]),
    (recurrent.lstm_sequence, LSTM_SEQUENCE_SHAPES[0]),
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


def test_rnn_cell_step_unknown_nonlinearity():
    with pytest.raises(ValueError, match="unknown nonlinearity 'sigmoid'"):
        recurrent.rnn_cell_step(*(chainrule.zeros(1, 1) for _ in range(3)), "sigmoid")
