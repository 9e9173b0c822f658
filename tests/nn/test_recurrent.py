"""Recurrent layers against torch 2.13: the same weights (copied through state dicts) and inputs
give the same outputs, final states and gradients of inputs, initial states and every parameter,
in float64 to 1e-10 and float32 to 1e-5, in train and eval mode; plus initialisation, dropout
between layers, gradchecks of the functional forms, and the errors bad inputs raise."""
import math
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.nn.functional import recurrent as F
from chainrule.nn.recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell

TOLERANCE = {"float32": 1e-5, "float64": 1e-10}
SEQUENCE, BATCH, INPUT, HIDDEN = 4, 3, 5, 4

# each layer kind: (ours, torch's, extra constructor arguments)
LAYERS = {"rnn_tanh": (RNN, torch.nn.RNN, {}), "rnn_relu": (RNN, torch.nn.RNN,
                                                            {"nonlinearity": "relu"}),
          "lstm": (LSTM, torch.nn.LSTM, {}), "gru": (GRU, torch.nn.GRU, {})}
CELLS = {"rnn_tanh": (RNNCell, torch.nn.RNNCell, {}),
         "rnn_relu": (RNNCell, torch.nn.RNNCell, {"nonlinearity": "relu"}),
         "lstm": (LSTMCell, torch.nn.LSTMCell, {}), "gru": (GRUCell, torch.nn.GRUCell, {})}

# every option appears on and off; with the initial state given or not, batched or not
CONFIGS = [
    dict(),
    dict(num_layers=2, bidirectional=True, initial=True),
    dict(batch_first=True, initial=True, bias=False),
    dict(unbatched=True, initial=True, bidirectional=True),
    dict(unbatched=True, batch_first=True, num_layers=2),
    dict(num_layers=2, batch_first=True, bidirectional=True, bias=False, initial=True),
    dict(num_layers=2, dropout=0.3, eval_only=True),   # dropout is off in eval, as in torch
]


def pair(table, kind, dtype, **options):
    """Our layer and torch's, with torch's weights copied into ours through the state dict."""
    ours_class, torch_class, extra = table[kind]
    theirs = torch_class(INPUT, HIDDEN, **extra, **options).to(getattr(torch, dtype))
    ours = ours_class(INPUT, HIDDEN, **extra, **options, dtype=dtype)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def tensors(arrays, library):
    make = cr.tensor if library is cr else torch.tensor
    return [make(a, requires_grad=True) for a in arrays]


def flat(result):
    """(output, h_n) or (output, (h_n, c_n)) as a flat list of tensors."""
    if isinstance(result, tuple):
        return [t for item in result for t in flat(item)]
    return [result]


def check_same(ours, theirs, dtype, what):
    rtol = TOLERANCE[dtype]
    ours, theirs = ours.detach().numpy(), theirs.detach().numpy()
    assert ours.shape == theirs.shape, f"{what}: shape {ours.shape} != {theirs.shape}"
    scale = max(1.0, float(np.abs(theirs).max(initial=0)))
    np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=rtol * scale, err_msg=what)


def run_both(ours, theirs, arrays, call, dtype):
    """call(module, *inputs) on both; outputs, then gradients of a random weighting of all of
    them with respect to the inputs and every parameter, must agree."""
    results = []
    for module, library in ((ours, cr), (theirs, torch)):
        inputs = tensors(arrays, library)
        outputs = flat(call(module, *inputs))
        weights = [np.random.default_rng(i).standard_normal(tuple(o.shape)).astype(dtype)
                   for i, o in enumerate(outputs)]
        loss = sum((o * library.tensor(w)).sum() for o, w in zip(outputs, weights))
        loss.backward()
        results.append((outputs, inputs, dict(module.named_parameters())))
    (out_a, in_a, par_a), (out_b, in_b, par_b) = results
    assert len(out_a) == len(out_b)
    for index, (a, b) in enumerate(zip(out_a, out_b)):
        check_same(a, b, dtype, f"output {index}")
    for index, (a, b) in enumerate(zip(in_a, in_b)):
        check_same(a.grad, b.grad, dtype, f"gradient of input {index}")
    assert list(par_a) == list(par_b)
    for name in par_b:
        check_same(par_a[name].grad, par_b[name].grad, dtype, f"gradient of {name}")


