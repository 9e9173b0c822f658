"""The affine map y = x Wᵀ + b, and the embedding lookup y = W[i] (a linear map of one-hot rows,
computed as a row gather)."""
from chainrule.backend import xp
from chainrule.grad_mode import no_grad
from chainrule.ops.compare import where
from chainrule.ops.fused import embedding_rows
from chainrule.ops.linalg import einsum, linear
from chainrule.tensor import Tensor

__all__ = ["bilinear", "embedding", "linear", "one_hot"]


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """y[..., :] = weight[input[...], :]. Shape: (*) integer x (num_embeddings, dim) -> (*, dim).

    dweight[i] = the sum of dy over the positions where input == i (repeated indices add up);
    the row padding_idx receives no gradient. max_norm renormalizes, in place, the rows looked
    up whose norm exceeds it, as torch does."""
    return embedding_lookup("embedding", input, weight, padding_idx, max_norm, norm_type,
                            scale_grad_by_freq, sparse)


def embedding_lookup(owner, input, weight, padding_idx, max_norm, norm_type, scale_grad_by_freq,
                     sparse):
    """embedding, with errors that name `owner` (the function, or the layer that calls it)."""
    if scale_grad_by_freq or sparse:
        raise NotImplementedError(f"{owner}: scale_grad_by_freq and sparse gradients are not "
                                  "supported; gradients are dense and unscaled")
    if weight.ndim != 2:   # a 1-D table would silently give one number per index
        raise RuntimeError(f"{owner}: weight must be a 2-D (num_embeddings, embedding_dim) "
                           f"table, got shape {weight.shape}")
    indices = _checked_indices(owner, input, weight.shape[0])
    if max_norm is not None:
        _renormalize_rows(weight, indices, max_norm, norm_type)
    padding_idx = normalize_padding_idx(owner, padding_idx, weight.shape[0])
    if padding_idx is None:
        return embedding_rows(weight, indices)
    rows = weight[indices]
    # The padding row keeps its value in the forward pass but passes no gradient back: take it
    # from a detached view wherever the index is padding_idx.
    padding = Tensor._make((indices == padding_idx)[..., None])
    return where(padding, weight.detach()[padding_idx], rows)


def normalize_padding_idx(owner, padding_idx, num_embeddings):
    """padding_idx as a row number (negative counts from the end), checked against the table."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(f"{owner}: padding_idx {padding_idx} must be within num_embeddings="
                         f"{num_embeddings} (in [{-num_embeddings}, {num_embeddings - 1}])")
    return padding_idx % num_embeddings


def _checked_indices(owner, input, num_embeddings):
    indices = input.array if isinstance(input, Tensor) else xp.asarray(input)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"{owner}: indices must be an integer tensor (int64 or int32), got "
                        f"{indices.dtype}")
    if indices.size and (indices.min() < 0 or indices.max() >= num_embeddings):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise IndexError(f"{owner}: index {bad} is out of range for num_embeddings="
                         f"{num_embeddings} (valid indices are 0 to {num_embeddings - 1})")
    return indices


def _renormalize_rows(weight, indices, max_norm, norm_type):
    """Rows looked up whose norm exceeds max_norm are scaled to max_norm (torch's
    embedding_renorm_, with its 1e-7 guard), in place and outside the graph."""
    rows = xp.unique(indices)
    with no_grad():
        norms = xp.linalg.norm(weight.array[rows], ord=norm_type, axis=-1)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight.array[rows] *= scale[:, None].astype(weight.dtype)
        weight._version[0] += 1


def one_hot(tensor, num_classes=-1):
    """y[..., c] = 1 where tensor[...] == c, else 0 (int64; no gradient): the rows that a linear
    layer turns into embeddings. num_classes=-1 takes the largest class + 1."""
    if tensor.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot: expected an integer tensor of class indices, got "
                           f"{tensor.dtype} of shape {tensor.shape}")
    labels = tensor.array
    if num_classes < 0:
        if labels.size == 0:
            raise RuntimeError("one_hot: cannot infer num_classes from an empty tensor")
        num_classes = int(labels.max()) + 1
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise RuntimeError(f"one_hot: class values must be in [0, {num_classes}), got "
                           f"[{labels.min()}, {labels.max()}]")
    return Tensor._make((labels[..., None] == xp.arange(num_classes)).astype(xp.int64))


def bilinear(input1, input2, weight, bias=None):
    """y_o = Σ_ij x1_i W_oij x2_j + b_o. Shape: (*, in1) and (*, in2) with weight
    (out, in1, in2) -> (*, out)."""
    _check_bilinear(input1, input2, weight, bias)
    batch = input1.shape[:-1]
    output = einsum("ni,oij,nj->no", input1.reshape(-1, weight.shape[1]), weight,
                    input2.reshape(-1, weight.shape[2]))
    if bias is not None:
        output = output + bias
    return output.reshape(batch + (weight.shape[0],))


def _check_bilinear(input1, input2, weight, bias):
    shapes = (f"input1 {input1.shape}, input2 {input2.shape}, weight {weight.shape}"
              + ("" if bias is None else f", bias {bias.shape}"))
    if (input1.ndim == 0 or input1.ndim != input2.ndim or weight.ndim != 3
            or input1.shape[:-1] != input2.shape[:-1]
            or (input1.shape[-1], input2.shape[-1]) != weight.shape[1:]
            or (bias is not None and bias.shape != weight.shape[:1])):
        raise RuntimeError(f"bilinear: expected input1 (*, in1), input2 (*, in2) with the same "
                           f"batch dims, weight (out, in1, in2) and bias (out,); got {shapes}")
    tensors = [input1, input2, weight] + ([] if bias is None else [bias])
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError(f"bilinear: all tensors must have the same dtype, got "
                           f"{', '.join(str(t.dtype) for t in tensors)} ({shapes})")
