"""Attention layers: MultiheadAttention (Vaswani et al. 2017, "Attention Is All You Need" §3.2)."""
from chainrule import creation
from chainrule.nn import init
from chainrule.nn.functional.attention import multi_head_attention_forward
from chainrule.nn.linear import Linear
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter, factory_kwargs


class MultiheadAttention(Module):
    """Attention of num_heads heads side by side: each projects query, key and value to
    embed_dim / num_heads dims, attends, and out_proj mixes the heads' outputs again.

    Args: embed_dim, num_heads, dropout=0.0 (on the attention weights, in training mode),
    bias=True, add_bias_kv=False (a learnt key and value appended to every sequence),
    add_zero_attn=False (a zero key and value appended), kdim=None, vdim=None (key and value
    widths, embed_dim unless given), batch_first=False, device=None, dtype=None.
    Parameters, named and laid out as torch's: in_proj_weight (3·embed_dim, embed_dim) holding
    the query, key and value projections stacked, or q_proj_weight, k_proj_weight (embed_dim,
    kdim) and v_proj_weight (embed_dim, vdim) when kdim or vdim differ; in_proj_bias
    (3·embed_dim); out_proj, a Linear(embed_dim, embed_dim); bias_k, bias_v (1, 1, embed_dim).
    Initialized as in torch: xavier_uniform_ projections, zero biases, out_proj.weight as a
    Linear's, bias_k and bias_v xavier_normal_.

    Shape: query (L, N, embed_dim), key (S, N, kdim), value (S, N, vdim), or (N, L, ·) with
    batch_first, or (L, ·) unbatched; key_padding_mask (N, S), True (or -inf) for keys to ignore;
    attn_mask (L, S) or (N·num_heads, L, S), True (or -inf) where a query may not attend a key,
    float values added to the scores. Output: attn_output shaped as query; attn_weights (N, L, S)
    averaged over heads, (N, num_heads, L, S) if not average_attn_weights, None if not
    need_weights.
    Gradient: nn.functional.multi_head_attention_forward, composed of ops.linalg.LinearFunction.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        if embed_dim <= 0 or num_heads <= 0:
            raise ValueError(f"embed_dim and num_heads must be greater than 0, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads} instead")
        if embed_dim % num_heads:
            raise AssertionError(f"embed_dim must be divisible by num_heads, got embed_dim="
                                 f"{embed_dim} and num_heads={num_heads}")
        super().__init__()
        factory = factory_kwargs("MultiheadAttention", device, dtype)
        self.embed_dim, self.num_heads, self.dropout = embed_dim, num_heads, dropout
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.batch_first, self.head_dim = batch_first, embed_dim // num_heads
        self.add_zero_attn = add_zero_attn
        if self._qkv_same_embed_dim:
            self.in_proj_weight = _empty(factory, 3 * embed_dim, embed_dim)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.register_parameter("in_proj_weight", None)
            self.q_proj_weight = _empty(factory, embed_dim, embed_dim)
            self.k_proj_weight = _empty(factory, embed_dim, self.kdim)
            self.v_proj_weight = _empty(factory, embed_dim, self.vdim)
        self.register_parameter("in_proj_bias", _empty(factory, 3 * embed_dim) if bias else None)
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **factory)
        self.register_parameter("bias_k",
                                _empty(factory, 1, 1, embed_dim) if add_bias_kv else None)
        self.register_parameter("bias_v",
                                _empty(factory, 1, 1, embed_dim) if add_bias_kv else None)
        self._reset_parameters()

    def _reset_parameters(self):
        # torch's choice: Glorot-uniform projections (Glorot & Bengio 2010), zero biases
        for weight in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
            if self._parameters[weight] is not None:
                init.xavier_uniform_(self._parameters[weight])
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        self._check_widths(query, key, value)
        parameters = self._parameters
        return multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, parameters["in_proj_weight"],
            parameters["in_proj_bias"], parameters["bias_k"], parameters["bias_v"],
            self.add_zero_attn, self.dropout, self.out_proj.weight, self.out_proj.bias,
            training=self.training, key_padding_mask=key_padding_mask,
            need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=parameters["q_proj_weight"], k_proj_weight=parameters["k_proj_weight"],
            v_proj_weight=parameters["v_proj_weight"], average_attn_weights=average_attn_weights,
            is_causal=is_causal, batch_first=self.batch_first)

    def _check_widths(self, query, key, value):
        """The error a newcomer meets most: inputs whose last dim is not the layer's width."""
        layout = "N, L" if self.batch_first else "L, N"
        for name, x, width in (("query", query, self.embed_dim), ("key", key, self.kdim),
                               ("value", value, self.vdim)):
            if x.ndim not in (2, 3) or x.shape[-1] != width:
                raise AssertionError(
                    f"{self._name()}: expected {name} of shape ({layout}, {width}) or (L, "
                    f"{width}) unbatched, got {x.shape}")

    def _name(self):
        widths = "" if self._qkv_same_embed_dim else f", kdim={self.kdim}, vdim={self.vdim}"
        return (f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads}"
                f"{widths}, batch_first={self.batch_first})")


def _empty(factory, *shape):
    return Parameter(creation.empty(*shape, **factory))
