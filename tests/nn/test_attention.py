"""scaled_dot_product_attention (checked by the op harness: NumPy, gradcheck, gradgradcheck, torch)
and MultiheadAttention against torch with copied weights: outputs, weights and every gradient,
over a table of configurations; its initialisation, state_dict names and errors."""
import copy
from dataclasses import dataclass, field, replace

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.nn.attention import MultiheadAttention
from chainrule.nn.functional.attention import (multi_head_attention_forward,
                                               scaled_dot_product_attention)
from tests.nn.helpers import Const, assert_close, assert_matches_torch
from tests.ops.harness import Case, OpChecks


# ----- scaled_dot_product_attention, as an op ---------------------------------------------------
def sdpa_numpy(q, k, v, bias=None, scale=None):
    """The reference: softmax(q kᵀ · scale + bias) v, rows with no allowed key giving 0."""
    scores = q @ np.swapaxes(k, -1, -2) * (scale or 1 / np.sqrt(q.shape[-1]))
    if bias is not None:
        scores = scores + bias
    top = scores.max(-1, keepdims=True)
    dead = np.isneginf(top)
    e = np.exp(scores - np.where(dead, 0, top))
    weights = np.where(dead, 0, e / np.where(dead, 1, e.sum(-1, keepdims=True)))
    return weights @ v


def as_mask(lib, array, like):
    """A fixed mask for lib: bool as it is, float in the query's dtype."""
    if array.dtype == bool:
        return lib.tensor(array)
    return lib.tensor(array, dtype=like.dtype)


RNG = np.random.default_rng(7)
BOOL_MASK = RNG.random((3, 4)) < 0.6
BOOL_MASK[:, 0] = True                                     # every query attends some key
DEAD_ROW_MASK = BOOL_MASK.copy()
DEAD_ROW_MASK[1] = False                                   # query 1 attends nothing
FLOAT_MASK = np.where(BOOL_MASK, RNG.standard_normal((3, 4)), -np.inf)
CAUSAL = np.tril(np.ones((3, 4), dtype=bool))
BIAS = {"bool": np.where(BOOL_MASK, 0, -np.inf), "dead": np.where(DEAD_ROW_MASK, 0, -np.inf)}


def sdpa_case(name, shapes, mask=None, bias=None, scale=None, **kwargs):
    def fn(lib, q, k, v):
        attn_mask = None if mask is None else as_mask(lib, mask, q)
        return lib.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=attn_mask,
                                                              scale=scale, **kwargs)
    return Case(f"sdpa[{name}]", fn, lambda q, k, v: sdpa_numpy(q, k, v, bias, scale), shapes)


QKV = ((2, 3, 5), (2, 4, 5), (2, 4, 2))   # query (N, L, E), key (N, S, E), value (N, S, Ev)

CASES = [
    sdpa_case("plain", [QKV, ((3, 5), (4, 5), (4, 3))]),
    # 4-d inputs take torch's CPU flash kernel, whose backward torch does not differentiate
    replace(sdpa_case("plain 4-d", [((2, 2, 3, 4), (2, 2, 4, 4), (2, 2, 4, 4))]),
            no_torch_double="torch's CPU flash attention is once differentiable"),
    sdpa_case("batch broadcast", [((2, 3, 5), (1, 4, 5), (1, 4, 2))]),
    sdpa_case("bool mask", [QKV], mask=BOOL_MASK, bias=BIAS["bool"]),
    sdpa_case("float mask", [QKV], mask=FLOAT_MASK, bias=FLOAT_MASK),
    sdpa_case("fully masked row", [QKV], mask=DEAD_ROW_MASK, bias=BIAS["dead"]),
    sdpa_case("causal", [QKV], bias=np.where(CAUSAL, 0, -np.inf), is_causal=True),
    sdpa_case("scale", [QKV], scale=0.3),
]


class TestScaledDotProductAttention(OpChecks):
    cases = CASES


