"""Recurrent networks as functions, with torch's names and signatures: one step of a cell
(rnn_tanh_cell, rnn_relu_cell, lstm_cell, gru_cell, as torch.lstm_cell ...) and whole sequences
through stacked, optionally bidirectional layers (rnn_tanh, rnn_relu, lstm, gru, as torch.lstm ...).

A sequence costs, per layer and direction, one matmul for every step's input projection and one
op for all the steps (GRU, LSTM; RNN: one fused op per step and one stack of the outputs; packed
sequences: one fused op per step), from chainrule.ops.recurrent. Inside, time comes first.
"""
from chainrule.backend import xp
from chainrule.nn.functional.dropout import dropout as _dropout
from chainrule.nn.functional.linear import linear
from chainrule.creation import zeros
from chainrule.ops.join import cat, stack
from chainrule.ops.unbind import unbind
from chainrule.ops.recurrent import (gru_cell_step, gru_sequence, lstm_cell_step,
                                      lstm_sequence, rnn_cell_step)
from chainrule.tensor import Tensor

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
    hc = lstm_cell_step(linear(input, w_ih, _both(b_ih, b_hh)), cat([h, c], 1), w_hh)
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
    if _is_batch_sizes(hx):  # rnn_tanh(data, batch_sizes, hx, params, ..., bidirectional)
        return _packed_call("rnn_tanh", input, hx, params, has_biases, num_layers, dropout, train,
                            bidirectional, batch_first)
    return _layers("rnn_tanh", input, [hx], params, has_biases, num_layers, dropout, train,
                   bidirectional, batch_first)


def rnn_relu(input, hx, params, has_biases, num_layers, dropout, train, bidirectional,
             batch_first):
    """(output, h_n) of a stack of relu RNN layers; see `lstm` for the arguments."""
    if _is_batch_sizes(hx):  # rnn_relu(data, batch_sizes, hx, params, ..., bidirectional)
        return _packed_call("rnn_relu", input, hx, params, has_biases, num_layers, dropout, train,
                            bidirectional, batch_first)
    return _layers("rnn_relu", input, [hx], params, has_biases, num_layers, dropout, train,
                   bidirectional, batch_first)


