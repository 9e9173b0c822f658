"""Fused arithmetic as torch spells it: addcmul, addcdiv, addmm, addmv, addbmm, baddbmm, and the
small elementwise ops logaddexp(2), copysign, heaviside, sgn, nan_to_num, clamp_min/clamp_max,
float_power, plus type_as. All are compositions of primitive ops, so they differentiate (twice)
through them; none has a backward of its own.
"""
import math

from chainrule import backend
from chainrule.backend import xp
from chainrule.ops.compare import clamp, maximum, where
from chainrule.ops.linalg import matmul
from chainrule.ops.unary import exp, log
from chainrule.ops.dims import tensor_argument
from chainrule.tensor import Tensor

__all__ = ["addcmul", "addcdiv", "addmm", "addmv", "addbmm", "baddbmm", "logaddexp",
           "logaddexp2", "copysign", "heaviside", "sgn", "nan_to_num", "clamp_min", "clamp_max",
           "float_power"]


def addcmul(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 * tensor2."""
    product = (tensor_argument("addcmul", tensor1, "tensor1")
               * tensor_argument("addcmul", tensor2, "tensor2"))
    return tensor_argument("addcmul", input) + (product if value == 1 else value * product)


def addcdiv(input, tensor1, tensor2, *, value=1):
    """input + value * tensor1 / tensor2."""
    t1 = tensor_argument("addcdiv", tensor1, "tensor1")
    t2 = tensor_argument("addcdiv", tensor2, "tensor2")
    if t1.array.dtype.kind in "biu" and t2.array.dtype.kind in "biu":
        raise RuntimeError(f"addcdiv: integer division with addcdiv is no longer supported "
                           f"(tensor1 {t1.dtype}, tensor2 {t2.dtype}), as in torch; use "
                           "addcmul(input, tensor1, 1 / tensor2)")
    quotient = t1 / t2
    return tensor_argument("addcdiv", input) + (quotient if value == 1 else value * quotient)


def _scaled_sum(name, input, product, beta, alpha):
    """beta * input + alpha * product; beta = 0 ignores input (its NaNs too), as torch."""
    input = tensor_argument(name, input)
    try:
        shape = xp.broadcast_shapes(input.shape, product.shape)
    except ValueError:
        shape = None
    if shape != tuple(product.shape):
        raise RuntimeError(f"{name}: input of shape {input.shape} cannot be broadcast to the "
                           f"product's shape {product.shape}")
    if alpha != 1:
        product = alpha * product
    if beta == 0:   # input's NaNs ignored, its gradient zero (not None), as torch
        return _with_zero_gradient(product, input)
    return product + (input if beta == 1 else beta * input)


def _check_ndim(name, tensors, ndims):
    for (what, t), ndim in zip(tensors, ndims):
        tensor_argument(name, t, what)
        if t.ndim != ndim:
            shapes = ", ".join(f"{w} {x.shape}" for w, x in tensors)
            raise RuntimeError(f"{name}: {what} must be a {ndim}-D tensor, got shape {t.shape} "
                               f"({shapes})")


def _check_product(name, a, b, a_dim, b_dim):
    if a.shape[a_dim] != b.shape[b_dim]:
        raise RuntimeError(f"{name}: shapes {a.shape} and {b.shape} cannot be multiplied "
                           f"({a.shape[a_dim]} != {b.shape[b_dim]})")


def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2), for matrices."""
    _check_ndim("addmm", [("mat1", mat1), ("mat2", mat2)], (2, 2))
    _check_product("addmm", mat1, mat2, 1, 0)
    return _scaled_sum("addmm", input, matmul(mat1, mat2), beta, alpha)


def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec), for a matrix and a vector."""
    _check_ndim("addmv", [("mat", mat), ("vec", vec)], (2, 1))
    _check_product("addmv", mat, vec, 1, 0)
    return _scaled_sum("addmv", input, matmul(mat, vec), beta, alpha)


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (batch1 @ batch2), batch by batch."""
    _check_ndim("baddbmm", [("batch1", batch1), ("batch2", batch2)], (3, 3))
    _check_batches("baddbmm", batch1, batch2)
    return _scaled_sum("baddbmm", input, matmul(batch1, batch2), beta, alpha)


