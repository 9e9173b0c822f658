"""Diagonals: diagonal, diag, diag_embed, trace and block_diag, and the index pairs of a triangle
(tril_indices, triu_indices).

Taking a diagonal and putting one into zeros are each other's gradient. Like torch.diagonal,
`offset` > 0 moves above the main diagonal (toward higher dim2 index), < 0 below it.
"""
from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.dims import normalize_dim, tensor_argument
from chainrule.ops.join import cat, pad
from chainrule.ops.shape import reshape
from chainrule.ops.reduce import sum as reduce_sum
from chainrule.placement import check_placement
from chainrule.tensor import Tensor

__all__ = ["diagonal", "diag", "diag_embed", "trace", "block_diag", "tril_indices",
           "triu_indices"]


class Diagonal(Function):
    """y = the diagonal `offset` of x's (axis1, axis2) planes, as the last dim (a copy);
    dx = zeros with dy put on that diagonal"""
    save_inputs = False

    def forward(self, x, offset, axis1, axis2):
        self.in_shape, self.where = x.shape, (offset, axis1, axis2)
        return xp.diagonal(x, offset, axis1, axis2).copy()

    def backward(self, grad):
        return DiagonalScatter.apply(grad, shape=self.in_shape, where=self.where)


class DiagonalScatter(Function):
    """y = zeros(shape) with x on the diagonal (offset, axis1, axis2), x's last dim along it;
    dx = that diagonal of dy"""
    save_inputs = False

    def forward(self, x, shape, where):
        self.where = where
        offset, axis1, axis2 = where
        out = xp.zeros(shape, x.dtype)
        planes = xp.moveaxis(out, (axis1, axis2), (-2, -1))  # a view: writing it writes out
        steps = xp.arange(x.shape[-1])
        planes[..., steps + max(-offset, 0), steps + max(offset, 0)] = x
        return out

    def backward(self, grad):
        offset, axis1, axis2 = self.where
        return Diagonal.apply(grad, offset=offset, axis1=axis1, axis2=axis2)


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal `offset` of each (dim1, dim2) plane of input, as a new last dim."""
    x = tensor_argument("diagonal", input)
    if x.ndim < 2:
        raise RuntimeError(f"diagonal: expected a tensor with at least 2 dims, got shape {x.shape}")
    axis1 = normalize_dim("diagonal", dim1, x.shape)
    axis2 = normalize_dim("diagonal", dim2, x.shape)
    if axis1 == axis2:
        raise RuntimeError(f"diagonal: dim1 and dim2 cannot be the same dim ({dim1} and {dim2}, "
                           f"tensor of shape {x.shape})")
    return Diagonal.apply(x, offset=int(offset), axis1=axis1, axis2=axis2)


def diag(input, diagonal=0):
    """1-D input: the square matrix with input on its diagonal `diagonal`; 2-D input: that
    diagonal of the matrix, as a vector."""
    x = tensor_argument("diag", input)
    offset = int(diagonal)
    if x.ndim == 1:
        size = x.shape[0] + abs(offset)
        return DiagonalScatter.apply(x, shape=(size, size), where=(offset, 0, 1))
    if x.ndim == 2:
        return Diagonal.apply(x, offset=offset, axis1=0, axis2=1)
    raise RuntimeError(f"diag: expected a 1-D or 2-D tensor, got shape {x.shape}")


def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """A tensor whose (dim1, dim2) planes hold input's last dim on their diagonal `offset`,
    zeros elsewhere (the other dims are input's others, in order)."""
    x = tensor_argument("diag_embed", input)
    if x.ndim == 0:
        raise RuntimeError("diag_embed: expected a tensor with at least 1 dim, got a 0-d tensor")
    shape = x.shape[:-1]
    axis1 = normalize_dim("diag_embed", dim1, x.shape, extra=1)
    axis2 = normalize_dim("diag_embed", dim2, x.shape, extra=1)
    if axis1 == axis2:
        raise RuntimeError(f"diag_embed: dim1 and dim2 cannot be the same dim ({dim1} and {dim2}, "
                           f"input of shape {x.shape})")
    offset = int(offset)
    size = x.shape[-1] + abs(offset)
    out_shape = list(shape)
    for axis in sorted((axis1, axis2)):
        out_shape.insert(axis, size)
    return DiagonalScatter.apply(x, shape=tuple(out_shape), where=(offset, axis1, axis2))


def trace(input):
    """The sum of the main diagonal of a matrix."""
    x = tensor_argument("trace", input)
    if x.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix (2-D tensor), got shape {x.shape}")
    if x.array.dtype.kind in "biu":  # as PyTorch: the trace of integers is int64
        x = Tensor._make(x.array.astype(backend.int64))
    return reduce_sum(Diagonal.apply(x, offset=0, axis1=0, axis2=1))


def block_diag(*tensors):
    """The tensors (0-d, 1-D or 2-D: read as 1 x 1, 1 x n, m x n) down the diagonal of one
    matrix, zeros elsewhere; dtypes promote. Differentiable through pad and cat."""
    blocks = []
    for position, t in enumerate(tensors):
        tensor_argument("block_diag", t)
        if t.ndim > 2:
            raise RuntimeError(f"block_diag: input tensors must have 2 or fewer dimensions, got "
                               f"shape {t.shape} at position {position}")
        blocks.append(reshape(t, (1, -1)) if t.ndim < 2 else t)
    if not blocks:
        return Tensor._make(xp.zeros((1, 0), backend.default_float))
    dtype = _promoted([b.array.dtype for b in blocks])
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        b = b if b.array.dtype == dtype else b.to(dtype)
        rows.append(pad(b, (left, width - left - b.shape[1])))
        left += b.shape[1]
    return cat(rows, 0)


def _promoted(dtypes):
    """PyTorch's promotion of several tensors: the highest category (bool < integer < float)
    wins, and within it the widest dtype (NumPy would make int64 and float32 float64)."""
    for kinds in ("f", "iu", "b"):
        found = [d for d in dtypes if d.kind in kinds]
        if found:
            return xp.result_type(*found)


def _triangle_indices(name, numpy_indices, row, col, offset, dtype):
    row, col, offset = int(row), int(col), int(offset)
    if row < 0 or col < 0:
        raise RuntimeError(f"{name}: row and col must be non-negative, got {row} and {col}")
    rows, cols = numpy_indices(row, offset, col)
    dtype = backend.int64 if dtype is None else backend.to_dtype(dtype)
    if dtype.kind not in "iu":
        raise RuntimeError(f"{name}: dtype must be an integer type (int64 or int32), got {dtype}")
    return Tensor._make(xp.stack([rows, cols]).astype(dtype).reshape(2, -1))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, col) positions on and below diagonal `offset` of a row x col matrix, as a
    2 x N int64 tensor in row-major order."""
    check_placement("tril_indices", device, layout)
    return _triangle_indices("tril_indices", xp.tril_indices, row, col, offset, dtype)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, col) positions on and above diagonal `offset` of a row x col matrix, as a
    2 x N int64 tensor in row-major order."""
    check_placement("triu_indices", device, layout)
    return _triangle_indices("triu_indices", xp.triu_indices, row, col, offset, dtype)


TENSOR_METHODS = {"diagonal": diagonal, "diag": diag, "diag_embed": diag_embed, "trace": trace}
