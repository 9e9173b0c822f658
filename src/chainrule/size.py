"""Size: a tensor's shape, as torch.Size: a tuple of ints (it compares, indexes and unpacks as
one) with numel(). Tensor.shape and Tensor.size() return it."""


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