def sequence_arrays(config, kind, dtype):
    rng = np.random.default_rng(0)
    layers = config.get("num_layers", 1) * (2 if config.get("bidirectional") else 1)
    if config.get("unbatched"):
        shape, state = (SEQUENCE, INPUT), (layers, HIDDEN)
    else:
        shape = (BATCH, SEQUENCE, INPUT) if config.get("batch_first") else (SEQUENCE, BATCH, INPUT)
        state = (layers, BATCH, HIDDEN)
    arrays = [rng.standard_normal(shape)]
    if config.get("initial"):
        arrays += [rng.standard_normal(state) for _ in range(2 if kind == "lstm" else 1)]
    return [a.astype(dtype) for a in arrays]


def call_with_states(kind):
    """module(x), or module(x, h) / module(x, (h, c)) when states are given."""
    def call(module, x, *states):
        if not states:
            return module(x)
        return module(x, tuple(states) if kind == "lstm" else states[0])
    return call


# dropout draws differ from torch's: with dropout, only eval mode is compared (train mode below)
MODES = [(config, mode) for config in CONFIGS for mode in ("train", "eval")
         if not (config.get("eval_only") and mode == "train")]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("config, mode", MODES,
                         ids=lambda c: c if isinstance(c, str) else "-".join(c) or "default")
@pytest.mark.parametrize("kind", list(LAYERS))
def test_layer_matches_torch(kind, config, mode, dtype):
    options = {k: v for k, v in config.items() if k not in ("initial", "unbatched", "eval_only")}
    ours, theirs = pair(LAYERS, kind, dtype, **options)
    ours.train(mode == "train")
    theirs.train(mode == "train")
    run_both(ours, theirs, sequence_arrays(config, kind, dtype), call_with_states(kind), dtype)


CELL_CONFIGS = [dict(), dict(initial=True), dict(unbatched=True, initial=True),
                dict(unbatched=True), dict(initial=True, bias=False)]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("config", CELL_CONFIGS, ids=lambda c: "-".join(c) or "default")
@pytest.mark.parametrize("kind", list(CELLS))
def test_cell_matches_torch(kind, config, dtype):
    ours, theirs = pair(CELLS, kind, dtype, bias=config.get("bias", True))
    rng = np.random.default_rng(0)
    batch = () if config.get("unbatched") else (BATCH,)
    arrays = [rng.standard_normal(batch + (INPUT,))]
    if config.get("initial"):
        arrays += [rng.standard_normal(batch + (HIDDEN,)) for _ in range(1 + (kind == "lstm"))]
    run_both(ours, theirs, [a.astype(dtype) for a in arrays], call_with_states(kind), dtype)


# ----- parameters: names, layouts, initialisation -----------------------------------------------
@pytest.mark.parametrize("kind", list(LAYERS))
def test_parameter_names_and_shapes_are_torchs(kind):
    ours, theirs = pair(LAYERS, kind, "float32", num_layers=2, bidirectional=True)
    assert [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()] == \
        [(k, v.shape) for k, v in ours.state_dict().items()]
    assert [[p.shape for p in group] for group in ours.all_weights] == \
        [[tuple(p.shape) for p in group] for group in theirs.all_weights]


@pytest.mark.parametrize("make", [lambda: LSTM(16, 64, num_layers=2, bidirectional=True),
                                  lambda: GRU(16, 64), lambda: RNN(16, 64),
                                  lambda: LSTMCell(16, 64), lambda: GRUCell(16, 64),
                                  lambda: RNNCell(16, 64)])
