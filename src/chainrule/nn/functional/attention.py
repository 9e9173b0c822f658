"""Attention: scaled dot-product attention, and the whole forward pass of nn.MultiheadAttention
(Vaswani et al. 2017, "Attention Is All You Need", §3.2). Without dropout (and, in the module,
without the weights asked for) the product, softmax and product are one fused op
(ops.fused.Attention); otherwise a composition of ops.

Every mask becomes one additive bias of the scores: 0 where a query may attend a key, -inf where
it may not. A query that may attend no key at all gets zero weights (torch's CPU kernel does the
same; plain softmax would give NaN).
"""
import math

from chainrule.backend import xp
from chainrule.nn.functional.dropout import dropout
from chainrule.nn.functional.linear import linear
from chainrule.ops.activation import softmax
from chainrule.ops.fused import attention
from chainrule.ops.join import cat
from chainrule.ops.linalg import matmul
from chainrule.ops.unbind import unbind
from chainrule.tensor import Tensor

__all__ = ["scaled_dot_product_attention", "multi_head_attention_forward"]


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(Q Kᵀ · scale + bias) V, scale = 1/√E unless given (Vaswani et al. 2017, eq. 1).

    attn_mask: bool (True: the query may attend that key) or float of the query's dtype (added to
    the scores), broadcastable to (..., L, S). is_causal: query i attends keys 0..i only (the
    top-left lower triangle); it excludes attn_mask. dropout_p: dropout of the attention weights,
    applied whenever it is > 0 (pass 0.0 in eval mode, as with torch). enable_gqa: key and value
    may have fewer heads (dim -3) than query, each shared by a group of query heads.

    Shape: query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev).
    """
    if is_causal and attn_mask is not None:
        raise RuntimeError("scaled_dot_product_attention: explicit attn_mask should not be set "
                           "when is_causal=True")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise RuntimeError(f"scaled_dot_product_attention: expected query (..., L, E), key "
                           f"(..., S, E) and value (..., S, Ev), got {query.shape}, {key.shape} "
                           f"and {value.shape}")
    if not query.dtype == key.dtype == value.dtype:
        raise RuntimeError(f"scaled_dot_product_attention: expected query, key and value of one "
                           f"dtype, got {query.dtype}, {key.dtype} and {value.dtype}")
    if is_causal:
        attn_mask = Tensor._make(xp.tril(xp.ones((query.shape[-2], key.shape[-2]), dtype=bool)))
    if enable_gqa and query.ndim > 2 and key.shape[-3] != query.shape[-3]:
        group = query.shape[-3] // key.shape[-3]
        key, value = key.repeat_interleave(group, -3), value.repeat_interleave(group, -3)
    if attn_mask is not None:
        _check_mask_shape(attn_mask, query, key)
    bias = _as_bias(attn_mask, query.dtype, "attn_mask", true_blocks=False)
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    if dropout_p == 0:
        return attention(query, key, value, bias, scale)
    return _attend(query * scale, key, value, bias, dropout_p)[0]


def _check_mask_shape(attn_mask, query, key):
    """attn_mask must broadcast to the scores' shape (..., L, S) without enlarging it."""
    try:
        scores = xp.broadcast_shapes(query.shape[:-2], key.shape[:-2]) + (
            query.shape[-2], key.shape[-2])
        fits = xp.broadcast_shapes(scores, attn_mask.shape) == scores
    except ValueError:
        fits = False
    if not fits:
        raise RuntimeError(f"scaled_dot_product_attention: attn_mask of shape {attn_mask.shape} "
                           f"does not broadcast to the attention scores' shape (..., L, S) for "
                           f"query {query.shape} and key {key.shape}")


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False,
                                 batch_first=False):
    """The forward pass of nn.MultiheadAttention, with torch's arguments; returns (output,
    weights), weights None unless need_weights. batch_first (chainrule's addition) takes (N, L, E)
    inputs as they are, where the module would otherwise transpose them.

    Bool masks: True marks what may NOT be attended (the opposite of scaled_dot_product_attention);
    float masks are added to the scores. is_causal is only a hint that attn_mask is causal.

    Shape: query (L, N, E) or (L, E), key (S, N, kdim), value (S, N, vdim); key_padding_mask
    (N, S) or (S); attn_mask (L, S) or (N·num_heads, L, S) -> output (L, N, E), weights (N, L, S)
    (averaged over heads) or (N, num_heads, L, S). batch_first swaps the first two dims.
    """
    batched = _check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads,
                            embed_dim_to_check, use_separate_proj_weight, batch_first)
    if is_causal and attn_mask is None:
        raise RuntimeError("multi_head_attention_forward: need attn_mask if specifying the "
                           "is_causal hint; Transformer.generate_square_subsequent_mask makes one")
    if not batched:  # one sequence: a batch of one, batch first
        query, key, value = query.unsqueeze(0), key.unsqueeze(0), value.unsqueeze(0)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
        batch_first = True
    batch = query.shape[0 if batch_first else 1]
    scale = 1 / math.sqrt(embed_dim_to_check // num_heads)
    bias = _combined_bias(attn_mask, key_padding_mask, query.dtype, batch, num_heads)
    dropout_p = dropout_p if training else 0.0
    if (query is key is value and not use_separate_proj_weight and bias_k is None
            and static_k is None and static_v is None and not add_zero_attn):
        q, k, v = _packed_in_projection(query, in_proj_weight, in_proj_bias, num_heads,
                                        batch_first)
    else:
        q, k, v = _in_projection(query, key, value, in_proj_weight, in_proj_bias,
                                 (q_proj_weight, k_proj_weight, v_proj_weight)
                                 if use_separate_proj_weight else None)
        if bias_k is not None and bias_v is not None:
            k = _append_to_keys(k, bias_k, batch_first)
            v, bias = _append_to_keys(v, bias_v, batch_first), _pad_last(bias)
        q, k, v = (_split_heads(t, num_heads, batch_first) for t in (q, k, v))
        k, v = _static(k, static_k, batch, num_heads), _static(v, static_v, batch, num_heads)
        if add_zero_attn:  # one extra key and value of zeros, which every query may attend
            k, v, bias = _append_zero_key(k), _append_zero_key(v), _pad_last(bias)
    if need_weights or dropout_p > 0:
        output, weights = _attend(q * scale, k, v, bias, dropout_p)
    else:   # one fused node (ops.fused.Attention) when the weights are not asked for
        output = attention(q, k, v, bias, scale)
    output = linear(_merge_heads(output, batch_first), out_proj_weight, out_proj_bias)
    if need_weights:
        weights = weights.mean(1) if average_attn_weights else weights
    if not batched:
        output = output.squeeze(0)
        weights = weights.squeeze(0) if need_weights else None
    return output, (weights if need_weights else None)


# ----- the pieces -----------------------------------------------------------------------------
def _attend(query, key, value, bias, dropout_p):
    """softmax(query keyᵀ + bias) value for an already scaled query: (output, weights)."""
    scores = matmul(query, key.mT)
    keep = None
    if bias is not None:
        bias, keep = _open_dead_rows(bias)
        scores = scores + bias
    weights = softmax(scores, -1)
    if keep is not None:
        weights = weights * keep
    if dropout_p > 0:
        weights = dropout(weights, dropout_p)
    return matmul(weights, value), weights


def _open_dead_rows(bias):
    """A row of the bias that is -inf everywhere would make softmax 0/0 = NaN. Such rows are
    opened (set to 0) and `keep` (0 there, 1 elsewhere) zeroes their weights afterwards, so that
    their output and every gradient through them are 0."""
    dead = xp.isneginf(bias.array).all(-1, keepdims=True)
    if not dead.any():
        return bias, None
    return bias.masked_fill(Tensor._make(dead), 0.0), Tensor._make((~dead).astype(bias.dtype))


def _as_bias(mask, dtype, name, true_blocks):
    """A mask as an additive bias of the scores' dtype. A bool mask becomes 0 / -inf; True blocks
    attention where `true_blocks` (MultiheadAttention's masks) and allows it otherwise (SDPA)."""
    if mask is None:
        return None
    mask = mask if isinstance(mask, Tensor) else Tensor(mask)
    kind = mask.array.dtype.kind
    if kind == "b":
        blocked = mask.array if true_blocks else ~mask.array
        return Tensor._make(xp.where(blocked, dtype.type(-xp.inf), dtype.type(0)))
    if kind != "f" or mask.dtype != dtype:
        raise RuntimeError(f"{name}: expected a bool mask or a float mask of the query's dtype "
                           f"({dtype}), got {mask.dtype}")
    return mask


def _combined_bias(attn_mask, key_padding_mask, dtype, batch, num_heads):
    """attn_mask (L, S) or (N·H, L, S) and key_padding_mask (N, S) as one bias that broadcasts
    against the scores (N, H, L, S)."""
    bias = _as_bias(attn_mask, dtype, "attn_mask", true_blocks=True)
    if bias is not None and bias.ndim == 3:
        bias = bias.reshape(batch, num_heads, bias.shape[1], bias.shape[2])
    padding = _as_bias(key_padding_mask, dtype, "key_padding_mask", true_blocks=True)
    if padding is not None:
        padding = padding.reshape(batch, 1, 1, padding.shape[-1])
        bias = padding if bias is None else bias + padding
    return bias


def _packed_in_projection(x, in_proj_weight, in_proj_bias, num_heads, batch_first):
    """Self-attention's q, k, v (N, H, L, D) from one product with the packed (3E, E) weight:
    views of it, whose gradients unbind stacks into one buffer again."""
    first, second, width = x.shape
    packed = linear(x, in_proj_weight, in_proj_bias).reshape(
        first, second, 3, num_heads, width // num_heads)
    return unbind(packed.permute(2, 0, 3, 1, 4) if batch_first
                  else packed.permute(2, 1, 3, 0, 4), 0)


def _in_projection(query, key, value, in_proj_weight, in_proj_bias, separate_weights):
    """q, k, v = the three projections of query, key and value (cross-attention, or separate
    weights): products with slices of the packed weight."""
    if separate_weights is None:
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    else:
        w_q, w_k, w_v = separate_weights
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    return linear(query, w_q, b_q), linear(key, w_k, b_k), linear(value, w_v, b_v)


def _split_heads(x, num_heads, batch_first):
    """(N, L, E) or (L, N, E) -> (N, H, L, E/H): the heads become a batch dim (a view)."""
    first, second, width = x.shape
    x = x.reshape(first, second, num_heads, width // num_heads)
    return x.permute(0, 2, 1, 3) if batch_first else x.permute(1, 2, 0, 3)


def _merge_heads(x, batch_first):
    """(N, H, L, D) -> (N, L, H·D) or (L, N, H·D), heads side by side again (a copy)."""
    batch, heads, length, width = x.shape
    if batch_first:
        return x.permute(0, 2, 1, 3).reshape(batch, length, heads * width)
    return x.permute(2, 0, 1, 3).reshape(length, batch, heads * width)


def _append_to_keys(x, extra, batch_first):
    """Append the learnt key (or value) `extra` (1, 1, E) to every sequence, along its dim."""
    if batch_first:
        return cat([x, extra.expand(x.shape[0], 1, x.shape[2])], 1)
    return cat([x, extra.expand(1, x.shape[1], x.shape[2])], 0)


def _static(x, given, batch, num_heads):
    """A given key (or value) of shape (N·H, S, D) in place of the projected one."""
    if given is None:
        return x
    return given.reshape(batch, num_heads, given.shape[-2], given.shape[-1])


def _append_zero_key(x):
    zeros = Tensor._make(xp.zeros(x.shape[:-2] + (1, x.shape[-1]), dtype=x.dtype))
    return cat([x, zeros], -2)


def _pad_last(bias):
    """The bias with one more key column of 0 (every query may attend the appended key)."""
    if bias is None:
        return None
    zeros = Tensor._make(xp.zeros(bias.shape[:-1] + (1,), dtype=bias.dtype))
    return cat([bias, zeros], -1)


def _check_shapes(query, key, value, key_padding_mask, attn_mask, num_heads, embed_dim,
                  separate, batch_first):
    """torch's checks of multi_head_attention_forward, with its messages; True if batched."""
    if query.ndim not in (2, 3):
        raise AssertionError(f"query should be unbatched 2D or batched 3D tensor but received "
                             f"{query.ndim}-D query tensor")
    if key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(f"For {query.ndim}-D query, expected key and value to be "
                             f"{query.ndim}-D but found {key.ndim}-D and {value.ndim}-D tensors")
    if query.shape[-1] != embed_dim:
        raise AssertionError(f"was expecting embedding dimension of {embed_dim}, but got "
                             f"{query.shape[-1]}")
    if embed_dim % num_heads:
        raise AssertionError(f"embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if key.shape[:-1] != value.shape[:-1] or (not separate and key.shape != value.shape):
        raise AssertionError(f"key shape {key.shape} does not match value shape {value.shape}")
    batched = query.ndim == 3
    seq, batch = (1, 0) if batch_first and batched else (0, 1)
    if batched and key.shape[batch] != query.shape[batch]:
        raise AssertionError(f"query {query.shape} and key {key.shape} differ in batch size")
    sizes = (query.shape[batch],) if batched else ()
    _check_mask("key_padding_mask", key_padding_mask, [sizes + (key.shape[seq],)])
    square = (query.shape[seq], key.shape[seq])
    heads = (query.shape[batch] * num_heads if batched else num_heads,)
    _check_mask("attn_mask", attn_mask, [square, heads + square])
    return batched


def _check_mask(name, mask, shapes):
    if mask is not None and mask.shape not in shapes:
        raise RuntimeError(f"the shape of {name} is {mask.shape}, but should be "
                           f"{' or '.join(map(str, shapes))}")