def test_sdpa_grouped_query_heads_match_torch():
    rng = np.random.default_rng(0)
    q, k, v = rng.standard_normal((2, 4, 3, 5)), rng.standard_normal((2, 2, 6, 5)), \
        rng.standard_normal((2, 2, 6, 5))
    ours = scaled_dot_product_attention(*map(cr.tensor, (q, k, v)), enable_gqa=True)
    theirs = torch.nn.functional.scaled_dot_product_attention(
        *map(torch.tensor, (q, k, v)), enable_gqa=True)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-10, atol=1e-12)


def test_sdpa_dropout_zeroes_weights_and_scales_the_rest():
    # v = identity: the output rows are the (dropped-out) attention weights themselves
    cr.manual_seed(0)
    q, k = cr.zeros(1, 2000, 4), cr.zeros(1, 4, 4)
    out = scaled_dot_product_attention(q, k, cr.eye(4).reshape(1, 4, 4), dropout_p=0.25)
    values = np.unique(out.numpy().round(6))
    np.testing.assert_allclose(values, [0.0, 0.25 / 0.75], atol=1e-6)
    assert abs((out.numpy() == 0).mean() - 0.25) < 0.02


def test_sdpa_errors():
    q, k, v = cr.zeros(2, 3, 4), cr.zeros(2, 5, 4), cr.zeros(2, 5, 4)
    with pytest.raises(RuntimeError, match="should not be set when is_causal"):
        scaled_dot_product_attention(q, k, v, attn_mask=cr.ones(3, 5).bool(), is_causal=True)
    with pytest.raises(RuntimeError, match=r"key \(\.\.\., S, E\)"):
        scaled_dot_product_attention(q, cr.zeros(2, 5, 3), v)
    with pytest.raises(RuntimeError, match="float mask of the query's dtype"):
        scaled_dot_product_attention(q, k, v, attn_mask=cr.zeros(3, 5, dtype=cr.float64))


# ----- MultiheadAttention against torch ----------------------------------------------------------
E, H, N, L, S = 8, 2, 3, 4, 5


@dataclass
class MhaCase:
    name: str
    module: dict = field(default_factory=dict)   # constructor arguments beyond (E, H)
    shapes: tuple = "self"                        # query, key, value shapes; "self": one tensor
    masks: dict = field(default_factory=dict)     # key_padding_mask / attn_mask arrays
    forward: dict = field(default_factory=dict)   # need_weights, average_attn_weights, ...

    def inputs(self, seed=0):
        rng = np.random.default_rng(seed)
        shapes = ((L, N, E),) if self.shapes == "self" else self.shapes
        if self.module.get("batch_first") and self.shapes == "self":
            shapes = ((N, L, E),)
        arrays = [rng.standard_normal(s) for s in shapes]
        return arrays + [None if m is None else Const(m) for m in
                         (self.masks.get("key_padding_mask"), self.masks.get("attn_mask"))]

    def call(self, module, *tensors):
        *arrays, key_padding_mask, attn_mask = tensors
        q, k, v = arrays * 3 if len(arrays) == 1 else arrays
        return module(q, k, v, key_padding_mask=key_padding_mask, attn_mask=attn_mask,
                      **self.forward)


PADDING = np.zeros((N, S), dtype=bool)
PADDING[0, -2:] = True
PADDING[2, 1] = True
SELF_PADDING = PADDING[:, :L]
CAUSAL_FLOAT = np.triu(np.full((L, L), -np.inf), 1)
RNG_MASK = np.random.default_rng(3)
BLOCK_3D = RNG_MASK.random((N * H, L, L)) < 0.3
BLOCK_3D[:, :, 0] = False                              # nobody is blocked from every key
UNBATCHED_3D = RNG_MASK.random((H, L, S)) < 0.3
UNBATCHED_3D[:, :, 0] = False
CROSS = ((L, N, E), (S, N, E), (S, N, E))

