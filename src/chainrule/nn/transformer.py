"""Transformer layers (Vaswani et al. 2017, "Attention Is All You Need", §3.1): the encoder and
decoder layers, their stacks, and the whole encoder-decoder Transformer. Submodules carry torch's
names (self_attn, multihead_attn, linear1, linear2, norm1..3, dropout1..3), so torch's state_dicts
load as they are."""
import copy

from chainrule import backend
from chainrule.backend import xp
from chainrule.nn import init
from chainrule.nn.attention import MultiheadAttention
from chainrule.nn.container import ModuleList
from chainrule.nn.dropout import Dropout
from chainrule.nn.functional.activation import gelu, relu
from chainrule.nn.linear import Linear
from chainrule.nn.module import Module
from chainrule.nn.norm import LayerNorm
from chainrule.nn.parameter import factory_kwargs
from chainrule.placement import check_device
from chainrule.tensor import Tensor


class _TransformerLayer(Module):
    """What the encoder and decoder layers share: self-attention (and, in the decoder, attention
    to the memory), the position-wise feed-forward network, and one LayerNorm and one Dropout per
    block, each block inside a residual connection with its LayerNorm: after the sum
    (norm_first=False, the paper's "post-norm") or on the block's input (norm_first=True,
    "pre-norm", which trains deep stacks more stably: Xiong et al. 2020, "On Layer Normalization
    in the Transformer"). Submodules are registered in torch's order, so state_dict keys match."""

    def __init__(self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                 batch_first, norm_first, bias, device, dtype, *, cross_attention):
        super().__init__()
        factory = factory_kwargs(type(self).__name__, device, dtype)
        attention = dict(dropout=dropout, bias=bias, batch_first=batch_first, **factory)
        self.self_attn = MultiheadAttention(d_model, nhead, **attention)
        if cross_attention:
            self.multihead_attn = MultiheadAttention(d_model, nhead, **attention)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **factory)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **factory)
        self.norm_first = norm_first
        # norm1..normK, then dropout1..dropoutK: one of each per residual block, named as torch
        blocks = 3 if cross_attention else 2
        for k in range(1, blocks + 1):
            setattr(self, f"norm{k}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory))
        for k in range(1, blocks + 1):
            setattr(self, f"dropout{k}", Dropout(dropout))
        self.activation = _activation(activation)

    def _residual(self, x, norm, block, *args):
        """x + block(x) with norm placed by norm_first: on the block's input, or on the sum."""
        if self.norm_first:
            return x + block(norm(x), *args)
        return norm(x + block(x, *args))

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=bool(is_causal))[0]
        return self.dropout1(x)

    def _ff_block(self, x, dropout):
        """linear2(dropout(activation(linear1(x)))), then the block's own dropout."""
        return dropout(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def _name(self):
        attention = self.self_attn
        return (f"{type(self).__name__}(d_model={attention.embed_dim}, nhead="
                f"{attention.num_heads}, batch_first={attention.batch_first}, "
                f"norm_first={self.norm_first})")

    def _check_width(self, name, x):
        """The layer's own error for inputs of the wrong width (norm_first would otherwise let
        LayerNorm report it, without naming the layer)."""
        width = self.self_attn.embed_dim
        if x.ndim not in (2, 3) or x.shape[-1] != width:
            layout = "N, L" if self.self_attn.batch_first else "L, N"
            raise RuntimeError(f"{self._name()}: expected {name} of shape ({layout}, {width}) or "
                               f"(L, {width}) unbatched, got {x.shape}")


class TransformerEncoderLayer(_TransformerLayer):
    """Self-attention, then a position-wise feed-forward network (linear1, activation, linear2),
    each inside a residual connection with a LayerNorm: after the sum (norm_first=False, the
    paper's "post-norm") or on the block's input (norm_first=True, "pre-norm").

    Args: d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=relu ("relu", "gelu" or a
    callable), layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, device=None,
    dtype=None.
    Shape: src (S, N, d_model), (N, S, d_model) with batch_first, or (S, d_model) unbatched ->
    the same shape; src_mask (S, S) or (N·nhead, S, S); src_key_padding_mask (N, S) or (S,)
    (masks as in MultiheadAttention: True or -inf where attention is not allowed).
    Gradient: its sublayers' ops (nn.MultiheadAttention, nn.Linear, nn.LayerNorm).
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=relu,
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                         batch_first, norm_first, bias, device, dtype, cross_attention=False)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        self._check_width("src", src)
        x = self._residual(src, self.norm1, self._sa_block, src_mask, src_key_padding_mask,
                           is_causal)
        return self._residual(x, self.norm2, self._ff_block, self.dropout2)


class TransformerDecoderLayer(_TransformerLayer):
    """Masked self-attention over the target, attention from the target to the encoder's output
    (memory), then a feed-forward network; each inside a residual connection with a LayerNorm,
    placed as in TransformerEncoderLayer (norm_first).

    Args: d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=relu ("relu", "gelu" or a
    callable), layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True, device=None,
    dtype=None.
    Shape: tgt (T, N, d_model), memory (S, N, d_model), or (N, ·, d_model) with batch_first, or
    unbatched (T, d_model), (S, d_model) -> tgt's shape; tgt_mask (T, T) or (N·nhead, T, T);
    memory_mask (T, S) or (N·nhead, T, S); tgt_key_padding_mask (N, T); memory_key_padding_mask
    (N, S).
    Gradient: its sublayers' ops (nn.MultiheadAttention, nn.Linear, nn.LayerNorm).
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation=relu,
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                         batch_first, norm_first, bias, device, dtype, cross_attention=True)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        self._check_width("tgt", tgt)
        self._check_width("memory", memory)
        x = self._residual(tgt, self.norm1, self._sa_block, tgt_mask, tgt_key_padding_mask,
                           tgt_is_causal)
        x = self._residual(x, self.norm2, self._mha_block, memory, memory_mask,
                           memory_key_padding_mask, memory_is_causal)
        return self._residual(x, self.norm3, self._ff_block, self.dropout3)

    def _mha_block(self, x, memory, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, memory, memory, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, need_weights=False,
                                is_causal=bool(is_causal))[0]
        return self.dropout2(x)


