"""Extremes: max and min (of the whole tensor, along a dim with their indices, or of two tensors),
amax and amin over dims, and argmax and argmin.

Over the whole tensor and in amax/amin, ties share the gradient equally; along a dim, the one
index returned takes it all, as in PyTorch.
"""
from collections import namedtuple

from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.compare import maximum, minimum
from chainrule.ops.reduce import all_dims, kept_shape, reduce_axes, unreduce
from chainrule.tensor import Tensor

__all__ = ["max", "min", "amax", "amin", "argmax", "argmin"]

# torch.return_types.max / .min: (values, indices), readable by name or by position
RESULT_TYPES = {name: namedtuple(name, ["values", "indices"]) for name in ("max", "min")}


class Extremum(Function):
    """y = max (or min) over axes;  dx = dy shared equally among the elements equal to y"""
    save_output = True

    def forward(self, x, axes, keepdim, largest):
        self.axes, self.kept = axes, kept_shape(x.shape, axes)
        return xp.asarray((xp.max if largest else xp.min)(x, axis=axes, keepdims=keepdim))

    def backward(self, grad):
        x = self.inputs[0]
        out = self.out.reshape(self.kept)
        hit = x.array == out
        if xp.isnan(out).any():  # a NaN maximum: the NaNs share the gradient, as in PyTorch
            hit |= xp.isnan(x.array) & xp.isnan(out)
        share = hit / hit.sum(axis=self.axes, keepdims=True)
        return unreduce(grad, self.kept) * Tensor._make(share.astype(x.dtype))


class TakeAlong(Function):
    """y = x at the given index along an axis (max/min with a dim);  dx = dy there, 0 elsewhere"""
    save_inputs = False

    def forward(self, x, indices, axis, keepdim):
        self.in_shape, self.in_dtype, self.indices, self.axis = x.shape, x.dtype, indices, axis
        self.kept = indices.shape
        if x.ndim == 0:
            return x.copy()
        values = xp.take_along_axis(x, indices, axis)
        return values if keepdim else values.squeeze(axis)

    def backward(self, grad):
        where = xp.ones(self.in_shape, self.in_dtype)
        if where.ndim:
            where[...] = 0
            xp.put_along_axis(where, self.indices, 1, self.axis)
        return unreduce(grad, self.kept) * Tensor._make(where)


# ----- helpers ------------------------------------------------------------------------------------
def single_dim(name, dim):
    """max, min, argmax and argmin take one dim (normalize_dim checks that it is an int)."""
    if isinstance(dim, (tuple, list)):
        raise TypeError(f"{name}: dim must be an int, got {dim!r} (amax/amin take several dims)")
    return dim


def check_nonempty(name, x, axes, dim):
    """max, min and their kin have no value for an empty slice (a sum has 0): refuse, as PyTorch."""
    if all_dims(dim):
        if x.numel() == 0:
            raise RuntimeError(f"{name}: cannot reduce an empty tensor (shape {x.shape}) over all "
                               "dims; specify the reduction dim")
        return
    for axis in axes:
        if x.shape[axis] == 0:
            raise IndexError(f"{name}: cannot reduce over dim {axis} of size 0 "
                             f"(tensor of shape {x.shape})")


# ----- the public functions -----------------------------------------------------------------------
def max(input, dim=None, keepdim=False):
    """max(x): the largest element; max(x, dim): (values, indices); max(x, other): maximum."""
    return extreme("max", input, dim, keepdim, largest=True)


def min(input, dim=None, keepdim=False):
    """min(x): the smallest element; min(x, dim): (values, indices); min(x, other): minimum."""
    return extreme("min", input, dim, keepdim, largest=False)


def amax(input, dim=(), keepdim=False):
    axes = reduce_axes("amax", input, dim)
    check_nonempty("amax", input, axes, dim)
    return Extremum.apply(input, axes=axes, keepdim=keepdim, largest=True)


def amin(input, dim=(), keepdim=False):
    axes = reduce_axes("amin", input, dim)
    check_nonempty("amin", input, axes, dim)
    return Extremum.apply(input, axes=axes, keepdim=keepdim, largest=False)


def argmax(input, dim=None, keepdim=False):
    return arg_extreme("argmax", input, dim, keepdim, xp.argmax)


def argmin(input, dim=None, keepdim=False):
    return arg_extreme("argmin", input, dim, keepdim, xp.argmin)


def extreme(name, x, dim, keepdim, largest):
    if isinstance(dim, Tensor):  # torch.max(a, b) is the elementwise maximum
        return (maximum if largest else minimum)(x, dim)
    if dim is None:
        if keepdim:
            raise TypeError(f"{name}: keepdim=True needs a dim")
        check_nonempty(name, x, (), None)
        return Extremum.apply(x, axes=tuple(range(x.ndim)), keepdim=False, largest=largest)
    axes = reduce_axes(name, x, single_dim(name, dim))
    check_nonempty(name, x, axes, dim)
    axis = axes[0] if axes else None
    if axis is None:  # a 0-d tensor: its only element, at index 0
        indices = xp.zeros((), backend.int64)
    else:
        indices = (xp.argmax if largest else xp.argmin)(x.array, axis=axis, keepdims=True)
    values = TakeAlong.apply(x, indices=indices, axis=axis, keepdim=keepdim)
    if not keepdim and axis is not None:
        indices = indices.squeeze(axis)
    return RESULT_TYPES[name](values, Tensor._make(indices))


def arg_extreme(name, x, dim, keepdim, find):
    """The index of the first largest (smallest) element: flat when dim is None."""
    if x.dtype == backend.bool_:
        raise RuntimeError(f"{name}: bool tensors are not supported (as in PyTorch); "
                           "convert with .long() first")
    if dim is None:
        if x.numel() == 0:
            raise IndexError(f"{name}: cannot take the {name} of an empty tensor (shape "
                             f"{x.shape}) over all dims; specify the reduction dim")
        return Tensor._make(xp.asarray(find(x.array, axis=None, keepdims=keepdim)))
    axes = reduce_axes(name, x, single_dim(name, dim))
    check_nonempty(name, x, axes, dim)
    if not axes:
        return Tensor._make(xp.zeros((), backend.int64))
    return Tensor._make(xp.asarray(find(x.array, axis=axes[0], keepdims=keepdim)))


TENSOR_METHODS = {name: globals()[name] for name in __all__}
