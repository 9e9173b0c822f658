"""Dims as the ops receive them: checked against a shape and made non-negative in this one place, so
that every op words a bad dim the same way, as PyTorch does. Also the "ints as varargs or as one
tuple" convention of reshape, permute, flip and repeat, and the one "argument must be Tensor" check.
"""
import operator

# normalize_dim, the one dim check, lives in size.py, below Tensor (Tensor.size(dim) uses it)
from chainrule.size import normalize_dim  # noqa: F401  (re-exported: the ops import it here)
from chainrule.tensor import Tensor


def normalize_dims(name, dims, shape):
    """dims (None for all of them, an int, or a tuple or list of ints) as a tuple of non-negative
    ints in the order given; RuntimeError naming the op when a dim appears twice."""
    if dims is None:
        return tuple(range(len(shape)))
    if not isinstance(dims, (tuple, list)):
        return (normalize_dim(name, dims, shape),)
    normalized = tuple(normalize_dim(name, dim, shape) for dim in dims)
    if len(set(normalized)) != len(normalized):
        repeated = next(dim for dim in normalized if normalized.count(dim) > 1)
        raise RuntimeError(f"{name}: dim {repeated} appears more than once in dims {tuple(dims)} "
                           f"(tensor of shape {shape})")
    return normalized


def int_args(args, name=None):
    """Ints given as varargs, `x.permute(1, 0)`, or as one tuple or list, `x.permute((1, 0))`."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    try:
        return tuple(operator.index(arg) for arg in args)
    except TypeError:
        bad = next(arg for arg in args if not hasattr(type(arg), "__index__"))
        raise TypeError(f"{name or 'sizes'}: expected ints, got {bad!r} of type "
                        f"{type(bad).__name__} in {tuple(args)}") from None


def tensor_argument(name, x, what="input"):
    """x itself if it is a Tensor; else TypeError worded as PyTorch's argument parser words it."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: argument '{what}' must be Tensor, not {type(x).__name__}")
    return x