def gru(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """(output, h_n) of a stack of GRU layers; see `lstm` for the arguments."""
    if _is_batch_sizes(hx):  # gru(data, batch_sizes, hx, params, ..., bidirectional)
        return _packed_call("gru", input, hx, params, has_biases, num_layers, dropout, train,
                            bidirectional, batch_first)
    return _layers("gru", input, [hx], params, has_biases, num_layers, dropout, train,
                   bidirectional, batch_first)


def lstm(input, hx, params, has_biases, num_layers, dropout, train, bidirectional, batch_first):
    """(output, h_n, c_n) of a stack of LSTM layers, as torch.lstm (also its packed overload
    lstm(data, batch_sizes, hx, params, has_biases, num_layers, dropout, train, bidirectional)).

    input (L, N, I), or (N, L, I) if batch_first; hx = (h0, c0), each (layers * directions, N, H);
    params: per layer, per direction (forward, then reverse), [w_ih, w_hh] + [b_ih, b_hh] if
    has_biases; dropout applies to each layer's output but the last's, when train.
    output (L, N, directions * H) (or (N, L, ...)); h_n and c_n (layers * directions, N, H).
    """
    if _is_batch_sizes(hx):  # lstm(data, batch_sizes, (h0, c0), params, ..., bidirectional)
        return _packed_call("lstm", input, hx, params, has_biases, num_layers, dropout, train,
                            bidirectional, batch_first)
    hidden = hx[0].shape[-1]
    output, hc_n = _layers("lstm", input, list(hx), params, has_biases, num_layers, dropout, train,
                           bidirectional, batch_first)
    return output, hc_n.narrow(2, 0, hidden), hc_n.narrow(2, hidden, hidden)


def _layers(mode, input, states, params, has_biases, num_layers, dropout, train, bidirectional,
            batch_first):
    """Run the stack over a padded input: (output, final states)."""
    directions = 2 if bidirectional else 1
    _check_sequence(mode, input, states, params[0], params[1], num_layers * directions,
                    1 if batch_first else 0)

    def run(x, state, weights, reverse):
        return _direction(mode, x, state, *weights, reverse=reverse)
    # time first inside: each step's slice of the gates, states and outputs is contiguous
    output, final = _stack(mode, input.transpose(0, 1) if batch_first else input, states, params,
                           has_biases, num_layers, dropout, train, directions, run)
    return (output.transpose(0, 1) if batch_first else output), final


def _stack(mode, input, states, params, has_biases, num_layers, dropout, train, directions, run):
    """Each layer reads the previous layer's outputs (both directions joined on the last dim);
    run(x, initial state, weights, reverse) computes one layer in one direction."""
    if mode == "lstm":  # the step op carries h and c as one array [h, c]
        initial = [cat([h, c], 1) for h, c in zip(unbind(states[0]), unbind(states[1]))]
    else:
        initial = unbind(states[0])
    per_direction = 4 if has_biases else 2
    x, final_states = input, []
    for layer in range(num_layers):
        outputs = []
        for direction in range(directions):
            k = layer * directions + direction
            weights = params[k * per_direction:(k + 1) * per_direction]
            output, state = run(x, initial[k], weights, direction == 1)
            outputs.append(output)
            final_states.append(state)
        x = outputs[0] if directions == 1 else cat(outputs, -1)
        if dropout and train and layer < num_layers - 1:
            x = _dropout(x, dropout, training=True)
    return x, stack(final_states)


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


def _direction(mode, x, state, w_ih, w_hh, b_ih=None, b_hh=None, *, reverse):
    """One layer in one direction over x (L, N, I): the input's share of every step's gates in
    one matmul, then one op for all the steps (GRU, LSTM: ops.recurrent's gru_sequence,
    lstm_sequence) or one step op per time step and the outputs stacked once (RNN).
    Returns (outputs (L, N, H), final state)."""
    gates = linear(x, w_ih, b_ih if mode == "gru" else _both(b_ih, b_hh))
    if mode == "gru":
        outputs = gru_sequence(gates, state, w_hh, b_hh, reverse=reverse)
        return outputs, outputs[0 if reverse else -1]
    if mode == "lstm":   # the op's outputs are the states [h_t, c_t]
        states = lstm_sequence(gates, state, w_hh, reverse=reverse)
        return states.narrow(2, 0, w_hh.shape[1]), states[0 if reverse else -1]
    steps = unbind(gates)
    outputs = []
    for gates_x in (reversed(steps) if reverse else steps):
        state, output = _step(mode, gates_x, state, w_hh, b_hh)
        outputs.append(output)
    if reverse:
        outputs.reverse()
    return stack(outputs), state


def _step(mode, gates_x, state, w_hh, b_hh):
    """(new state, output) of one time step; an LSTM's state is [h, c], its output h."""
    if mode == "lstm":
        state = lstm_cell_step(gates_x, state, w_hh)
        return state, state.narrow(1, 0, w_hh.shape[1])
    if mode == "gru":
        state = gru_cell_step(gates_x, state, w_hh, b_hh)
    else:
        state = rnn_cell_step(gates_x, state, w_hh, "tanh" if mode == "rnn_tanh" else "relu")
    return state, state


# ----- packed sequences ---------------------------------------------------------------------------
def _is_batch_sizes(value):
    """torch.lstm(data, batch_sizes, hx, ...) is the packed overload: batch_sizes is a 1-D
    integer tensor, where the padded form has hx (a tuple or a 3-D float tensor)."""
    return isinstance(value, Tensor) and value.ndim == 1 and not value.is_floating_point()


def _packed(mode, data, batch_sizes, states, params, has_biases, num_layers, dropout, train,
            bidirectional):
    """The stack over packed data (sum of lengths, I), batch_sizes[t] sequences running at step
    t, longest first: (output data (sum of lengths, D * H), final states (layers * D, B, H)),
    each sequence's final state taken at its own last step (the reverse direction's: step 0)."""
    sizes = [int(n) for n in batch_sizes.tolist()]
    directions = 2 if bidirectional else 1
    _check_packed(mode, data, sizes, states, params[0], params[1], num_layers * directions)

    def run(x, state, weights, reverse):
        return _packed_direction(mode, x, sizes, state, *weights, reverse=reverse)
    return _stack(mode, data, states, params, has_biases, num_layers, dropout, train, directions,
                  run)


def _packed_call(mode, data, batch_sizes, hx, params, has_biases, num_layers, dropout, train,
                 bidirectional):
    """torch's packed overload: (output data, h_n), or (output data, h_n, c_n) for an LSTM."""
    states = list(hx) if mode == "lstm" else [hx]
    output, final = _packed(mode, data, batch_sizes, states, params, has_biases, num_layers,
                            dropout, train, bidirectional)
    if mode != "lstm":
        return output, final
    hidden = states[0].shape[-1]
    return output, final.narrow(2, 0, hidden), final.narrow(2, hidden, hidden)


def _check_packed(mode, data, sizes, states, w_ih, w_hh, layers):
    _check_dtypes(mode, data, states, w_ih)
    if data.ndim != 2 or data.shape[1] != w_ih.shape[1]:
        raise RuntimeError(f"{mode}: expected packed data of shape (sum of lengths, "
                           f"{w_ih.shape[1]}), got {tuple(data.shape)}")
    if not sizes or sum(sizes) != data.shape[0] or \
            any(a < b or b <= 0 for a, b in zip(sizes, sizes[1:] + [1])):
        raise RuntimeError(f"{mode}: batch_sizes must be positive, non-increasing and add up to "
                           f"the packed data's {data.shape[0]} rows, got {sizes}")
    expected = (layers, sizes[0], w_hh.shape[1])
    for state in states:
        if tuple(state.shape) != expected:
            raise RuntimeError(f"{mode}: expected initial states of shape {expected}, got "
                               f"{tuple(state.shape)}")


def _packed_direction(mode, x, sizes, state, w_ih, w_hh, b_ih=None, b_hh=None, *, reverse):
    """One layer in one direction over packed data. Running forward, the batch shrinks as
    sequences end, and the rows dropped are those sequences' final states; running in reverse,
    it grows as sequences begin (at their last step), each starting from its initial state."""
    gates = linear(x, w_ih, b_ih if mode == "gru" else _both(b_ih, b_hh))
    # the gates padded to (T, B, G) and unbound cost one gather, not one slice per step
    steps = unbind(_pad_steps(gates, sizes), 0)
    outputs, finished, initial = [], [], state
    if reverse:
        state = initial.narrow(0, 0, sizes[-1])
    for t in (reversed(range(len(sizes))) if reverse else range(len(sizes))):
        running = state.shape[0]
        if sizes[t] < running:  # forward only: sequences running[sizes[t]:] ended at t - 1
            finished.append(state.narrow(0, sizes[t], running - sizes[t]))
            state = state.narrow(0, 0, sizes[t])
        elif sizes[t] > running:  # reverse only: sequences whose last step is t start here
            state = cat([state, initial.narrow(0, running, sizes[t] - running)])
        gates_x = steps[t] if sizes[t] == sizes[0] else steps[t].narrow(0, 0, sizes[t])
        state, output = _step(mode, gates_x, state, w_hh, b_hh)
        outputs.append(output)
    if reverse:
        outputs.reverse()
    final = cat([state] + finished[::-1]) if finished else state
    return cat(outputs), final


def _pad_steps(packed, sizes):
    """Packed rows (sum(sizes), G) as (T, B, G), zeros past each step's batch size."""
    batch, rows = sizes[0], packed.shape[0]
    index = xp.full((len(sizes), batch), rows, dtype=xp.int64)
    index[xp.arange(batch)[None, :] < xp.asarray(sizes)[:, None]] = xp.arange(rows)
    padding = zeros(1, packed.shape[1], dtype=packed.dtype)
    gathered = cat([packed, padding]).index_select(0, Tensor._make(index.reshape(-1)))
    return gathered.reshape(len(sizes), batch, packed.shape[1])
