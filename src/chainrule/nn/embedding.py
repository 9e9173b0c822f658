"""Embedding: a learned table of vectors, one row per index (words, tokens, positions);
EmbeddingBag: the sum, mean or max of the rows of each bag of indices."""
from chainrule import creation
from chainrule.grad_mode import no_grad
from chainrule.nn import init
from chainrule.nn.functional.embedding_bag import embedding_bag
from chainrule.nn.functional.linear import embedding_lookup, normalize_padding_idx
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter, factory_kwargs


def _make_table(layer, owner, _weight, factory, requires_grad=True):
    """layer.weight: `_weight` if given (checked against the layer's shape), else a new table
    made with the layer's factory keywords and initialized by layer.reset_parameters()."""
    shape = (layer.num_embeddings, layer.embedding_dim)
    if _weight is None:
        layer.weight = Parameter(creation.empty(*shape, **factory), requires_grad=requires_grad)
        layer.reset_parameters()
        return
    if tuple(_weight.shape) != shape:
        raise ValueError(f"{owner}: _weight has shape {tuple(_weight.shape)}, expected "
                         f"({shape[0]}, {shape[1]})")
    layer.weight = Parameter(_weight, requires_grad=requires_grad)


class Embedding(Module):
    """y = weight[input]: the row of the table for each index.

    Args:
        num_embeddings: the number of rows (the vocabulary size).
        embedding_dim: the length of each row.
        padding_idx: a row initialized to zeros that receives no gradient (negative counts from
            the end), for the padding token.
        max_norm: rows looked up whose norm_type-norm exceeds it are rescaled to it, in place.
        norm_type: the p of that norm (default 2).
        _weight: a (num_embeddings, embedding_dim) tensor to use as the table.
        _freeze: keep the table fixed (requires_grad=False).
        device, dtype: where and in which floating dtype the table is made.

    Shape: input (*) of integer indices in [0, num_embeddings) -> output (*, embedding_dim).

    Initialized as in torch: weight ~ N(0, 1), the padding row zero.
    Gradient: nn.functional.embedding, one fused op: ops.fused.EmbeddingFunction (with a
    padding_idx, composed of ops.index.Index).
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, max_norm=None,
                 norm_type=2.0, scale_grad_by_freq=False, sparse=False, _weight=None,
                 _freeze=False, device=None, dtype=None):
        super().__init__()
        factory = factory_kwargs("Embedding", device, dtype)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.padding_idx = normalize_padding_idx("Embedding", padding_idx, num_embeddings)
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        _make_table(self, "Embedding", _weight, factory, requires_grad=not _freeze)

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx] = 0

    def forward(self, input):
        return embedding_lookup(self, input, self.weight, self.padding_idx, self.max_norm,
                                self.norm_type, self.scale_grad_by_freq, self.sparse)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            text += ", sparse=True"
        return text

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None, max_norm=None,
                        norm_type=2.0, scale_grad_by_freq=False, sparse=False):
        """An Embedding whose table is `embeddings` (2-D), fixed unless freeze=False."""
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: embeddings must be 2-D, got shape "
                             f"{tuple(embeddings.shape)}")
        rows, dim = embeddings.shape
        return cls(rows, dim, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse,
                   _weight=embeddings, _freeze=freeze)


class EmbeddingBag(Module):
    """The sum, mean or max of the table's rows for each bag of indices, without forming the
    per-index rows per bag.

    Args:
        num_embeddings, embedding_dim: the table's shape.
        max_norm, norm_type: as in Embedding.
        mode: "sum", "mean" (default) or "max" over each bag.
        _weight: a (num_embeddings, embedding_dim) tensor to use as the table.
        include_last_offset: offsets has one more entry, the end of the last bag.
        padding_idx: a row initialized to zeros and left out of every bag.
        device, dtype: where and in which floating dtype the table is made.

    Shape: forward(input, offsets=None, per_sample_weights=None): input (B, N) with offsets None,
    or (T,) with offsets (B,) giving where each bag starts; per_sample_weights of input's shape
    (mode "sum" only) -> output (B, embedding_dim). Initialized as in torch: weight ~ N(0, 1).
    Gradient: nn.functional.embedding_bag, composed of ops.fused.EmbeddingFunction and, in modes
    "sum" and "mean", ops.linalg.MatMul (a bag matrix), in mode "max" ops.extremum.TakeAlong.
    """

    def __init__(self, num_embeddings, embedding_dim, max_norm=None, norm_type=2.0,
                 scale_grad_by_freq=False, mode="mean", sparse=False, _weight=None,
                 include_last_offset=False, padding_idx=None, device=None, dtype=None):
        super().__init__()
        factory = factory_kwargs("EmbeddingBag", device, dtype)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, norm_type
        self.scale_grad_by_freq, self.mode, self.sparse = scale_grad_by_freq, mode, sparse
        self.include_last_offset = include_last_offset
        self.padding_idx = normalize_padding_idx("EmbeddingBag", padding_idx, num_embeddings)
        _make_table(self, "EmbeddingBag", _weight, factory)

    reset_parameters = Embedding.reset_parameters

    def forward(self, input, offsets=None, per_sample_weights=None):
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type,
                             self.scale_grad_by_freq, self.mode, self.sparse,
                             per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self):
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            text += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        text += f", mode='{self.mode}'"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, max_norm=None, norm_type=2.0,
                        scale_grad_by_freq=False, mode="mean", sparse=False,
                        include_last_offset=False, padding_idx=None):
        """An EmbeddingBag whose table is `embeddings` (2-D), fixed unless freeze=False."""
        if embeddings.ndim != 2:
            raise ValueError(f"EmbeddingBag.from_pretrained: embeddings must be 2-D, got shape "
                             f"{tuple(embeddings.shape)}")
        rows, dim = embeddings.shape
        bag = cls(rows, dim, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings,
                  include_last_offset, padding_idx)
        bag.weight.requires_grad_(not freeze)
        return bag