class TransformerEncoder(Module):
    """num_layers independent copies of encoder_layer (deep copies, as torch makes), applied in
    turn, then `norm` if given.

    Args: encoder_layer, num_layers, norm=None; enable_nested_tensor and mask_check are accepted
    for torch's signature and ignored (there is no nested-tensor fast path here). One visible
    difference follows: in eval mode under no_grad with a src_key_padding_mask, torch's fast path
    returns 0 at padded positions, while here they hold the values the layers compute (every
    non-padded position agrees; pool with the mask, as one should anyway).
    Shape: as TransformerEncoderLayer; mask is its src_mask.
    Gradient: its sublayers' ops (nn.TransformerEncoderLayer, nn.LayerNorm).
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(encoder_layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm
        self.enable_nested_tensor, self.mask_check = enable_nested_tensor, mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        output = src
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                           is_causal=bool(is_causal))
        return output if self.norm is None else self.norm(output)


class TransformerDecoder(Module):
    """num_layers deep copies of decoder_layer, applied in turn to the target with the same
    memory, then `norm` if given.

    Args: decoder_layer, num_layers, norm=None.
    Shape: as TransformerDecoderLayer.
    Gradient: its sublayers' ops (nn.TransformerDecoderLayer, nn.LayerNorm).
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = ModuleList([copy.deepcopy(decoder_layer) for _ in range(num_layers)])
        self.num_layers, self.norm = num_layers, norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        output = tgt
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=bool(tgt_is_causal),
                           memory_is_causal=memory_is_causal)
        return output if self.norm is None else self.norm(output)


class Transformer(Module):
    """The encoder-decoder model of Vaswani et al. (2017): an encoder stack reads src into a
    memory, a decoder stack reads tgt attending to that memory. Each stack ends with a LayerNorm.
    Every weight matrix is then re-drawn xavier_uniform_, as torch does.

    Args: d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6, dim_feedforward=2048,
    dropout=0.1, activation=relu, custom_encoder=None, custom_decoder=None, layer_norm_eps=1e-5,
    batch_first=False, norm_first=False, bias=True, device=None, dtype=None.
    Shape: src (S, N, d_model), tgt (T, N, d_model) ((N, ·, d_model) with batch_first, or
    unbatched (S, d_model), (T, d_model)) -> (T, N, d_model); masks as in the layers (src_mask
    (S, S), tgt_mask (T, T), memory_mask (T, S), key padding masks (N, S) / (N, T)).
    Gradient: its sublayers' ops (nn.TransformerEncoder, nn.TransformerDecoder).
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation=relu, custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=False, norm_first=False,
                 bias=True, device=None, dtype=None):
        super().__init__()
        factory = factory_kwargs("Transformer", device, dtype)
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                      batch_first, norm_first, bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(*layer_args, **factory), num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(*layer_args, **factory), num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **factory))
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        batch = 0 if self.batch_first else 1
        if src.ndim == 3 and (tgt.ndim != 3 or src.shape[batch] != tgt.shape[batch]):
            raise RuntimeError(f"{self._name()}: the batch number of src and tgt must be equal, "
                               f"got src {src.shape} and tgt {tgt.shape}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError(f"{self._name()}: the feature number of src and tgt must be equal "
                               f"to d_model={self.d_model}, got src {src.shape} and tgt "
                               f"{tgt.shape}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """The causal mask (sz, sz): -inf above the diagonal (a position may not attend later
        ones), 0 on and below it. Float, of dtype (float32 unless given), on the CPU."""
        check_device(device, "generate_square_subsequent_mask")
        dtype = backend.default_float if dtype is None else backend.to_dtype(dtype)
        return Tensor._make(xp.triu(xp.full((sz, sz), -xp.inf, dtype=dtype), 1))

    def _name(self):
        return (f"Transformer(d_model={self.d_model}, nhead={self.nhead}, "
                f"batch_first={self.batch_first})")


def _activation(activation):
    if activation == "relu":
        return relu
    if activation == "gelu":
        return gelu
    if isinstance(activation, str) or not callable(activation):
        raise RuntimeError(f"activation should be relu/gelu or a callable, not {activation!r}")
    return activation
