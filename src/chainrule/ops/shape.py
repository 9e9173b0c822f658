"""Shape ops: reshape and its spellings (view, flatten, squeeze ...), permutations of dims, and
copies (clone, contiguous). Joining and cutting tensors is in join.py.

Reshapes and permutations are views, as NumPy gives them; a reshape that NumPy cannot do without a
copy becomes a separate op that copies, so that only true views share the version counter.
"""
import math

from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.grad_mode import state
from chainrule.ops.dims import int_args, normalize_dim, normalize_dims

__all__ = ["reshape", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose", "swapaxes",
           "swapdims", "permute", "movedim", "t", "clone"]


class View(Function):
    """y = x reshaped, sharing memory;  dx = dy reshaped to x.shape"""
    save_inputs = False
    is_view = True

    def forward(self, x, shape):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, grad):
        grad, _, _ = self.operands(grad)
        return reshape_to(grad, self.in_shape)


class Reshape(View):
    """y = a reshaped copy of x (its strides allow no view);  dx = dy reshaped to x.shape"""
    is_view = False


class Permute(Function):
    """y = x with its dims reordered by p (a view);  dx = dy permuted by p's inverse"""
    save_inputs = False
    is_view = True

    def forward(self, x, dims):
        self.dims = dims
        return x.transpose(dims)

    def backward(self, grad):
        inverse = tuple(sorted(range(len(self.dims)), key=self.dims.__getitem__))
        if state.enabled:
            return Permute.apply(grad, dims=inverse)
        return grad.array.transpose(inverse)


class Clone(Function):
    """y = a C-contiguous copy of x;  dx = dy"""
    save_inputs = False

    def forward(self, x):
        return x.copy()

    def backward(self, grad):
        return grad


