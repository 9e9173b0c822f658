"""embedding_bag: the sum, mean or max of the embeddings of each bag of indices, without
materialising the per-index lookups per bag: sum and mean are one product with a constant (bags x
indices) weighting matrix, max a max over the bags padded with -inf."""
from chainrule.backend import xp
from chainrule.nn.functional.linear import embedding_lookup, normalize_padding_idx
from chainrule.ops.compare import where
from chainrule.tensor import Tensor

__all__ = ["embedding_bag"]

MODES = ("sum", "mean", "max")


def _bags(input, offsets, include_last_offset):
    """(flat indices, the bag of each one (-1: none), the number of bags)."""
    indices = input.array if isinstance(input, Tensor) else xp.asarray(input)
    if indices.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: if input is 2D, then offsets has to be None, as input "
                             "is treated as a mini-batch of fixed length sequences. However, "
                             f"found offsets of shape {tuple(offsets.shape)}")
        bags, length = indices.shape
        return indices.reshape(-1), xp.repeat(xp.arange(bags), length), bags
    if indices.ndim != 1:
        raise ValueError(f"embedding_bag: input has to be 1D or 2D Tensor, but got Tensor of "
                         f"dimension {indices.ndim} (shape {indices.shape})")
    if offsets is None or offsets.ndim != 1:
        raise ValueError(f"embedding_bag: offsets has to be a 1D Tensor but got "
                         f"{None if offsets is None else tuple(offsets.shape)}")
    starts = offsets.array if isinstance(offsets, Tensor) else xp.asarray(offsets)
    if starts.size and starts[0] != 0:
        raise RuntimeError(f"embedding_bag: offsets[0] has to be 0, i.e., the first sequence in "
                           f"the mini-batch has to start from position 0. However, got "
                           f"{int(starts[0])}")
    if starts.size and (xp.any(xp.diff(starts) < 0) or starts[-1] > indices.size):
        raise RuntimeError(f"embedding_bag: offsets must be non-decreasing and at most the "
                           f"input's length {indices.size}, got {starts.tolist()}")
    end = indices.size
    if include_last_offset:
        starts, end = starts[:-1], starts[-1] if starts.size else 0
    bag = xp.searchsorted(starts, xp.arange(indices.size), side="right") - 1
    bag[xp.arange(indices.size) >= end] = -1
    return indices, bag, starts.size


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2, scale_grad_by_freq=False,
                  mode="mean", sparse=False, per_sample_weights=None, include_last_offset=False,
                  padding_idx=None):
    """out[b] = the sum, mean or max over the indices i of bag b of weight[i] (times
    per_sample_weights[i] for sum); an empty bag gives zeros; padding_idx entries are left out.
    Shape: input (B, N) with offsets None, or (T,) with offsets (B,) (bag b starts at
    offsets[b]); weight (num_embeddings, D) -> (B, D)."""
    if mode not in MODES:
        raise ValueError(f"embedding_bag: mode has to be one of {MODES}, got {mode!r}")
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(f"embedding_bag: per_sample_weights was not None. "
                                      f"per_sample_weights is only supported for mode='sum' "
                                      f"(got mode='{mode}')")
        if per_sample_weights.shape != tuple(input.shape):
            raise ValueError(f"embedding_bag: per_sample_weights (shape "
                             f"{per_sample_weights.shape}) must have the input's shape "
                             f"{tuple(input.shape)}")
        if per_sample_weights.dtype != weight.dtype:
            raise RuntimeError(f"embedding_bag: per_sample_weights ({per_sample_weights.dtype}) "
                               f"must have the weight's dtype ({weight.dtype})")
    indices, bag, bags = _bags(input, offsets, include_last_offset)
    rows = embedding_lookup("embedding_bag", Tensor._make(indices), weight, None, max_norm,
                            norm_type, scale_grad_by_freq, sparse)
    padding_idx = normalize_padding_idx("embedding_bag", padding_idx, weight.shape[0])
    member = (bag[None, :] == xp.arange(bags)[:, None])
    if padding_idx is not None:
        member &= indices[None, :] != padding_idx
    if mode == "max":
        return _bag_max(rows, member)
    matrix = member.astype(weight.array.dtype)
    if mode == "mean":
        counts = matrix.sum(1, keepdims=True)
        matrix = matrix / xp.maximum(counts, 1)
    matrix = Tensor._make(matrix)
    if per_sample_weights is not None:
        matrix = matrix * per_sample_weights.reshape(1, -1)
    return matrix.matmul(rows)


def _bag_max(rows, member):
    """The elementwise max over each bag's rows; the gradient goes to its first maximum."""
    counts = member.sum(1)
    width = max(int(counts.max()) if counts.size else 0, 1)
    # each bag's member positions, in order, padded with position 0 and masked out
    order = xp.argsort(~member, axis=1, kind="stable")[:, :width]
    valid = xp.arange(width)[None, :] < counts[:, None]
    gathered = rows[Tensor._make(xp.where(valid, order, 0).reshape(-1))]
    gathered = gathered.reshape(member.shape[0], width, rows.shape[-1])
    masked = where(Tensor._make(valid[:, :, None]), gathered, float("-inf"))
    largest = masked.max(1).values
    return where(Tensor._make((counts > 0)[:, None]), largest, 0.0)