MHA_CASES = [
    MhaCase("self attention"),
    MhaCase("batch first", module=dict(batch_first=True)),
    MhaCase("cross attention", shapes=CROSS),
    MhaCase("cross, batch first", module=dict(batch_first=True),
            shapes=((N, L, E), (N, S, E), (N, S, E))),
    MhaCase("kdim and vdim", module=dict(kdim=5, vdim=3), shapes=((L, N, E), (S, N, 5), (S, N, 3))),
    MhaCase("kdim, batch first", module=dict(kdim=5, vdim=3, batch_first=True),
            shapes=((N, L, E), (N, S, 5), (N, S, 3))),
    MhaCase("no bias", module=dict(bias=False), shapes=CROSS),
    MhaCase("bias_kv and zero_attn", module=dict(add_bias_kv=True, add_zero_attn=True),
            shapes=CROSS, masks=dict(key_padding_mask=PADDING)),
    MhaCase("key padding (bool)", shapes=CROSS, masks=dict(key_padding_mask=PADDING)),
    MhaCase("key padding (float)", shapes=CROSS,
            masks=dict(key_padding_mask=np.where(PADDING, -np.inf, 0.0))),
    MhaCase("causal float mask", masks=dict(attn_mask=CAUSAL_FLOAT)),
    MhaCase("causal bool mask, is_causal", masks=dict(attn_mask=np.isneginf(CAUSAL_FLOAT)),
            forward=dict(is_causal=True, need_weights=False)),
    MhaCase("3-D mask and padding", module=dict(batch_first=True),
            masks=dict(attn_mask=BLOCK_3D, key_padding_mask=SELF_PADDING)),
    MhaCase("weights per head", masks=dict(key_padding_mask=SELF_PADDING),
            forward=dict(average_attn_weights=False)),
    MhaCase("no weights", shapes=CROSS, masks=dict(key_padding_mask=PADDING),
            forward=dict(need_weights=False)),
    MhaCase("unbatched", shapes=((L, E), (S, E), (S, E)),
            masks=dict(key_padding_mask=PADDING[0], attn_mask=UNBATCHED_3D)),
]


def mha_pair(**kwargs):
    def make():
        torch.manual_seed(0)
        return (MultiheadAttention(E, H, dtype=cr.float64, **kwargs),
                torch.nn.MultiheadAttention(E, H, dtype=torch.float64, **kwargs))
    return make


@pytest.mark.parametrize("train", [False, True], ids=["eval", "train"])
@pytest.mark.parametrize("case", MHA_CASES, ids=lambda case: case.name)
def test_multihead_attention_matches_torch(case, train):
    assert_matches_torch(*mha_pair(**case.module)(), case.inputs(), call=case.call,
                         modes=("train" if train else "eval",))


def test_multihead_attention_parameters_have_torch_names_and_shapes():
    for kwargs in (dict(), dict(kdim=5, vdim=3), dict(bias=False), dict(add_bias_kv=True)):
        ours = MultiheadAttention(E, H, **kwargs).state_dict()
        theirs = torch.nn.MultiheadAttention(E, H, **kwargs).state_dict()
        assert list(ours) == list(theirs)
        assert [v.shape for v in ours.values()] == [tuple(v.shape) for v in theirs.values()]


def test_multihead_attention_initialises_as_torch():
    cr.manual_seed(0)
    m = MultiheadAttention(64, 4, add_bias_kv=True)
    bound = np.sqrt(6 / (64 + 3 * 64))                   # xavier_uniform_ of (3E, E)
    w = m.in_proj_weight.detach().numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.98 * bound
    assert abs(w.std() - bound / np.sqrt(3)) < 0.02 * bound
    assert not m.in_proj_bias.detach().numpy().any() and not m.out_proj.bias.detach().numpy().any()
    out = m.out_proj.weight.detach().numpy()                       # Linear's U(±1/√E)
    assert np.abs(out).max() <= 1 / 8 and np.abs(out).max() > 0.95 / 8
    for extra in (m.bias_k, m.bias_v):                    # xavier_normal_, std √(2 / 2E)
        assert extra.shape == (1, 1, 64) and 0.5 / 8 < extra.detach().numpy().std() < 1.5 / 8
    separate = MultiheadAttention(8, 2, kdim=4, vdim=6)
    assert np.abs(separate.k_proj_weight.detach().numpy()).max() <= np.sqrt(6 / (4 + 8))