# ----- reshaping ----------------------------------------------------------------------------------
def _infer_shape(name, in_shape, requested):
    """requested with its one -1 filled in; RuntimeError naming both shapes if the counts differ
    (or if -1 is ambiguous: a request with a 0 in it)."""
    count, known = math.prod(in_shape), math.prod(n for n in requested if n != -1)
    free = [i for i, n in enumerate(requested) if n == -1]
    shape = requested
    if len(free) == 1 and known and count % known == 0:
        shape = shape[:free[0]] + (count // known,) + shape[free[0] + 1:]
    if len(free) > 1 or min(shape, default=0) < 0 or math.prod(shape) != count:
        raise RuntimeError(f"{name}: cannot reshape a tensor of shape {in_shape} ({count} "
                           f"elements) into shape {requested}")
    return shape


def reshape_to(x, shape):
    """x with this exact shape (no -1, as many elements): a view when NumPy can make one, else a
    copy. The ops use it where the shape is known to be right. An array (a plain backward's) is
    reshaped by NumPy."""
    if type(x) is xp.ndarray or isinstance(x, xp.generic):
        return x.reshape(shape)
    if x.array.shape == shape:
        return x
    array = x.array
    if array.flags.c_contiguous or _viewable(array, shape):
        return View.apply(x, shape=shape)
    return Reshape.apply(x, shape=shape)


def _viewable(array, shape):
    """Whether NumPy can reshape a non-contiguous array without a copy (it depends on the strides;
    C-contiguous memory always can)."""
    try:
        array.reshape(shape, copy=False)
    except ValueError:
        return False
    return True


def reshape(x, *shape):
    """x with a new shape of as many elements; one size may be -1 (inferred)."""
    return reshape_to(x, _infer_shape("reshape", x.shape, int_args(shape, "reshape")))


def view(x, *shape):
    """reshape that must not copy, as PyTorch's view: an error if x's strides allow no view."""
    if len(shape) == 1 and isinstance(shape[0], backend.DType):
        raise TypeError(f"view: viewing the bits as another dtype (view({shape[0]})) is not "
                        f"supported; convert the values with .to({shape[0]})")
    shape = _infer_shape("view", x.shape, int_args(shape, "view"))
    if x.shape != shape and not x.array.flags.c_contiguous and not _viewable(x.array, shape):
        raise RuntimeError(f"view: a tensor of shape {x.shape} and strides {x.array.strides} "
                           f"cannot be viewed as shape {shape}; use .reshape(...) instead")
    return reshape_to(x, shape)


def flatten(x, start_dim=0, end_dim=-1):
    """Dims start_dim..end_dim merged into one."""
    if x.ndim == 0:
        return reshape_to(x, (1,))
    start = normalize_dim("flatten", start_dim, x.shape)
    end = normalize_dim("flatten", end_dim, x.shape)
    if start > end:
        raise RuntimeError(f"flatten: start_dim ({start_dim}) cannot come after end_dim "
                           f"({end_dim}) for a tensor of shape {x.shape}")
    return reshape_to(x, x.shape[:start] + (math.prod(x.shape[start:end + 1]),) + x.shape[end + 1:])


def unflatten(x, dim, sizes):
    """Dim `dim` split into `sizes` (one may be -1)."""
    dim = normalize_dim("unflatten", dim, x.shape)
    sizes = _infer_shape("unflatten", (x.shape[dim],), int_args((sizes,)))
    return reshape_to(x, x.shape[:dim] + sizes + x.shape[dim + 1:])


def squeeze(x, dim=None):
    """x without size-1 dims: all of them, or those of `dim` (an int or tuple) that are size 1."""
    dims = normalize_dims("squeeze", dim, x.shape)
    shape = tuple(n for i, n in enumerate(x.shape) if not (i in dims and n == 1))
    return reshape_to(x, shape)


def unsqueeze(x, dim):
    """x with a size-1 dim inserted at `dim` (counted in the result)."""
    dim = normalize_dim("unsqueeze", dim, x.shape, extra=1)
    return reshape_to(x, x.shape[:dim] + (1,) + x.shape[dim:])


# ----- permuting ----------------------------------------------------------------------------------
def permute(x, *dims):
    """x with dim i of the result being dim dims[i] of x (a view)."""
    dims = normalize_dims("permute", int_args(dims, "permute"), x.shape)
    if len(dims) != x.ndim:
        raise RuntimeError(f"permute: dims {dims} are not a permutation of the dims of a tensor "
                           f"of shape {x.shape}")
    if dims == tuple(range(x.ndim)):
        return x
    return Permute.apply(x, dims=dims)


def transpose(x, dim0, dim1):
    """x with dims dim0 and dim1 swapped (a view)."""
    shape = x.shape
    dim0, dim1 = normalize_dim("transpose", dim0, shape), normalize_dim("transpose", dim1, shape)
    if dim0 == dim1 or x.ndim < 2:
        return x
    dims = list(range(x.ndim))
    dims[dim0], dims[dim1] = dim1, dim0
    return Permute.apply(x, dims=tuple(dims))


swapaxes = swapdims = transpose


def t(x):
    """The transpose of a matrix; 0-d and 1-d tensors come back as they are."""
    if x.ndim > 2:
        raise RuntimeError(f"t: expects a tensor with <= 2 dims, got shape {x.shape}")
    return transpose(x, 0, -1) if x.ndim == 2 else x


def matrix_transpose(x):
    """x.mT: x with its last two dims swapped (a view), the transpose of each matrix in a batch."""
    if type(x) is xp.ndarray or isinstance(x, xp.generic):   # a plain backward's array
        return x.swapaxes(-1, -2)
    ndim = x.ndim
    if ndim < 2:
        raise RuntimeError(f"mT: needs a matrix or a batch of matrices, got shape {x.shape}")
    return Permute.apply(x, dims=tuple(range(ndim - 2)) + (ndim - 1, ndim - 2))


def movedim(x, source, destination):
    """x with dims `source` moved to positions `destination` (ints or tuples), the rest in order."""
    source = normalize_dims("movedim", source, x.shape)
    destination = normalize_dims("movedim", destination, x.shape)
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: source {source} and destination {destination} must have "
                           "the same number of dims")
    rest = iter(d for d in range(x.ndim) if d not in source)
    placed = dict(zip(destination, source))
    return permute(x, [placed[i] if i in placed else next(rest) for i in range(x.ndim)])


# ----- copying -----------------------------------------------------------------------------------
def clone(x):
    """A copy of x that records the gradient (the identity)."""
    return Clone.apply(x)


def contiguous(x):
    """x itself when its memory is already C-ordered, else a C-ordered copy."""
    return x if x.array.flags.c_contiguous else Clone.apply(x)


def _reversed_dims(x):
    """x.T: x with all its dims in reverse order (torch deprecates it for ndim other than 2)."""
    return permute(x, tuple(reversed(range(x.ndim))))


def view_as(x, other):
    """x viewed with other's shape: x.view(other.size())."""
    return view(x, other.shape)


def reshape_as(x, other):
    """x reshaped to other's shape: x.reshape(other.size())."""
    return reshape(x, other.shape)


TENSOR_METHODS = {
    "reshape": reshape, "view": view, "flatten": flatten, "unflatten": unflatten,
    "squeeze": squeeze, "unsqueeze": unsqueeze, "permute": permute, "transpose": transpose,
    "swapaxes": swapaxes, "swapdims": swapdims, "t": t, "movedim": movedim,
    "T": property(_reversed_dims),
    "mT": property(matrix_transpose),
    "view_as": view_as, "reshape_as": reshape_as,
    "clone": clone, "contiguous": contiguous,
}
