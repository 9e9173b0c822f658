"""Elementwise arithmetic of two tensors with NumPy broadcasting and PyTorch's type promotion,
and casts between dtypes.

Binary ops broadcast in forward; backward sums each gradient back to its input's shape (sum_to);
the engine casts each gradient to its input's dtype.
"""
from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.broadcast import sum_to
from chainrule.ops.unary import log
from chainrule.tensor import Tensor

__all__ = ["add", "sub", "mul", "div", "true_divide", "neg", "pow", "to"]


def operands(name, a, b):
    """Both operands as Tensors of one dtype, promoted as PyTorch does. Categories rank
    bool < integer < float, and the higher category's dtype wins (a Python float makes an integer
    tensor float32). Within a category a Python scalar takes the tensor's dtype, a tensor with dims
    outranks a 0-d one, and two of a kind promote as NumPy does (float32 + float64 -> float64)."""
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            raise TypeError(f"{name}: expected at least one Tensor, got {type(a).__name__} and "
                            f"{type(b).__name__}")
        a = scalar_like(a, b)
    elif not isinstance(b, Tensor):
        b = scalar_like(b, a)
    da, db = a.array.dtype, b.array.dtype
    if da == db:
        return a, b
    dtype = _result_dtype(a, b)
    # a differentiable cast, so a float operand that is promoted still receives its gradient
    return (a if da == dtype else to(a, dtype)), (b if db == dtype else to(b, dtype))


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _result_dtype(a, b):
    ka, kb = _CATEGORY[a.array.dtype.kind], _CATEGORY[b.array.dtype.kind]
    if ka != kb:
        return a.dtype if ka > kb else b.dtype
    if (a.ndim == 0) != (b.ndim == 0):
        return b.dtype if a.ndim == 0 else a.dtype
    return xp.promote_types(a.dtype, b.dtype)


def scalar_like(value, like):
    dtype = like.array.dtype
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        dtype = backend.int64 if dtype.kind == "b" else dtype
    elif isinstance(value, float):
        dtype = dtype if dtype.kind == "f" else backend.default_float
    else:
        return Tensor(value)  # arrays and lists keep their own dtype (float lists become float32)
    return Tensor._make(xp.asarray(value, dtype=dtype))


def _binary(fn, name, a, b):
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


class Add(Function):
    """y = a + b;  da = dy,  db = dy"""
    save_inputs = False

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return _binary(xp.add, "add", a, b)

    def backward(self, grad):
        sa, sb = self.shapes
        need_a, need_b = self.needs_input_grad
        return (sum_to(grad, sa) if need_a else None,
                sum_to(grad, sb) if need_b else None)


class Sub(Function):
    """y = a - b;  da = dy,  db = -dy"""
    save_inputs = False

    def forward(self, a, b):
        self.shapes = a.shape, b.shape
        return _binary(xp.subtract, "sub", a, b)

    def backward(self, grad):
        sa, sb = self.shapes
        need_a, need_b = self.needs_input_grad
        return (sum_to(grad, sa) if need_a else None,
                sum_to(-grad, sb) if need_b else None)


class Mul(Function):
    """y = a * b;  da = dy * b,  db = dy * a"""

    def forward(self, a, b):
        return _binary(xp.multiply, "mul", a, b)

    def backward(self, grad):
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        return (sum_to(grad * b, a.shape) if need_a else None,
                sum_to(grad * a, b.shape) if need_b else None)


class Div(Function):
    """y = a / b;  da = dy / b,  db = -dy * a / b²"""

    def forward(self, a, b):
        return _binary(xp.true_divide, "div", a, b)

    def backward(self, grad):
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        return (sum_to(grad / b, a.shape) if need_a else None,
                sum_to(-grad * a / (b * b), b.shape) if need_b else None)


class Neg(Function):
    """y = -x;  dx = -dy"""
    save_inputs = False

    def forward(self, x):
        return xp.negative(x)

    def backward(self, grad):
        return -grad


class Pow(Function):
    """y = a ** b;  da = dy * b * a ** (b - 1),  db = dy * y * log(a)"""
    save_output = True

    def forward(self, a, b):
        return _binary(xp.power, "pow", a, b)

    def backward(self, grad):
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        grad_a = grad_b = None
        from chainrule.ops.compare import where  # compare builds on this module: import late
        # Where the formulas meet 0 * inf (b = 0 in the first; a = 0, b >= 0 in the second), the
        # derivative is 0, as PyTorch's pow_backward defines it.
        if need_a:
            grad_a = where(Tensor._make(b.array == 0), 0.0, grad * b * a ** (b - 1))
            grad_a = sum_to(grad_a, a.shape)
        if need_b:
            zero = Tensor._make((a.array == 0) & (b.array >= 0))
            grad_b = sum_to(where(zero, 0.0, grad * self.output() * log(a)), b.shape)
        return grad_a, grad_b


class Cast(Function):
    """y = x converted to dtype;  dx = dy converted back (no gradient for integer inputs)"""
    save_inputs = False

    def forward(self, x, dtype):
        self.in_dtype = x.dtype
        return x.astype(dtype)

    def backward(self, grad):
        return grad.to(self.in_dtype) if self.in_dtype.kind == "f" else None


def add(a, b, alpha=1):
    if alpha != 1:
        b = mul(b, alpha)
    return Add.apply(*operands("add", a, b))


def sub(a, b, alpha=1):
    if alpha != 1:
        b = mul(b, alpha)
    return Sub.apply(*operands("sub", a, b))


def mul(a, b):
    return Mul.apply(*operands("mul", a, b))


def div(a, b):
    a, b = operands("div", a, b)
    if a.array.dtype.kind != "f":  # true division of integers gives floats, as in PyTorch
        a, b = a.to(backend.default_float), b.to(backend.default_float)
    return Div.apply(a, b)


true_divide = div


def neg(x):
    return Neg.apply(x)


def pow(a, b):
    return Pow.apply(*operands("pow", a, b))


def to(x, *args, dtype=None, **kwargs):
    """to(dtype), to(device) or to(device, dtype): a differentiable cast (only the CPU exists)."""
    for arg in list(args) + [kwargs.get("device")]:
        if isinstance(arg, (str, backend.device)):
            backend.check_device(arg, "to")
        elif arg is not None:
            dtype = arg
    dtype = backend.to_dtype(dtype)
    if dtype is None or x.array.dtype == dtype:
        return x
    return Cast.apply(x, dtype=dtype)


def type_(x, dtype=None):
    return str(x.dtype) if dtype is None else to(x, dtype)


TENSOR_METHODS = {
    "__add__": add, "__radd__": add, "add": add,
    "__sub__": sub, "__rsub__": lambda x, other: sub(other, x), "sub": sub,
    "__mul__": mul, "__rmul__": mul, "mul": mul,
    "__truediv__": div, "__rtruediv__": lambda x, other: div(other, x), "div": div,
    "__neg__": neg, "neg": neg,
    "to": to, "type": type_,
    "float": lambda x: to(x, backend.float32), "double": lambda x: to(x, backend.float64),
    "long": lambda x: to(x, backend.int64), "int": lambda x: to(x, backend.int32),
    "bool": lambda x: to(x, backend.bool_),
    "__pow__": pow, "__rpow__": lambda x, other: pow(other, x), "pow": pow,
}