def test_initialisation_is_uniform_within_one_over_sqrt_hidden(make):
    cr.manual_seed(0)
    values = np.concatenate([p.detach().numpy().ravel() for p in make().parameters()])
    bound = 1 / math.sqrt(64)
    assert np.abs(values).max() <= bound
    # U(-b, b): mean 0, standard deviation b/√3; over > 10k draws, well within these margins
    assert abs(values.mean()) < 0.02 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.02 * bound


@pytest.mark.parametrize("ours, theirs", [
    (RNN(4, 3, 2, "relu", bias=False, batch_first=True, dropout=0.1, bidirectional=True),
     torch.nn.RNN(4, 3, 2, "relu", bias=False, batch_first=True, dropout=0.1,
                  bidirectional=True)),
    (LSTM(4, 3), torch.nn.LSTM(4, 3)), (GRU(4, 3, num_layers=3), torch.nn.GRU(4, 3, 3)),
    (RNNCell(4, 3, bias=False, nonlinearity="relu"),
     torch.nn.RNNCell(4, 3, bias=False, nonlinearity="relu")),
    (LSTMCell(4, 3), torch.nn.LSTMCell(4, 3)), (GRUCell(4, 3), torch.nn.GRUCell(4, 3)),
])
def test_repr_is_torchs(ours, theirs):
    assert repr(ours) == repr(theirs)


# ----- dropout between layers ---------------------------------------------------------------
def test_dropout_applies_to_every_layer_output_but_the_last_in_training():
    """A 2-layer LSTM in training is layer 1, dropout, layer 2, drawing from the same generator."""
    lstm = LSTM(INPUT, HIDDEN, num_layers=2, dropout=0.5, dtype="float64")
    x = cr.tensor(np.random.default_rng(0).standard_normal((SEQUENCE, BATCH, INPUT)))
    cr.manual_seed(7)
    output, (h_n, c_n) = lstm(x)
    first, second = LSTM(INPUT, HIDDEN, dtype="float64"), LSTM(HIDDEN, HIDDEN, dtype="float64")
    for layer, module in enumerate((first, second)):
        module.load_state_dict({name.replace(f"_l{layer}", "_l0"): p
                                for name, p in lstm.state_dict().items() if f"_l{layer}" in name})
    cr.manual_seed(7)
    middle, (h_1, _) = first(x)
    expected, (h_2, _) = second(cr.nn.functional.dropout(middle, 0.5, training=True))
    np.testing.assert_allclose(output.detach().numpy(), expected.detach().numpy(), rtol=1e-14)
    np.testing.assert_allclose(h_n.detach().numpy(), cr.cat([h_1, h_2]).detach().numpy(),
                               rtol=1e-14)
    lstm.eval()
    assert not np.allclose(lstm(x)[0].detach().numpy(), output.detach().numpy())


def test_gradcheck_through_dropout_in_training():
    gru = GRU(2, 2, num_layers=2, dropout=0.5, dtype="float64")
    x = cr.tensor(np.random.default_rng(0).standard_normal((3, 1, 2)), requires_grad=True)

    def fn(x):
        cr.manual_seed(3)  # the same mask for every evaluation
        return gru(x)[0]
    assert gradcheck(fn, [x])


# ----- the functional forms are torch's top-level lstm, gru, rnn_tanh ... -------------------------
@pytest.mark.parametrize("name, module", [("lstm", torch.nn.LSTM), ("gru", torch.nn.GRU),
                                          ("rnn_tanh", torch.nn.RNN)])
def test_functional_sequences_match_torchs_functions(name, module):
    weights = module(3, 4, 2, bidirectional=True, batch_first=True).double()._flat_weights
    rng = np.random.default_rng(0)
    x, h, c = rng.standard_normal((2, 5, 3)), rng.standard_normal((4, 2, 4)), \
        rng.standard_normal((4, 2, 4))
    args = (True, 2, 0.0, False, True, True)

    def states(make):
        return [make(h), make(c)] if name == "lstm" else make(h)
    theirs = getattr(torch, name)(torch.tensor(x), states(torch.tensor), weights, *args)
    ours = getattr(F, name)(cr.tensor(x), states(cr.tensor),
                            [cr.tensor(w.detach().numpy()) for w in weights], *args)
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        check_same(a, b, "float64", name)


