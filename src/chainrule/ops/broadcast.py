"""Broadcasting as explicit ops: expand a tensor to a larger shape, and sum a gradient back down.
sum_to and expand also take arrays, as a plain backward's formulas hand them (Function.operands)."""
from chainrule.autograd.function import Function
from chainrule.backend import xp

__all__ = ["broadcast_to", "expand", "sum_to"]


class Expand(Function):
    """y = broadcast_to(x, shape);  dx = sum_to(dy, x.shape)"""
    save_inputs = False
    is_view = True

    def forward(self, x, shape):
        self.in_shape = x.shape
        return xp.broadcast_to(x, shape)

    def backward(self, grad):
        grad, _, _ = self.operands(grad)
        return sum_to(grad, self.in_shape)


class SumTo(Function):
    """y = x summed over the axes that broadcasting to x.shape added;  dx = broadcast_to(dy, x.shape)"""
    save_inputs = False

    def forward(self, x, shape):
        self.in_shape = x.shape
        return _sum_array_to(x, shape)

    def backward(self, grad):
        grad, _, _ = self.operands(grad)
        return expand(grad, self.in_shape)


def _sum_array_to(x, shape):
    lead = x.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, size in enumerate(shape) if size == 1 and x.shape[lead + i] != 1)
    return x.sum(axis=axes, keepdims=True).reshape(shape) if axes else x.reshape(shape)


def binary(fn, name, a, b):
    """fn(a, b) on arrays with NumPy broadcasting; a failure names the op, shapes and dtypes."""
    try:
        return fn(a, b)
    except ValueError as error:
        try:
            xp.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise RuntimeError(f"{name}: operands of shapes {a.shape} and {b.shape} cannot be "
                               "broadcast together") from None
        raise RuntimeError(f"{name}: {error} (operands {a.dtype} {a.shape} and {b.dtype} "
                           f"{b.shape})") from None


def broadcast_to(x, shape):
    shape = tuple(shape)
    if x.shape == shape:
        return x
    _check_broadcastable("broadcast_to", x.shape, shape)
    return Expand.apply(x, shape=shape)


def expand(x, *sizes):
    """PyTorch's expand: sizes of -1 keep the existing size. An array (a plain backward's) is
    broadcast to the exact shape given."""
    if type(x) is xp.ndarray or isinstance(x, xp.generic):
        return x if x.shape == sizes[0] else xp.broadcast_to(x, sizes[0])
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise RuntimeError(f"expand: the number of sizes ({len(sizes)}) must be at least the "
                           f"tensor's number of dims ({x.ndim}, shape {x.shape})")
    current = x.array.shape
    shape = tuple(current[i - lead] if size == -1 and i >= lead else size
                  for i, size in enumerate(sizes))
    if current == shape:
        return x
    if any(size < 0 for size in shape):
        raise RuntimeError(f"expand: sizes {tuple(sizes)} for a tensor of shape {x.shape}: -1 "
                           f"(keep the size) is allowed only for an existing dim, and no size "
                           f"may be negative")
    _check_broadcastable("expand", x.shape, shape)
    return Expand.apply(x, shape=shape)


def sum_to(x, shape):
    """Sum x down to `shape`, undoing a broadcast (the gradient of broadcasting). An array (a
    plain backward's) is summed as it is: its shape was checked when it was broadcast."""
    if type(x) is xp.ndarray or isinstance(x, xp.generic):
        return x if x.shape == shape else _sum_array_to(x, tuple(shape))
    shape = tuple(shape)
    if x.array.shape == shape:   # the array's tuple, not Tensor.shape's Size: a hot path
        return x
    _check_broadcastable("sum_to", shape, x.shape)
    return SumTo.apply(x, shape=shape)


def _check_broadcastable(name, small, big):
    ok = len(small) <= len(big) and all(
        s == b or s == 1 for s, b in zip(small[::-1], big[::-1]))
    if not ok:
        raise RuntimeError(f"{name}: shape {small} cannot be broadcast to shape {big}")


def expand_as(x, other):
    """x expanded to other's shape: x.expand(other.size())."""
    return expand(x, other.shape)


TENSOR_METHODS = {"expand": expand, "broadcast_to": broadcast_to, "expand_as": expand_as}
