"""Recurrent networks as functions, with torch's names and signatures: one step of a cell
(rnn_tanh_cell, rnn_relu_cell, lstm_cell, gru_cell, as torch.lstm_cell ...) and whole sequences
through stacked, optionally bidirectional layers (rnn_tanh, rnn_relu, lstm, gru, as torch.lstm ...).

A sequence costs, per layer and direction, one matmul for every step's input projection, one
fused op per step (chainrule.ops.recurrent) and one stack of the outputs.
"""
import chainrule as cr  # cat and stack, looked up at call time (this module loads inside chainrule)
from chainrule.nn.functional.dropout import dropout as _dropout
from chainrule.nn.functional.linear import linear
from chainrule.ops.recurrent import gru_cell_step, lstm_cell_step, rnn_cell_step, unbind

__all__ = ["rnn_tanh_cell", "rnn_relu_cell", "lstm_cell", "gru_cell",
           "rnn_tanh", "rnn_relu", "lstm", "gru"]


# ----- one step -----------------------------------------------------------------------------------
def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh). Shape: input (N, I), hx (N, H) -> (N, H)."""
    _check_cell("rnn_tanh_cell", input, [hx], w_ih, w_hh)
    return rnn_cell_step(linear(input, w_ih, _both(b_ih, b_hh)), hx, w_hh, "tanh")


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h' = relu(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh). Shape: input (N, I), hx (N, H) -> (N, H)."""
    _check_cell("rnn_relu_cell", input, [hx], w_ih, w_hh)
    return rnn_cell_step(linear(input, w_ih, _both(b_ih, b_hh)), hx, w_hh, "relu")


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """(h', c') from hx = (h, c); gates (input, forget, cell, output) as in torch.
    Shape: input (N, I), h and c (N, H) -> two (N, H)."""
    h, c = hx
    _check_cell("lstm_cell", input, [h, c], w_ih, w_hh)
    hidden = w_hh.shape[1]
    hc = lstm_cell_step(linear(input, w_ih, _both(b_ih, b_hh)), cr.cat([h, c], 1), w_hh)
    return hc.narrow(1, 0, hidden), hc.narrow(1, hidden, hidden)


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """h'; gates (reset, update, new) as in torch, the reset gate applied to h W_hnᵀ + b_hn.
    Shape: input (N, I), hx (N, H) -> (N, H)."""
    _check_cell("gru_cell", input, [hx], w_ih, w_hh)
    return gru_cell_step(linear(input, w_ih, b_ih), hx, w_hh, b_hh)


def _check_cell(name, input, states, w_ih, w_hh):
    _check_dtypes(name, input, states, w_ih)
    expected = (input.shape[0] if input.ndim else 0, w_hh.shape[1])
    if input.ndim != 2 or input.shape[1] != w_ih.shape[1] or \
            any(tuple(state.shape) != expected for state in states):
        raise RuntimeError(f"{name}: expected input of shape (N, {w_ih.shape[1]}) and states of "
                           f"shape (N, {w_hh.shape[1]}), got {tuple(input.shape)} and "
                           f"{', '.join(str(tuple(state.shape)) for state in states)}")


def _check_dtypes(name, input, states, weight):
    """The step ops compute on arrays, where NumPy would promote mixed dtypes silently."""
    dtypes = {t.dtype for t in [input, weight, *states]}
    if len(dtypes) > 1:
        raise RuntimeError(f"{name}: expected the input, states and weights to have one dtype, "
                           f"got {', '.join(sorted(map(str, dtypes)))}")


def _both(b_ih, b_hh):
    """Both biases add to the same pre-activations (all but GRU's candidate): add them once."""
    return None if b_ih is None else b_ih + b_hh


# ----- whole sequences ----------------------------------------------------------------------------
def rnn_tanh(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
             batch_first):
    """(output, h_n) of a stack of tanh RNN layers; see `lstm` for the arguments."""
    return _layers("rnn_tanh", input, [hx], params, has_biases, num_layers, dropout, train,
                   bidirectional, batch_first)


def rnn_relu(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
             batch_first):
    """(output, h_n) of a stack of relu RNN layers; see `lstm` for the arguments."""
    return _layers("rnn_relu", input, [hx], params, has_biases, num_layers, dropout, train,
                   bidirectional, batch_first)


