"""Recurrent layers: the cells RNNCell, LSTMCell and GRUCell (one time step) and the sequence layers
RNN, LSTM and GRU (stacked, optionally bidirectional), with torch's parameter names, layouts and
initialisation, so that state dicts move between the two unchanged."""
import math
import numbers
import warnings

from chainrule import creation
from chainrule.nn import init
from chainrule.nn.functional import recurrent as functional
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter, factory_kwargs
from chainrule.nn.utils.rnn import PackedSequence


def _init_uniform(module):
    """torch's init for every recurrent weight and bias: U(±1/√hidden_size)."""
    bound = 1.0 / math.sqrt(module.hidden_size) if module.hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


def _check_dtype(module, input, expected):
    if input.dtype != expected:
        raise ValueError(f"{module!r}: input dtype ({input.dtype}) does not match the weights' "
                         f"dtype ({expected}); convert the input with input.to({expected}) or "
                         f"the layer with .to({input.dtype})")


# ----- cells: one time step -----------------------------------------------------------------------
class RNNCellBase(Module):
    """What the cells share: weights (gates * hidden_size, input_size) and (gates * hidden_size,
    hidden_size), optional biases, the initialisation and the checks of input and state.
    Gradient: its cell's op, as in nn.RNNCell, nn.LSTMCell and nn.GRUCell.
    """

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        factory = factory_kwargs(type(self).__name__, device, dtype)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        rows = num_chunks * hidden_size
        self.weight_ih = Parameter(creation.empty(rows, input_size, **factory))
        self.weight_hh = Parameter(creation.empty(rows, hidden_size, **factory))
        self.bias_ih = Parameter(creation.empty(rows, **factory)) if bias else None
        self.bias_hh = Parameter(creation.empty(rows, **factory)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        _init_uniform(self)

    def _batched(self, input, states):
        """The input and states as (N, I) and (N, H) (zeros if None); whether input was batched."""
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            error = ValueError if input.ndim not in (1, 2) else RuntimeError
            raise error(f"{self!r}: expected input of shape (N, {self.input_size}) or "
                        f"({self.input_size},) unbatched, got {tuple(input.shape)}")
        _check_dtype(self, input, self.weight_hh.dtype)
        batched = input.ndim == 2
        expected = (input.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        result = []
        for name, state in states:
            if state is None:
                state = creation.zeros(*expected, dtype=input.dtype)
            elif tuple(state.shape) != expected:
                raise RuntimeError(f"{self!r}: expected {name} of shape {expected} for an input "
                                   f"of shape {tuple(input.shape)}, got {tuple(state.shape)}")
            result.append(state if batched else state.unsqueeze(0))
        return (input if batched else input.unsqueeze(0)), result, batched

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            text += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            text += f", nonlinearity={self.nonlinearity}"
        return text


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh) (or relu).

    Args: input_size, hidden_size, bias=True, nonlinearity='tanh' ('tanh' or 'relu'),
    device=None, dtype=None.
    Shape: input (N, input_size) or (input_size,); hx (N, hidden_size) or (hidden_size,),
    zeros if None -> h' of hx's shape.
    Parameters as torch: weight_ih (H, I), weight_hh (H, H), bias_ih (H,), bias_hh (H,), all
    initialized from U(±1/√hidden_size).
    Gradient: nn.functional.rnn_tanh_cell, composed of ops.recurrent.RNNCellFunction.
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}. Select from 'tanh' or 'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input, hx=None):
        input, (h,), batched = self._batched(input, [("hx", hx)])
        cell = functional.rnn_tanh_cell if self.nonlinearity == "tanh" else \
            functional.rnn_relu_cell
        h = cell(input, h, *self._weights())
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step (Hochreiter & Schmidhuber 1997, with a forget gate as in torch):
    [i, f, g, o] = [σ, σ, tanh, σ](x W_ihᵀ + b_ih + h W_hhᵀ + b_hh); c' = f c + i g;
    h' = o tanh(c').

    Args: input_size, hidden_size, bias=True, device=None, dtype=None.
    Shape: input (N, input_size) or (input_size,); hx = (h, c), each (N, hidden_size) or
    (hidden_size,), zeros if None -> (h', c') of the same shapes.
    Parameters as torch: weight_ih (4H, I), weight_hh (4H, H), bias_ih and bias_hh (4H,), the
    gates stacked in the order (input, forget, cell, output); all from U(±1/√hidden_size).
    Gradient: nn.functional.lstm_cell, composed of ops.recurrent.LSTMCellFunction.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        h, c = (None, None) if hx is None else hx
        input, (h, c), batched = self._batched(input, [("h", h), ("c", c)])
        h, c = functional.lstm_cell(input, (h, c), *self._weights())
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (Cho et al. 2014): r = σ(x_r + a_r), z = σ(x_z + a_z), n = tanh(x_n + r a_n),
    h' = (1 - z) n + z h, with [x_r, x_z, x_n] = x W_ihᵀ + b_ih, [a_r, a_z, a_n] = h W_hhᵀ + b_hh.

    Args: input_size, hidden_size, bias=True, device=None, dtype=None.
    Shape: input (N, input_size) or (input_size,); hx (N, hidden_size) or (hidden_size,), zeros
    if None -> h' of hx's shape.
    Parameters as torch: weight_ih (3H, I), weight_hh (3H, H), bias_ih and bias_hh (3H,), gates in
    the order (reset, update, new); all from U(±1/√hidden_size).
    Gradient: nn.functional.gru_cell, composed of ops.recurrent.GRUCellFunction.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        input, (h,), batched = self._batched(input, [("hx", hx)])
        h = functional.gru_cell(input, h, *self._weights())
        return h if batched else h.squeeze(0)


