"""In-place forms of the ops, `x.name_(...)`: each one is `x._update("name_", lambda t:
t.name(...))`, so it writes into x's memory when nothing is recorded and rebinds x to the
recorded result otherwise (Tensor._update), bumping the version counter either way.

The shape-changing forms (t_, transpose_, swapdims_, swapaxes_, squeeze_, unsqueeze_) change
which view of its memory x is, as torch's do: x becomes the view and its version bumps
(resize_ and resize_as_, which may reallocate, are not provided). apply_ and map_ run a Python
callable over the entries, unrecorded, as torch's.
"""
from chainrule.grad_mode import state
from chainrule.backend import xp
from chainrule.ops.dims import tensor_argument
from chainrule.tensor import Tensor

__all__ = ["abs_", "acos_", "asin_", "atan_", "ceil_", "clamp_", "clamp_min_", "clamp_max_",
           "clip_", "cos_", "cosh_", "deg2rad_", "erf_", "erfc_", "exp_", "exp2_", "expm1_",
           "fill_", "fix_", "floor_", "frac_", "log_", "log10_", "log1p_", "log2_", "logit_",
           "neg_", "negative_", "rad2deg_", "reciprocal_", "relu_", "round_", "rsqrt_",
           "sigmoid_", "sin_", "sinc_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_",
           "xlogy_", "zero_", "i0_", "gcd_", "lcm_", "ldexp_", "nan_to_num_", "index_put_"]

# in-place forms whose out-of-place method has the same name without the trailing underscore
_SAME_SHAPE = (
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "abs", "absolute",
    "neg", "negative", "reciprocal", "square", "sign", "sgn", "pow", "sigmoid", "tanh", "relu",
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "asinh", "acosh",
    "atanh", "erf", "clamp_min", "clamp_max", "clip", "lerp", "masked_fill", "masked_scatter",
    "index_fill", "index_add", "index_copy", "scatter", "scatter_add", "scatter_reduce", "put",
    "addcmul", "addcdiv", "addmm", "addmv", "addbmm", "baddbmm", "nan_to_num", "copysign",
    "heaviside", "hypot", "float_power",
    "true_divide", "tril", "triu", "deg2rad", "rad2deg", "logit", "erfc", "erfinv", "lgamma",
    "digamma", "xlogy", "cumsum", "cumprod", "eq", "ne", "lt", "le", "gt", "ge",
    "logical_not", "logical_and", "logical_or", "logical_xor",
    "subtract", "multiply", "divide", "arctan2", "sinc", "index_put", "bitwise_not",
    "bitwise_left_shift", "bitwise_right_shift", "gcd", "lcm", "index_reduce", "i0", "ldexp",
    "floor", "ceil", "trunc", "fix", "round", "frac", "floor_divide", "remainder", "fmod",
)
_SHAPE_CHANGING = ("t", "transpose", "swapdims", "swapaxes", "squeeze", "unsqueeze")


def _in_place(name):
    in_place = name + "_"

    def method(x, *args, **kwargs):
        out_of_place = getattr(Tensor, name, None)
        if out_of_place is None:
            raise NotImplementedError(f"{in_place}: {name} is not implemented in chainrule")
        return x._update(in_place, lambda t: out_of_place(t, *args, **kwargs))
    method.__name__ = in_place
    method.__doc__ = f"x.{name}(...) written into x (in place)."
    return method


def _rebind_in_place(name):
    """x becomes x.name(...): a view of the same memory with another shape (t_, squeeze_ ...)."""
    in_place = name + "_"

    def method(x, *args, **kwargs):
        out_of_place = getattr(Tensor, name)
        if not state.enabled or not x.requires_grad:
            new = out_of_place(x, *args, **kwargs)
            x.array = new.array
            x._version[0] += 1
            return x
        if x.grad_fn is None:
            raise RuntimeError(f"{in_place}: a leaf tensor that requires grad (shape {x.shape}) "
                               "cannot be changed in place while recording; wrap the update in "
                               "`with chainrule.no_grad():`")
        alias = Tensor._make(x.array)   # the node must hold the old x, not the rebound one
        alias._version, alias.grad_fn, alias._requires_grad = x._version, x.grad_fn, True
        new = out_of_place(alias, *args, **kwargs)
        x.array, x.grad_fn = new.array, new.grad_fn
        x._version[0] += 1
        return x
    method.__name__ = in_place
    method.__doc__ = f"x becomes x.{name}(...), a view of its own memory (in place)."
    return method


def fill_diagonal_(x, fill_value, wrap=False):
    """x with its main diagonal (i, i, ..., i) set to fill_value, in place, as torch's."""
    if x.ndim < 2:
        raise RuntimeError(f"fill_diagonal_: the tensor must have at least 2 dims, got shape "
                           f"{x.shape}")
    if x.ndim > 2 and len(set(x.shape)) != 1:
        raise RuntimeError(f"fill_diagonal_: all dims must have the same length when there are "
                           f"more than 2, got shape {x.shape}")
    if x.ndim == 2 and wrap:
        # torch steps N + 1 through the flat memory: the diagonal restarts after a blank row
        flat = xp.arange(0, x.array.size, x.shape[1] + 1)
        index = xp.unravel_index(flat, x.shape)
    else:
        index = (xp.arange(min(x.shape)),) * x.ndim
    mask = xp.zeros(x.shape, dtype=bool)
    mask[index] = True
    return x._update("fill_diagonal_", lambda t: t.masked_fill(Tensor._make(mask), fill_value))


def apply_(x, callable):
    """x with callable(v) written over each entry v, in Python (slow; as torch's, CPU only and
    not recorded for backward)."""
    values = [callable(v) for v in x.array.reshape(-1).tolist()]
    new = Tensor._make(xp.asarray(values, dtype=x.array.dtype).reshape(x.shape))
    return x._update("apply_", lambda t: new)


def map_(x, tensor, callable):
    """x with callable(a, b) written over each entry a, b the entry of `tensor` (broadcast to
    x's shape) at the same place; in Python and not recorded, as torch's."""
    other = xp.broadcast_to(tensor.array, x.shape).reshape(-1).tolist()
    values = [callable(a, b) for a, b in zip(x.array.reshape(-1).tolist(), other)]
    new = Tensor._make(xp.asarray(values, dtype=x.array.dtype).reshape(x.shape))
    return x._update("map_", lambda t: new)


def _function(name):
    """torch.name(x, ...): the function form of the method x.name(...)."""
    def function(input, *args, **kwargs):
        return getattr(tensor_argument(name, input), name)(*args, **kwargs)
    function.__name__ = name
    function.__doc__ = f"x.{name}(...), as a function: x changed in place."
    return function


(abs_, acos_, asin_, atan_, ceil_, clamp_, clamp_min_, clamp_max_, clip_, cos_, cosh_, deg2rad_,
 erf_, erfc_, exp_, exp2_, expm1_, fill_, fix_, floor_, frac_, log_, log10_, log1p_, log2_, logit_,
 neg_, negative_, rad2deg_, reciprocal_, relu_, round_, rsqrt_, sigmoid_, sin_, sinc_, sinh_,
 sqrt_, square_, tan_, tanh_, trunc_, xlogy_, zero_, i0_, gcd_, lcm_, ldexp_, nan_to_num_,
 index_put_) = (_function(name) for name in __all__)

TENSOR_METHODS = {name + "_": _in_place(name) for name in _SAME_SHAPE}
TENSOR_METHODS.update({name + "_": _rebind_in_place(name) for name in _SHAPE_CHANGING})
TENSOR_METHODS.update(fill_diagonal_=fill_diagonal_, apply_=apply_, map_=map_)