# ----- gradchecks of the functional forms, on tiny sizes -----------------------------------
def _small(*shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [cr.tensor(rng.standard_normal(shape) * 0.8, requires_grad=True) for shape in shapes]


@pytest.mark.parametrize("cell, gates", [(F.rnn_tanh_cell, 1), (F.rnn_relu_cell, 1),
                                         (F.gru_cell, 3)])
def test_gradcheck_cells(cell, gates):
    x, h, w_ih, w_hh, b_ih, b_hh = _small((2, 3), (2, 2), (2 * gates, 3), (2 * gates, 2),
                                           (2 * gates,), (2 * gates,))
    assert gradcheck(cell, [x, h, w_ih, w_hh, b_ih, b_hh])


def test_gradcheck_lstm_cell():
    x, h, c, w_ih, w_hh, b_ih, b_hh = _small((2, 3), (2, 2), (2, 2), (8, 3), (8, 2), (8,), (8,))
    assert gradcheck(lambda x, h, c, *w: F.lstm_cell(x, (h, c), *w),
                     [x, h, c, w_ih, w_hh, b_ih, b_hh])


@pytest.mark.parametrize("name, gates", [("rnn_tanh", 1), ("rnn_relu", 1), ("gru", 3),
                                         ("lstm", 4)])
def test_gradcheck_sequences(name, gates):
    """Two layers, bidirectional, batch_first, no biases: 3 steps of 1 sequence, hidden 2."""
    function = getattr(F, name)
    x, *states = _small((1, 3, 2), *[(4, 1, 2)] * (2 if name == "lstm" else 1))
    # torch's order: per layer, per direction, w_ih then w_hh; layer 1 reads both directions
    params = _small(*[(2 * gates, size) for size in (2, 2, 2, 2, 4, 2, 4, 2)], seed=1)

    def fn(x, *tensors):
        hx = tuple(tensors[:len(states)]) if name == "lstm" else tensors[0]
        result = function(x, hx, list(tensors[len(states):]), False, 2, 0.0, False, True, True)
        return cr.cat([t.reshape(-1) for t in result])
    assert gradcheck(fn, [x, *states, *params])


# ----- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("module, args, error, message", [
    (LSTM(5, 4), [cr.zeros(2, 3, 4, 5)], ValueError,
     r"LSTM\(5, 4\): expected input of shape \(L, N, 5\) or \(L, 5\) unbatched, "
     r"got \(2, 3, 4, 5\)"),
    (GRU(5, 4, batch_first=True), [cr.zeros(2, 3, 6)], RuntimeError,
     r"GRU\(5, 4, batch_first=True\): expected input of shape \(N, L, 5\) .*got \(2, 3, 6\)"),
    (RNN(5, 4, num_layers=2), [cr.zeros(3, 2, 5), cr.zeros(1, 2, 4)], RuntimeError,
     r"RNN\(5, 4, num_layers=2\): expected h0 of shape \(2, 2, 4\) .*got \(1, 2, 4\)"),
    (LSTM(5, 4), [cr.zeros(3, 5), (cr.zeros(1, 1, 4), cr.zeros(1, 1, 4))], RuntimeError,
     r"LSTM\(5, 4\): expected h0 of shape \(1, 4\) for an input of shape \(3, 5\)"),
    (LSTM(5, 4), [cr.zeros(3, 2, 5), (cr.zeros(1, 2, 4), cr.zeros(1, 3, 4))], RuntimeError,
     r"expected c0 of shape \(1, 2, 4\)"),
    (LSTM(5, 4), [cr.zeros(3, 2, 5), (cr.zeros(1, 2, 4),)], RuntimeError,
     r"expected hx = \(h0, c0\)"),
    (GRU(5, 4), [cr.zeros(3, 2, 5, dtype=cr.float64)], ValueError,
     r"GRU\(5, 4\): input dtype \(float64\) does not match the weights' dtype \(float32\)"),
    (GRU(5, 4), [cr.zeros(0, 2, 5)], RuntimeError, r"sequence length larger than 0"),
    (LSTMCell(5, 4), [cr.zeros(2, 3, 5)], ValueError,
     r"LSTMCell\(5, 4\): expected input of shape \(N, 5\) or \(5,\) unbatched, got \(2, 3, 5\)"),
    (GRUCell(5, 4), [cr.zeros(2, 6)], RuntimeError, r"GRUCell\(5, 4\): expected input of shape"),
    (RNNCell(5, 4), [cr.zeros(2, 5), cr.zeros(3, 4)], RuntimeError,
     r"RNNCell\(5, 4\): expected hx of shape \(2, 4\) for an input of shape \(2, 5\), "
     r"got \(3, 4\)"),
    (LSTMCell(5, 4), [cr.zeros(5), (cr.zeros(4), cr.zeros(1, 4))], RuntimeError,
     r"expected c of shape \(4,\)"),
])
def test_bad_inputs_name_the_layer_and_the_expected_shape(module, args, error, message):
    with pytest.raises(error, match=message):
        module(*args)