def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * sum_b (batch1[b] @ batch2[b])."""
    _check_ndim("addbmm", [("batch1", batch1), ("batch2", batch2)], (3, 3))
    _check_batches("addbmm", batch1, batch2)
    return _scaled_sum("addbmm", input, matmul(batch1, batch2).sum(0), beta, alpha)


def _check_batches(name, batch1, batch2):
    if batch1.shape[0] != batch2.shape[0]:
        raise RuntimeError(f"{name}: batch1 {batch1.shape} and batch2 {batch2.shape} must have "
                           "the same number of batches")
    _check_product(name, batch1, batch2, 2, 1)


def logaddexp(input, other):
    """log(exp(a) + exp(b)), computed as m + log(exp(a - m) + exp(b - m)) with m = max(a, b)."""
    a, b = tensor_argument("logaddexp", input), tensor_argument("logaddexp", other, "other")
    m = maximum(a, b).detach()
    # both -inf: m - m is NaN; torch gives -inf there
    infinite = xp.isinf(m.array)
    m = m.masked_fill(Tensor._make(infinite), 0.0) if infinite.any() else m
    return m + log(exp(a - m) + exp(b - m))


def logaddexp2(input, other):
    """log2(2^a + 2^b)."""
    return logaddexp(input * math.log(2.0), other * math.log(2.0)) / math.log(2.0)


def copysign(input, other):
    """|a| with the sign of b (the sign bit: -0.0 counts as negative); db = 0."""
    a = tensor_argument("copysign", input)
    b = other.array if isinstance(other, Tensor) else xp.asarray(other)
    if a.array.dtype.kind != "f":
        a = a.to(backend.get_default_dtype())
    negative = Tensor._make(xp.signbit(b))
    magnitude = a.abs()
    out = where(negative, -magnitude, magnitude)
    if isinstance(other, Tensor) and other.requires_grad and other.dtype == out.dtype:
        out = _with_zero_gradient(out, other)
    return out


def _with_zero_gradient(out, t):
    """out, with t in its graph receiving a zero gradient (not None), as torch gives."""
    return where(Tensor._make(xp.zeros(out.shape, dtype=bool)), t, out)


def heaviside(input, values):
    """0 where x < 0, values where x == 0, 1 where x > 0 (not differentiable, as torch)."""
    x, v = tensor_argument("heaviside", input), tensor_argument("heaviside", values, "values")
    if x.dtype != v.dtype:
        raise RuntimeError(f"heaviside: input ({x.dtype}) and values ({v.dtype}) must have the "
                           "same dtype")
    out = xp.where(x.array == 0, v.array, (x.array > 0).astype(x.array.dtype))
    return Tensor._make(out.astype(x.array.dtype, copy=False))


def sgn(input):
    """sign(x) for real tensors (x / |x| for complex ones in torch)."""
    return tensor_argument("sgn", input).sign()


def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    """x with NaN, +inf and -inf replaced (by default: 0, the dtype's largest and lowest finite
    values);  dx = dy where x is finite, 0 elsewhere."""
    x = tensor_argument("nan_to_num", input)
    if x.array.dtype.kind != "f":
        return Tensor._make(x.array.copy())
    info = xp.finfo(x.array.dtype)
    array = x.array
    out = x.masked_fill(Tensor._make(xp.isnan(array)), nan)
    out = out.masked_fill(Tensor._make(xp.isposinf(array)), info.max if posinf is None else posinf)
    return out.masked_fill(Tensor._make(xp.isneginf(array)),
                           info.min if neginf is None else neginf)


def clamp_min(input, min):
    """max(x, min)."""
    return clamp(tensor_argument("clamp_min", input), min=min)


def clamp_max(input, max):
    """min(x, max)."""
    return clamp(tensor_argument("clamp_max", input), max=max)


def float_power(input, exponent):
    """a ** b in float64, whatever the inputs' dtypes."""
    base = input.double() if isinstance(input, Tensor) else input
    power = exponent.double() if isinstance(exponent, Tensor) else exponent
    if not isinstance(base, Tensor):
        return Tensor._make(xp.asarray(base, dtype=backend.float64)) ** power
    return base ** power


def type_as(input, other):
    """x cast to other's dtype."""
    return tensor_argument("type_as", input).to(tensor_argument("type_as", other, "other").dtype)


TENSOR_METHODS = {name: globals()[name] for name in __all__}
TENSOR_METHODS["type_as"] = type_as
