"""Size: a tensor's shape, as torch.Size: a tuple of ints (it compares, indexes and unpacks as
one) with numel(). Tensor.shape and Tensor.size() return it.

Also the one dim check, normalize_dim: a dim made non-negative against a shape, worded the same
way by every op (chainrule.ops.dims re-exports it). It lives here, below Tensor, because
Tensor.size(dim) needs it too.
"""
import operator


class Size(tuple):
    """The sizes of a tensor's dimensions. repr() names it, `chainrule.Size([2, 3])`, as torch's
    does; str() is the plain tuple, `(2, 3)`, so that shapes inside error messages stay short.
    A slice is a plain tuple (torch gives a Size): indexing stays as fast as a tuple's."""
    __slots__ = ()

    def __new__(cls, sizes=()):
        sizes = tuple(sizes)
        for size in sizes:
            if isinstance(size, bool) or not hasattr(size, "__index__"):
                raise TypeError(f"Size: expected a sequence of ints, got {type(size).__name__} "
                                f"{size!r} in {sizes!r}")
        return tuple.__new__(cls, (int(size) for size in sizes))

    def numel(self):
        """The number of elements a tensor of this shape holds (1 for `Size([])`)."""
        count = 1
        for size in self:
            count *= size
        return count

    def __add__(self, other):
        return tuple.__new__(Size, tuple.__add__(self, other))

    def __repr__(self):
        return f"chainrule.Size({list(self)})"

    __str__ = tuple.__repr__

    def __reduce__(self):
        return Size, (tuple(self),)


def as_size(shape):
    """The fast path Tensor uses: the array's shape (a tuple of ints) as a Size, unchecked."""
    return tuple.__new__(Size, shape)


def normalize_dim(name, dim, shape, extra=0):
    """dim as a non-negative int for a tensor of this shape (with `extra` dims more, for the ops
    that insert one); TypeError or IndexError naming the op, the dim and the shape."""
    if type(dim) is not int:
        dim = _as_int(name, dim)
    ndim = len(shape) + extra or 1  # a 0-d tensor accepts dim 0 and -1, as in PyTorch
    if not -ndim <= dim < ndim:
        raise IndexError(f"{name}: Dimension out of range (expected to be in range of [{-ndim}, "
                         f"{ndim - 1}], but got {dim}) for a tensor of shape {shape}")
    return dim % ndim


def _as_int(name, dim):
    """NumPy integers and 0-d integer tensors count as ints; bools and floats do not."""
    if not isinstance(dim, bool):
        try:
            return operator.index(dim)
        except TypeError:
            pass
    raise TypeError(f"{name}: dim must be an int, got {dim!r}")