@pytest.mark.parametrize("make, error, message", [
    (lambda: RNN(4, 3, nonlinearity="sigmoid"), ValueError, "Unknown nonlinearity 'sigmoid'"),
    (lambda: RNNCell(4, 3, nonlinearity="gelu"), ValueError, "Unknown nonlinearity: gelu"),
    (lambda: GRU(4, 3, dropout=1.5), ValueError, r"dropout should be a number in range \[0, 1\]"),
    (lambda: LSTM(4, 0), ValueError, "hidden_size must be greater than zero"),
    (lambda: LSTM(4, 3.0), TypeError, "hidden_size should be of type int"),
    (lambda: GRU(4, 3, num_layers=0), ValueError, "num_layers must be greater than zero"),
    (lambda: LSTM(4, 3, proj_size=2), NotImplementedError, "proj_size"),
])
def test_bad_options(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_dropout_with_one_layer_warns_as_torch_does():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GRU(4, 3, dropout=0.2)
    assert "non-zero dropout expects num_layers greater than 1" in str(caught[0].message)


@pytest.mark.parametrize("name", ["gru", "lstm"])
def test_gradgradcheck_sequences(name):
    """Double backward through a whole sequence: unbind, the step ops and the stacks."""
    gates = 4 if name == "lstm" else 3
    x, *states = _small((2, 1, 1), *[(1, 1, 1)] * (2 if name == "lstm" else 1))
    params = _small((gates, 1), (gates, 1), (gates,), (gates,), seed=1)

    def fn(x, *tensors):
        hx = tuple(tensors[:len(states)]) if name == "lstm" else tensors[0]
        result = getattr(F, name)(x, hx, list(tensors[len(states):]), True, 1, 0.0, False,
                                  False, False)
        return cr.cat([t.reshape(-1) for t in result])
    assert gradgradcheck(fn, [x, *states, *params])


@pytest.mark.parametrize("call, message", [
    (lambda: F.lstm_cell(cr.zeros(2, 3), (cr.zeros(2, 2), cr.zeros(3, 2)), cr.zeros(8, 3),
                         cr.zeros(8, 2)),
     r"lstm_cell: expected input of shape \(N, 3\) and states of shape \(N, 2\), got \(2, 3\) "
     r"and \(2, 2\), \(3, 2\)"),
    (lambda: F.gru_cell(cr.zeros(2, 3), cr.zeros(2, 2, dtype=cr.float64), cr.zeros(6, 3),
                        cr.zeros(6, 2)),
     r"gru_cell: expected the input, states and weights to have one dtype, got float32, float64"),
    (lambda: F.gru(cr.zeros(4, 2, 3), cr.zeros(1, 2, 3), [cr.zeros(6, 3), cr.zeros(6, 2)], False,
                   1, 0.0, False, False, False),
     r"gru: expected initial states of shape \(1, 2, 2\), got \(1, 2, 3\)"),
    (lambda: F.rnn_tanh(cr.zeros(4, 2, 5), cr.zeros(1, 2, 2), [cr.zeros(2, 3), cr.zeros(2, 2)],
                        False, 1, 0.0, False, False, False),
     r"rnn_tanh: expected a 3-D input with 3 features, got shape \(4, 2, 5\)"),
])
def test_functional_forms_check_their_inputs(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


# ----- packed sequences -------------------------------------------------------------------------
PACKED_CONFIGS = [  # lengths of the BATCH sequences; enforce_sorted when they come sorted
    dict(lengths=[4, 3, 1]),
    dict(lengths=[2, 4, 1], num_layers=2, bidirectional=True, initial=True),
    dict(lengths=[3, 4, 3], batch_first=True, bidirectional=True, initial=True),
    dict(lengths=[1, 1, 2], bias=False, initial=True),
    dict(lengths=[4, 4, 4], num_layers=2, batch_first=True),
    dict(lengths=[2, 3, 4], num_layers=2, dropout=0.3, bidirectional=True, eval_only=True),
]


def packed_call(kind, lengths, batch_first):
    """Pack x, run the layer, pad the output back: (padded output, output data, final states)."""
    def call(module, x, *states):
        utils = torch.nn.utils.rnn if isinstance(module, torch.nn.Module) else cr.nn.utils.rnn
        enforce_sorted = lengths == sorted(lengths, reverse=True)
        packed = utils.pack_padded_sequence(x, lengths, batch_first, enforce_sorted)
        hx = (tuple(states) if kind == "lstm" else states[0]) if states else None
        output, final = module(packed, hx)
        assert isinstance(output, utils.PackedSequence)
        assert output.sorted_indices is packed.sorted_indices
        padded, _ = utils.pad_packed_sequence(output, batch_first)
        return padded, output.data, final
    return call


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("config", PACKED_CONFIGS,
                         ids=lambda c: "-".join(k for k in c if k != "lengths") or "default")
@pytest.mark.parametrize("kind", list(LAYERS))
def test_packed_layer_matches_torch(kind, config, dtype):
    """Outputs, final states (each sequence's own last step; the reverse direction's first) in
    the batch's original order, and every gradient, as torch's."""
    options = {k: v for k, v in config.items()
               if k not in ("initial", "eval_only", "lengths")}
    ours, theirs = pair(LAYERS, kind, dtype, **options)
    ours.train(not config.get("eval_only"))
    theirs.train(not config.get("eval_only"))
    call = packed_call(kind, config["lengths"], config.get("batch_first", False))
    run_both(ours, theirs, sequence_arrays(config, kind, dtype), call, dtype)


@pytest.mark.parametrize("name, module", [("lstm", torch.nn.LSTM), ("gru", torch.nn.GRU),
                                          ("rnn_relu", torch.nn.RNN)])
def test_functional_packed_overload_matches_torchs(name, module):
    """torch.lstm(data, batch_sizes, hx, params, has_biases, layers, dropout, train, bidi)."""
    weights = module(3, 4, 2, bidirectional=True).double()._flat_weights
    rng = np.random.default_rng(0)
    x, h, c = rng.standard_normal((4, 3, 3)), rng.standard_normal((4, 3, 4)), \
        rng.standard_normal((4, 3, 4))
    lengths, args = [4, 2, 1], (True, 2, 0.0, False, True)
    results = []
    for library, make in ((torch, torch.tensor), (cr, cr.tensor)):
        packed = library.nn.utils.rnn.pack_padded_sequence(make(x), lengths)
        states = [make(h), make(c)] if name == "lstm" else make(h)
        params = [make(w.detach().numpy()) for w in weights]
        results.append(getattr(torch if library is torch else F, name)(
            packed.data, packed.batch_sizes, states, params, *args))
    assert len(results[0]) == len(results[1])
    for a, b in zip(results[1], results[0]):
        check_same(a, b, "float64", name)


@pytest.mark.parametrize("name", ["lstm", "gru"])
def test_gradcheck_packed_sequences(name):
    """Two layers, bidirectional, no biases: sequences of lengths 3 and 1, hidden 2."""
    gates = 4 if name == "lstm" else 3
    x, *states = _small((4, 2), *[(4, 2, 2)] * (2 if name == "lstm" else 1))
    params = _small(*[(2 * gates, size) for size in (2, 2, 2, 2, 4, 2, 4, 2)], seed=1)
    batch_sizes = cr.tensor([2, 1, 1])

    def fn(x, *tensors):
        hx = tuple(tensors[:len(states)]) if name == "lstm" else tensors[0]
        result = getattr(F, name)(x, batch_sizes, hx, list(tensors[len(states):]), False, 2,
                                  0.0, False, True)
        return cr.cat([t.reshape(-1) for t in result])
    assert gradcheck(fn, [x, *states, *params])


def test_packed_dropout_in_training_runs_between_layers():
    lstm = LSTM(INPUT, HIDDEN, num_layers=2, dropout=0.5)
    packed = cr.nn.utils.rnn.pack_sequence([cr.randn(3, INPUT), cr.randn(2, INPUT)])
    output, (h_n, _) = lstm(packed)
    assert tuple(output.data.shape) == (5, HIDDEN) and tuple(h_n.shape) == (2, 2, HIDDEN)
    lstm.eval()
    assert not np.allclose(lstm(packed)[0].data.detach().numpy(), output.data.detach().numpy())


def _packed(lengths, features=5, dtype=None):
    x = cr.zeros(max(lengths), len(lengths), features, dtype=dtype)
    return cr.nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)


@pytest.mark.parametrize("module, args, error, message", [
    (LSTM(5, 4), [_packed([3, 2], features=6)], RuntimeError,
     r"LSTM\(5, 4\): expected packed data of shape \(sum of lengths, 5\), got \(5, 6\)"),
    (GRU(5, 4), [_packed([3, 2]), cr.zeros(1, 3, 4)], RuntimeError,
     r"GRU\(5, 4\): expected h0 of shape \(1, 2, 4\) for an input of shape \(5, 5\), "
     r"got \(1, 3, 4\)"),
    (LSTM(5, 4), [_packed([1, 2]), (cr.zeros(1, 2, 4), cr.zeros(2, 2, 4))], RuntimeError,
     r"expected c0 of shape \(1, 2, 4\)"),
    (RNN(5, 4), [_packed([3, 2], dtype=cr.float64)], ValueError,
     r"RNN\(5, 4\): input dtype \(float64\) does not match the weights' dtype \(float32\)"),
])
def test_bad_packed_inputs_name_the_layer(module, args, error, message):
    with pytest.raises(error, match=message):
        module(*args)


def test_functional_packed_form_checks_the_batch_sizes():
    with pytest.raises(RuntimeError, match=r"gru: batch_sizes must be positive, non-increasing "
                                           r"and add up to the packed data's 4 rows, got \[1, 2\]"):
        F.gru(cr.zeros(4, 3), cr.tensor([1, 2]), cr.zeros(1, 1, 2),
              [cr.zeros(6, 3), cr.zeros(6, 2)], False, 1, 0.0, False, False)


def test_gradgradcheck_packed_sequence():
    """Double backward through the packed path: the gathers, narrows and joins of the states."""
    x, h = _small((3, 1), (2, 2, 1))
    params = _small(*[(3, 1), (3, 1), (3,), (3,)] * 2, seed=1)
    batch_sizes = cr.tensor([2, 1])

    def fn(x, h, *params):
        return F.gru(x, batch_sizes, h, list(params), True, 1, 0.0, False, True)[0]
    assert gradgradcheck(fn, [x, h, *params])