def test_multi_head_attention_forward_gradcheck_and_gradgradcheck():
    rng = np.random.default_rng(0)

    def leaf(*shape):
        return cr.tensor(rng.standard_normal(shape), requires_grad=True)
    query, memory = leaf(2, 1, 4), leaf(3, 1, 4)
    weights = (leaf(12, 4), leaf(12), leaf(1, 1, 4), leaf(1, 1, 4), leaf(4, 4))
    padding = cr.tensor(np.array([[False, True, False]]))

    def fn(query, memory, in_weight, in_bias, bias_k, bias_v, out_weight):
        return multi_head_attention_forward(
            query, memory, memory, 4, 2, in_weight, in_bias, bias_k, bias_v, True, 0.0,
            out_weight, None, key_padding_mask=padding)
    assert gradcheck(fn, (query, memory) + weights)
    assert gradgradcheck(lambda q, m: fn(q, m, *[w.detach() for w in weights])[0], (query, memory))


def test_fully_masked_queries_get_zeros_not_nan():
    m = MultiheadAttention(E, H, dtype=cr.float64)
    x = cr.randn(L, N, E, dtype=cr.float64, requires_grad=True)
    padding = cr.tensor(np.eye(N, L, dtype=bool) | np.array([[True] * L] + [[False] * L] * 2))
    out, weights = m(x, x, x, key_padding_mask=padding)
    out.sum().backward()
    assert np.isfinite(out.detach().numpy()).all() and np.isfinite(x.grad.numpy()).all()
    assert not weights.detach().numpy()[0].any()        # batch entry 0 may attend nothing


def test_multihead_attention_dropout_only_in_training():
    m = MultiheadAttention(E, H, dropout=0.5)
    x = cr.randn(N, L, E)
    _, weights = m(x, x, x, average_attn_weights=False)
    assert (weights.detach().numpy() == 0).mean() > 0.3
    m.eval()
    _, weights = m(x, x, x, average_attn_weights=False)
    np.testing.assert_allclose(weights.detach().numpy().sum(-1), 1, rtol=1e-6)


def test_functional_form_matches_the_module():
    m = MultiheadAttention(E, H, dtype=cr.float64)
    x = cr.randn(L, N, E, dtype=cr.float64)
    expected = m(x, x, x)
    got = multi_head_attention_forward(
        x, x, x, E, H, m.in_proj_weight, m.in_proj_bias, None, None, False, 0.0,
        m.out_proj.weight, m.out_proj.bias)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-14)


