"""Transformer layers, stacks and the whole Transformer against torch with copied weights: outputs
and the gradients of inputs and every parameter, in eval mode and in train mode with dropout 0,
over layouts, norm placements, activations and masks; their structure, init and errors."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn import transformer as ours
from chainrule.nn.norm import LayerNorm
from tests.nn.helpers import Const, assert_matches_torch

# torch's encoders warn that they cannot take their nested-tensor inference path: irrelevant here
pytestmark = pytest.mark.filterwarnings("ignore:enable_nested_tensor is True")

D, HEADS, FF, N, S, T = 8, 2, 16, 3, 5, 4    # d_model, nhead, dim_feedforward, batch, lengths

PADDING = np.zeros((N, S), dtype=bool)
PADDING[0, -2:] = True
PADDING[2, 1] = True
TGT_PADDING = np.zeros((N, T), dtype=bool)
TGT_PADDING[1, -1] = True


def causal(length):
    return np.triu(np.full((length, length), -np.inf), 1)


def sequence(length, batch_first, seed):
    shape = (N, length, D) if batch_first else (length, N, D)
    return np.random.default_rng(seed).standard_normal(shape)


def pair(name, *args, **kwargs):
    """A maker of (ours, torch's) module `name`, built in float64 from the same arguments."""
    def make():
        torch.manual_seed(0)
        return (getattr(ours, name)(*args, dtype=cr.float64, **kwargs),
                getattr(torch.nn, name)(*args, dtype=torch.float64, **kwargs))
    return make


def stack_pair(name, layer_name, num_layers, final_norm, **kwargs):
    """TransformerEncoder / TransformerDecoder of deep copies of one layer, with a final norm."""
    def make():
        torch.manual_seed(0)
        modules = []
        for lib, norm, dtype in ((ours, LayerNorm, cr.float64),
                                 (torch.nn, torch.nn.LayerNorm, torch.float64)):
            layer = getattr(lib, layer_name)(D, HEADS, FF, dropout=0.0, dtype=dtype, **kwargs)
            modules.append(getattr(lib, name)(layer, num_layers,
                                              norm(D, dtype=dtype) if final_norm else None))
        return modules
    return make


ENCODER_CASES = [
    ("post-norm, relu", dict(), {}),
    ("pre-norm, gelu, batch first", dict(norm_first=True, activation="gelu", batch_first=True),
     {}),
    ("key padding", dict(batch_first=True), dict(src_key_padding_mask=PADDING)),
    ("causal mask, pre-norm", dict(norm_first=True), dict(src_mask=causal(S))),
    ("causal and padding, is_causal", dict(),
     dict(src_mask=causal(S) < 0, src_key_padding_mask=PADDING, is_causal=True)),
    ("no bias, eps", dict(bias=False, layer_norm_eps=1e-3, norm_first=True), {}),
]


def encoder_call(masks, names=("src_mask", "src_key_padding_mask")):
    """call(module, src, *masks): masks by keyword, the others (is_causal) passed as they are."""
    flags = {k: v for k, v in masks.items() if k not in names}

    def call(module, src, *tensors):
        given = dict(zip([k for k in names if k in masks], tensors))
        return module(src, **given, **flags)
    return call


def mask_inputs(masks, names):
    return [Const(masks[k]) for k in names if k in masks]


@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
@pytest.mark.parametrize("name, kwargs, masks", ENCODER_CASES, ids=[c[0] for c in ENCODER_CASES])
def test_encoder_layer_matches_torch(name, kwargs, masks, train):
    names = ("src_mask", "src_key_padding_mask")
    inputs = [sequence(S, kwargs.get("batch_first", False), 0)] + mask_inputs(masks, names)
    make = pair("TransformerEncoderLayer", D, HEADS, FF, dropout=0.0, **kwargs)
    assert_matches_torch(*make(), inputs, call=encoder_call(masks),
                         modes=("train" if train else "eval",))


def test_eval_mode_turns_dropout_off():
    masks = dict(src_key_padding_mask=PADDING)
    inputs = [sequence(S, False, 0)] + mask_inputs(masks, ("src_mask", "src_key_padding_mask"))
    make = pair("TransformerEncoderLayer", D, HEADS, FF, dropout=0.5)
    assert_matches_torch(*make(), inputs, call=encoder_call(masks), modes=("eval",))


DECODER_CASES = [
    ("post-norm", dict(), dict(tgt_mask=causal(T))),
    ("pre-norm, batch first, all masks", dict(norm_first=True, batch_first=True),
     dict(tgt_mask=causal(T), memory_mask=np.where(np.arange(S) < 4, 0.0, -np.inf)[None]
          .repeat(T, 0), tgt_key_padding_mask=np.where(TGT_PADDING, -np.inf, 0.0),
          memory_key_padding_mask=np.where(PADDING, -np.inf, 0.0))),
    ("gelu, tgt_is_causal", dict(activation="gelu"), dict(tgt_mask=causal(T),
                                                          tgt_is_causal=True)),
]
DECODER_MASKS = ("tgt_mask", "memory_mask", "tgt_key_padding_mask", "memory_key_padding_mask")


def decoder_call(masks):
    flags = {k: v for k, v in masks.items() if k not in DECODER_MASKS}

    def call(module, tgt, memory, *tensors):
        given = dict(zip([k for k in DECODER_MASKS if k in masks], tensors))
        return module(tgt, memory, **given, **flags)
    return call


@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
@pytest.mark.parametrize("name, kwargs, masks", DECODER_CASES, ids=[c[0] for c in DECODER_CASES])
def test_decoder_layer_matches_torch(name, kwargs, masks, train):
    batch_first = kwargs.get("batch_first", False)
    inputs = [sequence(T, batch_first, 0), sequence(S, batch_first, 1)]
    make = pair("TransformerDecoderLayer", D, HEADS, FF, dropout=0.0, **kwargs)
    assert_matches_torch(*make(), inputs + mask_inputs(masks, DECODER_MASKS),
                         call=decoder_call(masks), modes=("train" if train else "eval",))


@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
def test_encoder_stack_matches_torch(norm_first):
    names = ("mask", "src_key_padding_mask")
    masks = dict(mask=causal(S) < 0, src_key_padding_mask=PADDING)
    inputs = [sequence(S, True, 0)] + mask_inputs(masks, names)
    make = stack_pair("TransformerEncoder", "TransformerEncoderLayer", 2, True,
                      norm_first=norm_first, batch_first=True)
    assert_matches_torch(*make(), inputs, call=encoder_call(masks, names), modes=("train",))


def test_decoder_stack_matches_torch():
    masks = dict(tgt_mask=causal(T), memory_key_padding_mask=np.where(PADDING, -np.inf, 0.0))
    inputs = [sequence(T, False, 0), sequence(S, False, 1)] + mask_inputs(masks, DECODER_MASKS)
    make = stack_pair("TransformerDecoder", "TransformerDecoderLayer", 2, False)
    assert_matches_torch(*make(), inputs, call=decoder_call(masks), modes=("eval",))


@pytest.mark.parametrize("batch_first", [False, True], ids=["seq first", "batch first"])
def test_transformer_matches_torch(batch_first):
    make = pair("Transformer", D, HEADS, 2, 1, FF, dropout=0.0, batch_first=batch_first)
    masks = [Const(causal(T)), Const(PADDING)]

    def call(module, src, tgt, tgt_mask, src_key_padding_mask):
        return module(src, tgt, tgt_mask=tgt_mask, src_key_padding_mask=src_key_padding_mask,
                      memory_key_padding_mask=src_key_padding_mask)
    inputs = [sequence(S, batch_first, 0), sequence(T, batch_first, 1)] + masks
    assert_matches_torch(*make(), inputs, call=call, modes=("train",))


def test_unbatched_encoder_layer_matches_torch():
    make = pair("TransformerEncoderLayer", D, HEADS, FF, dropout=0.0)
    assert_matches_torch(*make(), [sequence(S, False, 0)[:, 0], Const(PADDING[0])],
                         call=lambda m, src, padding: m(src, src_key_padding_mask=padding),
                         modes=("eval",))


# ----- structure, init and errors ---------------------------------------------------------------
def test_state_dict_keys_and_shapes_are_torchs():
    for name, args in (("TransformerEncoderLayer", (D, HEADS, FF)),
                       ("TransformerDecoderLayer", (D, HEADS, FF)),
                       ("Transformer", (D, HEADS, 2, 2, FF))):
        for kwargs in (dict(), dict(bias=False)):
            mine = getattr(ours, name)(*args, **kwargs).state_dict()
            theirs = getattr(torch.nn, name)(*args, **kwargs).state_dict()
            assert list(mine) == list(theirs), name
            assert [v.shape for v in mine.values()] == [tuple(v.shape) for v in theirs.values()]


def test_stacks_hold_independent_deep_copies():
    layer = ours.TransformerEncoderLayer(D, HEADS, FF)
    encoder = ours.TransformerEncoder(layer, 3)
    weights = [m.linear1.weight for m in encoder.layers]
    assert len({id(w) for w in weights} | {id(layer.linear1.weight)}) == 4
    with cr.no_grad():
        weights[0].fill_(0.0)
    assert weights[1].detach().numpy().any() and layer.linear1.weight.detach().numpy().any()
    assert len(list(encoder.parameters())) == 3 * len(list(layer.parameters()))


def test_transformer_redraws_every_matrix_xavier_uniform():
    cr.manual_seed(0)
    model = ours.Transformer(32, 4, 1, 1, 64)
    for name, p in model.named_parameters():
        values = p.detach().numpy()
        if p.ndim > 1:
            fan_out, fan_in = p.shape
            bound = np.sqrt(6 / (fan_in + fan_out))
            assert np.abs(values).max() <= bound and np.abs(values).max() > 0.9 * bound, name
        elif "norm" in name and name.endswith("weight"):
            assert (values == 1).all(), name
        elif "norm" in name or "in_proj_bias" in name or "out_proj.bias" in name:
            assert not values.any(), name


def test_layers_initialise_as_torchs_layers():
    cr.manual_seed(0)
    layer = ours.TransformerEncoderLayer(64, 4, 256)
    bound = 1 / np.sqrt(64)                       # linear1 keeps Linear's U(±1/√fan_in)
    values = layer.linear1.weight.detach().numpy()
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.95 * bound
    in_proj = layer.self_attn.in_proj_weight.detach().numpy()
    assert np.abs(in_proj).max() <= np.sqrt(6 / (64 + 192))


def test_generate_square_subsequent_mask_is_torchs():
    mask = ours.Transformer.generate_square_subsequent_mask(4)
    expected = torch.nn.Transformer.generate_square_subsequent_mask(4)
    assert mask.dtype == cr.float32
    np.testing.assert_array_equal(mask.numpy(), expected.numpy())
    assert ours.Transformer.generate_square_subsequent_mask(3, dtype=cr.float64).dtype == \
        cr.float64


def test_activation_may_be_a_callable_and_must_be_known():
    layer = ours.TransformerEncoderLayer(D, HEADS, FF, activation=cr.nn.functional.gelu)
    assert layer.activation is cr.nn.functional.gelu
    with pytest.raises(RuntimeError, match="activation should be relu/gelu"):
        ours.TransformerEncoderLayer(D, HEADS, FF, activation="swish")


@pytest.mark.parametrize("call, match", [
    (lambda: ours.TransformerEncoderLayer(D, HEADS, FF, norm_first=True)(cr.zeros(S, N, 6)),
     r"TransformerEncoderLayer\(d_model=8, nhead=2, .*expected src of shape \(L, N, 8\)"),
    (lambda: ours.TransformerDecoderLayer(D, HEADS, FF, batch_first=True)(
        cr.zeros(N, T, D), cr.zeros(N, S, 4)),
     r"TransformerDecoderLayer\(d_model=8.*expected memory of shape \(N, L, 8\)"),
    (lambda: ours.Transformer(D, HEADS, 1, 1, FF)(cr.zeros(S, N, D), cr.zeros(T, 2, D)),
     r"Transformer\(d_model=8.*batch number of src and tgt must be equal"),
    (lambda: ours.Transformer(D, HEADS, 1, 1, FF)(cr.zeros(S, N, D), cr.zeros(T, N, 6)),
     r"feature number of src and tgt must be equal to d_model=8"),
])
def test_shape_errors_name_the_layer_and_the_expected_shape(call, match):
    with pytest.raises(RuntimeError, match=match):
        call()


def test_is_causal_needs_a_mask():
    layer = ours.TransformerEncoderLayer(D, HEADS, FF)
    with pytest.raises(RuntimeError, match="need attn_mask"):
        layer(cr.zeros(S, N, D), is_causal=True)