def gru(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """(output, h_n) of a stack of GRU layers; see `lstm` for the arguments."""
    return _layers("gru", input, [hx], params, has_biases, num_layers, dropout, train,
                   bidirectional, batch_first)


def lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """(output, h_n, c_n) of a stack of LSTM layers, as torch.lstm.

    input (L, N, I), or (N, L, I) if batch_first; hx = (h0, c0), each (layers * directions, N, H);
    params: per layer, per direction (forward, then reverse), [w_ih, w_hh] + [b_ih, b_hh] if
    has_biases; dropout applies to each layer's output but the last's, when train.
    output (L, N, directions * H) (or (N, L, ...)); h_n and c_n (layers * directions, N, H).
    """
    hidden = hx[0].shape[-1]
    output, hc_n = _layers("lstm", input, list(hx), params, has_biases, num_layers, dropout, train,
                           bidirectional, batch_first)
    return output, hc_n.narrow(2, 0, hidden), hc_n.narrow(2, hidden, hidden)


def _layers(mode, input, states, params, has_biases, num_layers, dropout, train, bidirectional,
            batch_first):
    """Run the stack: each layer reads the previous layer's outputs (both directions joined)."""
    time_dim = 1 if batch_first else 0
    directions = 2 if bidirectional else 1
    _check_sequence(mode, input, states, params[0], params[1], num_layers * directions, time_dim)
    if mode == "lstm":  # the step op carries h and c as one array [h, c]
        initial = [cr.cat([h, c], 1) for h, c in zip(unbind(states[0]), unbind(states[1]))]
    else:
        initial = unbind(states[0])
    per_direction = 4 if has_biases else 2
    x, final_states = input, []
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            weights = params[k * per_direction:(k + 1) * per_direction]
            output, state = _direction(mode, x, initial[k], *weights, time_dim=time_dim,
                                       reverse=direction == 1)
            outputs.append(output)
            final_states.append(state)
        x = outputs[0] if directions == 1 else cr.cat(outputs, 2)
        if dropout and train and layer < num_layers - 1:
            x = _dropout(x, dropout, training=True)
    return x, cr.stack(final_states)


def _check_sequence(mode, input, states, w_ih, w_hh, layers, time_dim):
    """The functional forms' own checks (the layers check first, naming themselves)."""
    _check_dtypes(mode, input, states, w_ih)
    if input.ndim != 3 or input.shape[2] != w_ih.shape[1]:
        raise RuntimeError(f"{mode}: expected a 3-D input with {w_ih.shape[1]} features, got "
                           f"shape {tuple(input.shape)}")
    if input.shape[time_dim] == 0:
        raise RuntimeError(f"{mode}: expected a sequence length larger than 0, got input of "
                           f"shape {tuple(input.shape)}")
    expected = (layers, input.shape[1 - time_dim], w_hh.shape[1])
    for state in states:
        if tuple(state.shape) != expected:
            raise RuntimeError(f"{mode}: expected initial states of shape {expected}, got "
                               f"{tuple(state.shape)}")


def _direction(mode, x, state, w_ih, w_hh, b_ih=None, b_hh=None, *, time_dim, reverse):
    """One layer in one direction: the input's share of every step's gates in one matmul, then
    one step op per time step, and the outputs stacked once. Returns (outputs, final state)."""
    hidden = w_hh.shape[1]
    if mode == "gru":
        steps = unbind(linear(x, w_ih, b_ih), time_dim)
    else:
        steps = unbind(linear(x, w_ih, _both(b_ih, b_hh)), time_dim)
    outputs = []
    for gates_x in (reversed(steps) if reverse else steps):
        if mode == "lstm":
            state = lstm_cell_step(gates_x, state, w_hh)
            outputs.append(state.narrow(1, 0, hidden))
        elif mode == "gru":
            state = gru_cell_step(gates_x, state, w_hh, b_hh)
            outputs.append(state)
        else:
            state = rnn_cell_step(gates_x, state, w_hh, "tanh" if mode == "rnn_tanh" else "relu")
            outputs.append(state)
    if reverse:
        outputs.reverse()
    return cr.stack(outputs, time_dim), state