# ----- sequence layers --------------------------------------------------------------------------
_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}
_FUNCTIONS = {"RNN_TANH": functional.rnn_tanh, "RNN_RELU": functional.rnn_relu,
              "LSTM": functional.lstm, "GRU": functional.gru}


class RNNBase(Module):
    """What RNN, LSTM and GRU share: per layer k and direction, weight_ih_l{k}[_reverse]
    (gates * H, I or D * H), weight_hh_l{k}[_reverse] (gates * H, H), bias_ih_l{k}[_reverse] and
    bias_hh_l{k}[_reverse] (gates * H,), registered in torch's order and initialized from
    U(±1/√hidden_size); the checks of input and initial states; unbatched inputs.
    Gradient: its layer's ops, as in nn.RNN, nn.LSTM and nn.GRU.
    """

    state_names = ("h0",)

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__()
        factory = factory_kwargs(type(self).__name__, device, dtype)
        _check_options(hidden_size, num_layers, dropout)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = 0
        gates = _GATES[mode] * hidden_size
        directions = 2 if bidirectional else 1
        self._all_weights = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else hidden_size * directions
            for suffix in ("", "_reverse")[:directions]:
                shapes = {"weight_ih": (gates, layer_input), "weight_hh": (gates, hidden_size)}
                if bias:
                    shapes.update(bias_ih=(gates,), bias_hh=(gates,))
                names = [f"{name}_l{layer}{suffix}" for name in shapes]
                for name, shape in zip(names, shapes.values()):
                    setattr(self, name, Parameter(creation.empty(*shape, **factory)))
                self._all_weights.append(names)
        self._flat_weights_names = [name for names in self._all_weights for name in names]
        self.reset_parameters()

    def reset_parameters(self):
        _init_uniform(self)

    @property
    def all_weights(self):
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    @property
    def _flat_weights(self):
        return [getattr(self, name) for name in self._flat_weights_names]

    def flatten_parameters(self):
        """A no-op: there is no cuDNN weight buffer to pack the parameters into."""

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        batched = self._check_input(input)
        states = self._initial_states(input, hx, batched)
        if not batched:
            input = input.unsqueeze(0 if self.batch_first else 1)
        output, *final = _FUNCTIONS[self.mode](
            input, states if self.mode == "LSTM" else states[0], self._flat_weights, self.bias,
            self.num_layers, self.dropout, self.training, self.bidirectional, self.batch_first)
        if not batched:
            output = output.squeeze(0 if self.batch_first else 1)
            final = [state.squeeze(1) for state in final]
        return output, (tuple(final) if self.mode == "LSTM" else final[0])

    def _forward_packed(self, input, hx):
        """A PackedSequence in, a PackedSequence out; the initial and final states are in the
        batch's original order (the packed data is in sorted_indices' order)."""
        data, batch_sizes, sorted_indices, unsorted_indices = input
        if data.ndim != 2 or data.shape[1] != self.input_size:
            raise RuntimeError(f"{self!r}: expected packed data of shape (sum of lengths, "
                               f"{self.input_size}), got {tuple(data.shape)}")
        _check_dtype(self, data, self.weight_hh_l0.dtype)
        batch = int(batch_sizes[0]) if batch_sizes.shape[0] else 0
        states = self._initial_states(data, hx, True, batch)
        if sorted_indices is not None:
            states = [state.index_select(1, sorted_indices) for state in states]
        output, *final = _FUNCTIONS[self.mode](
            data, batch_sizes, tuple(states) if self.mode == "LSTM" else states[0],
            self._flat_weights, self.bias, self.num_layers, self.dropout, self.training,
            self.bidirectional)
        if unsorted_indices is not None:
            final = [state.index_select(1, unsorted_indices) for state in final]
        output = PackedSequence(output, batch_sizes, sorted_indices, unsorted_indices)
        return output, (tuple(final) if self.mode == "LSTM" else final[0])

    def _check_input(self, input):
        sequence = "(N, L, {})" if self.batch_first else "(L, N, {})"
        if input.ndim not in (2, 3) or input.shape[-1] != self.input_size:
            error = ValueError if input.ndim not in (2, 3) else RuntimeError
            raise error(f"{self!r}: expected input of shape {sequence.format(self.input_size)} "
                        f"or (L, {self.input_size}) unbatched, got {tuple(input.shape)}")
        _check_dtype(self, input, self.weight_hh_l0.dtype)
        return input.ndim == 3

    def _initial_states(self, input, hx, batched, batch=None):
        """h0 (and c0) as (layers * directions, N, H): zeros if hx is None, else checked."""
        layers = self.num_layers * (2 if self.bidirectional else 1)
        if batch is None:  # given for packed input, whose data has no batch dim
            batch = input.shape[0 if self.batch_first else 1] if batched else 1
        expected = (layers, batch, self.hidden_size) if batched else (layers, self.hidden_size)
        if hx is None:
            return [creation.zeros(layers, batch, self.hidden_size, dtype=input.dtype)
                    for _ in self.state_names]
        given = tuple(hx) if self.mode == "LSTM" else (hx,)
        if self.mode == "LSTM" and len(given) != 2:
            raise RuntimeError(f"{self!r}: expected hx = (h0, c0), got {len(given)} tensors")
        states = []
        for name, state in zip(self.state_names, given):
            if tuple(state.shape) != expected:
                raise RuntimeError(f"{self!r}: expected {name} of shape {expected} for an input "
                                   f"of shape {tuple(input.shape)}, got {tuple(state.shape)}")
            states.append(state if batched else state.unsqueeze(1))
        return states

    def extra_repr(self):
        text = f"{self.input_size}, {self.hidden_size}"
        for name, default in (("num_layers", 1), ("bias", True), ("batch_first", False),
                              ("dropout", 0.0), ("bidirectional", False)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text


def _check_options(hidden_size, num_layers, dropout):
    """torch's checks and warning, worded as torch words them."""
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) \
            or not 0 <= dropout <= 1:
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                      "non-zero dropout expects num_layers greater than 1, but got "
                      f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
    if not isinstance(hidden_size, int):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")