def test_functional_static_keys_and_values_match_torch():
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s) for s in ((L, N, E), (S, N, E), (3 * E, E), (3 * E), (E, E),
                                                 (N * H, S + 1, E // H), (N * H, S + 1, E // H))]
    results = []
    for lib in (cr, torch):
        query, key, w_in, b_in, w_out, static_k, static_v = [
            lib.tensor(a, requires_grad=True) for a in arrays]
        out, weights = lib.nn.functional.multi_head_attention_forward(
            query, key, key, E, H, w_in, b_in, None, None, True, 0.0, w_out, None,
            static_k=static_k, static_v=static_v, average_attn_weights=False)
        cotangent = np.random.default_rng(5).standard_normal(tuple(weights.shape))
        (out.sum() + (weights * lib.tensor(cotangent)).sum()).backward()
        results.append([out.detach().numpy(), weights.detach().numpy()]
                       + [t.grad.numpy() for t in (query, w_in, b_in, w_out, static_k, static_v)])
    for ours_value, torch_value in zip(*results):
        assert_close(ours_value, torch_value, 1e-10, "static keys")


def test_deep_copies_are_independent():
    m = MultiheadAttention(E, H)
    clone = copy.deepcopy(m)
    with cr.no_grad():
        clone.in_proj_weight.fill_(0.0)
    assert m.in_proj_weight.detach().numpy().any()


@pytest.mark.parametrize("call, match", [
    (lambda m: m(cr.zeros(L, N, 6), cr.zeros(L, N, 6), cr.zeros(L, N, 6)),
     r"MultiheadAttention\(embed_dim=8, num_heads=2.*expected query of shape \(L, N, 8\)"),
    (lambda m: m(cr.zeros(L, N, E), cr.zeros(S, N, 5), cr.zeros(S, N, E)),
     r"expected key of shape \(L, N, 8\)"),
    (lambda m: m(cr.zeros(N, E, L, 1), cr.zeros(L, N, E), cr.zeros(L, N, E)),
     r"expected query of shape"),
])
def test_multihead_attention_width_errors_name_the_layer_and_shape(call, match):
    with pytest.raises(AssertionError, match=match):
        call(MultiheadAttention(E, H))


def test_multihead_attention_mask_and_argument_errors():
    m = MultiheadAttention(E, H)
    x, memory = cr.zeros(L, N, E), cr.zeros(S, N, E)
    with pytest.raises(RuntimeError, match=r"attn_mask is \(4, 4\), but should be \(4, 5\)"):
        m(x, memory, memory, attn_mask=cr.zeros(L, L))
    with pytest.raises(RuntimeError, match=r"key_padding_mask .* should be \(3, 5\)"):
        m(x, memory, memory, key_padding_mask=cr.zeros(N, L).bool())
    with pytest.raises(RuntimeError, match="need attn_mask if specifying the is_causal"):
        m(x, x, x, is_causal=True)
    with pytest.raises(AssertionError, match="differ in batch size"):
        m(x, cr.zeros(S, 2, E), cr.zeros(S, 2, E))
    with pytest.raises(AssertionError, match="divisible by num_heads"):
        MultiheadAttention(10, 3)
    with pytest.raises(ValueError, match="greater than 0"):
        MultiheadAttention(0, 2)


@pytest.mark.parametrize("mask_shape", [(4, 4), (3, 5, 6), (2, 2, 5, 6)])
def test_sdpa_refuses_a_mask_that_does_not_fit_the_scores(mask_shape):
    # torch refuses these too; (2, 2, 5, 6) would otherwise broadcast the output to a new batch dim
    def call(lib):
        return lib.nn.functional.scaled_dot_product_attention(
            lib.ones(2, 5, 8), lib.ones(2, 6, 8), lib.ones(2, 6, 8), attn_mask=lib.zeros(*mask_shape))
    with pytest.raises(RuntimeError):
        call(torch)
    with pytest.raises(RuntimeError) as raised:
        call(cr)
    assert str(raised.value) == (f"scaled_dot_product_attention: attn_mask of shape {mask_shape} "
                                 "does not broadcast to the attention scores' shape (..., L, S) "
                                 "for query (2, 5, 8) and key (2, 6, 8)")


def test_sdpa_takes_a_mask_that_broadcasts():
    out = cr.nn.functional.scaled_dot_product_attention(
        cr.ones(2, 5, 8), cr.ones(2, 6, 8), cr.ones(2, 6, 8), attn_mask=cr.zeros(1, 5, 6))
    assert out.shape == (2, 5, 8)


def test_sdpa_refuses_mixed_dtypes_naming_them():
    with pytest.raises(RuntimeError):   # torch refuses them too
        torch.nn.functional.scaled_dot_product_attention(
            torch.ones(2, 5, 8), torch.ones(2, 5, 8).double(), torch.ones(2, 5, 8))
    with pytest.raises(RuntimeError, match="scaled_dot_product_attention: expected query, key and "
                                           "value of one dtype, got float32, float64 and float32"):
        cr.nn.functional.scaled_dot_product_attention(
            cr.ones(2, 5, 8), cr.ones(2, 5, 8).double(), cr.ones(2, 5, 8))