class RNN(RNNBase):
    """A stack of Elman RNN layers: h_t = tanh(x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh) (or relu).

    Args: input_size, hidden_size, num_layers=1, nonlinearity='tanh' (or 'relu'), bias=True,
    batch_first=False, dropout=0.0 (on each layer's output but the last, in training),
    bidirectional=False, device=None, dtype=None.
    Shape: input (L, N, I) ((N, L, I) if batch_first) or (L, I) unbatched; h0 (D * num_layers,
    N, H) or (D * num_layers, H), zeros if None (D = 2 if bidirectional else 1)
    -> (output (L, N, D * H) ((N, L, D * H) if batch_first), h_n of h0's shape).
    The input may be a PackedSequence (nn.utils.rnn), N its batch: the output is then one too,
    and h_n holds each sequence's state at its own last step (the reverse direction's: first).
    Gradient: nn.functional.rnn_tanh, composed of ops.recurrent.RNNCellFunction.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", input_size,
                         hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device, dtype)


class LSTM(RNNBase):
    """A stack of LSTM layers, each step as LSTMCell computes it (gates: input, forget, cell,
    output).

    Args: as RNN's, without nonlinearity; proj_size=0 (only 0 is supported).
    Shape: input as RNN's; hx = (h0, c0), each of RNN's h0 shape, zeros if None
    -> (output as RNN's, (h_n, c_n) of h0's shape).
    Gradient: nn.functional.lstm, composed of ops.recurrent.LSTMSequence (one per layer
    and direction; per step, LSTMCellFunction, for a PackedSequence).
    """

    state_names = ("h0", "c0")

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        if proj_size != 0:
            raise NotImplementedError("LSTM: proj_size > 0 (projected hidden states) is not "
                                      "supported; use proj_size=0")
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)


class GRU(RNNBase):
    """A stack of GRU layers, each step as GRUCell computes it (gates: reset, update, new).

    Args: as RNN's, without nonlinearity.
    Shape: as RNN's: input (L, N, I), (N, L, I) or (L, I); h0 (D * num_layers, N, H) or
    (D * num_layers, H) -> (output (L, N, D * H) or (N, L, D * H), h_n of h0's shape).
    Gradient: nn.functional.gru, composed of ops.recurrent.GRUSequence (one per layer
    and direction; per step, GRUCellFunction, for a PackedSequence).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, device, dtype)
