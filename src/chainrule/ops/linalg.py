"""Products of tensors: matmul and its strict forms (mm, bmm, dot), outer, einsum, and linear
(x Wᵀ + b, one op, so that a layer's backward is one node).

Every backward is itself a product of tensors, so gradients can be differentiated again; it is
written once and runs on arrays in a plain backward (Function.operands), with `_product` choosing
MatMul or NumPy's product by the operands' kind.
"""
import functools
import math

from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.broadcast import sum_to
from chainrule.ops.dtypes import operands
from chainrule.ops.shape import matrix_transpose, reshape_to
from chainrule.tensor import Tensor

__all__ = ["matmul", "mm", "bmm", "dot", "outer", "einsum", "linear"]


class MatMul(Function):
    """y = a @ b;  da = dy @ bᵀ,  db = aᵀ @ dy  (a 1-D a is a row, a 1-D b a column; gradients
    of broadcast batch dims are summed back)"""

    def forward(self, a, b):
        if a.ndim == 2 and b.ndim == 2:
            return _matmul_2d(a, b)
        if a.ndim > 2 and b.ndim == 2 and a.flags.c_contiguous:
            # a stack of matrices times one matrix is one BLAS call over the stacked rows,
            # not one call per matrix
            rows = math.prod(a.shape[:-1])
            return xp.matmul(a.reshape(rows, a.shape[-1]), b).reshape(a.shape[:-1] + b.shape[1:])
        out = xp.matmul(a, b)
        return xp.asarray(out) if a.ndim == 1 and b.ndim == 1 else out  # a scalar, not 0-d

    def backward(self, grad):
        grad, (a, b), _ = self.operands(grad)
        need_a, need_b = self.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:
            return (_times(grad, matrix_transpose(b)) if need_a else None,
                    _times(matrix_transpose(a), grad) if need_b else None)
        return _matmul_backward(a, b, grad, need_a, need_b)


def _times(a, b):
    """a @ b inside a backward formula: recorded (MatMul) on Tensors, NumPy's on arrays."""
    if isinstance(a, Tensor):
        return MatMul.apply(a, b)
    return _matmul_2d(a, b) if a.ndim == 2 and b.ndim == 2 else xp.matmul(a, b)


def _matmul_2d(a, b):
    """a @ b. A long, thin product (the weight gradient of a conv or of a large batch: m×k times
    k×n with k ≫ m, n) is slow in OpenBLAS as one call; as 64 partial products over slices of k,
    summed, it ran 3.5x faster here (6×50176 @ 50176×25: 0.88 ms -> 0.25 ms). With an inner dim
    of 1 (the weight gradient at batch 1: an outer product) np.matmul skips BLAS and np.dot does
    not: 256×1 @ 1×256 took 192 µs against 36 µs."""
    m, k = a.shape
    n = b.shape[1]
    if k == 1:
        return xp.dot(a, b)
    if k >= 4096 and k >= 64 * max(m, n) and k % 64 == 0:
        parts = xp.matmul(a.reshape(m, 64, k // 64).transpose(1, 0, 2), b.reshape(64, k // 64, n))
        return parts.sum(0)
    return xp.matmul(a, b)


class LinearFunction(Function):
    """y = x Wᵀ + b over the rows of x (all its leading dims);
    dx = dy W,  dW = dyᵀ x,  db = Σ_rows dy.

    The layer every MLP is made of, fused: one node instead of transpose, matmul and a broadcast
    add, and a weight gradient that comes out in W's own layout (no transposed view to copy)."""

    def forward(self, x, w, b=None):
        rows = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
        out = _matmul_2d(rows, w.T)
        if b is not None:
            out += b
        return out if x.ndim == 2 else out.reshape(x.shape[:-1] + (w.shape[0],))

    def backward(self, grad):
        grad, (x, w, *_), recording = self.operands(grad)
        needs = self.needs_input_grad
        grad_rows = grad if grad.ndim == 2 else reshape_to(grad, (-1, grad.shape[-1]))
        grad_x = grad_w = grad_b = None
        if needs[0]:
            grad_x = reshape_to(_times(grad_rows, w), x.shape)
        if needs[1]:
            x_rows = x if x.ndim == 2 else reshape_to(x, (-1, x.shape[-1]))
            grad_w = _times(matrix_transpose(grad_rows), x_rows)
        if len(needs) == 3 and needs[2]:
            # on arrays, the column sums as ones @ dy (BLAS; NumPy's axis-0 sum adds the rows
            # one after another, with no better rounding, 2-7x slower at 2048 rows)
            grad_b = grad_rows.sum(0) if recording else xp.dot(
                xp.ones(grad_rows.shape[0], grad_rows.dtype), grad_rows)
        return grad_x, grad_w, grad_b


def linear(input, weight, bias=None):
    """y = input @ weightᵀ + bias. Shape: (*, in) x (out, in) [+ (out,)] -> (*, out)."""
    if input.ndim == 0 or weight.ndim != 2 or input.shape[-1] != weight.shape[1]:
        raise RuntimeError(f"linear: input of shape {input.shape} and weight of shape "
                           f"{weight.shape} cannot be multiplied (expected weight (out, "
                           f"{input.shape[-1] if input.ndim else '?'}))")
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise RuntimeError(f"linear: expected one dtype, got input {input.dtype}, weight "
                           f"{weight.dtype}" + (f", bias {bias.dtype}" if bias is not None else ""))
    if bias is None:
        return LinearFunction.apply(input, weight)
    if bias.shape != (weight.shape[0],):
        raise RuntimeError(f"linear: bias of shape {bias.shape} does not match weight of shape "
                           f"{weight.shape}")
    return LinearFunction.apply(input, weight, bias)


def _matmul_backward(a, b, grad, need_a, need_b):
    """The general case: 1-D operands become a row (1, k) / a column (k, 1), the dims matmul
    removed are put back into grad, and batch dims an operand was broadcast along are summed."""
    a2 = a if a.ndim > 1 else reshape_to(a, (1, a.shape[0]))
    b2 = b if b.ndim > 1 else reshape_to(b, (b.shape[0], 1))
    if b.ndim == 1:
        grad = reshape_to(grad, grad.shape + (1,))
    if a.ndim == 1:
        grad = reshape_to(grad, grad.shape[:-1] + (1,) + grad.shape[-1:])
    grad_a = grad_b = None
    if need_a:
        grad_a = reshape_to(sum_to(_times(grad, matrix_transpose(b2)), a2.shape), a.shape)
    if need_b and a.ndim > 2 and b.ndim == 2:
        # sum over the batch inside one product: (rows, k)ᵀ @ (rows, n)
        rows = math.prod(a.shape[:-1])
        grad_b = _times(matrix_transpose(reshape_to(a, (rows, a.shape[-1]))),
                        reshape_to(grad, (rows, grad.shape[-1])))
    elif need_b:
        grad_b = reshape_to(sum_to(_times(matrix_transpose(a2), grad), b2.shape), b.shape)
    return grad_a, grad_b


class Outer(Function):
    """y_ij = a_i b_j;  da = dy @ b,  db = a @ dy"""

    def forward(self, a, b):
        return xp.multiply.outer(a, b)

    def backward(self, grad):
        grad, (a, b), _ = self.operands(grad)
        need_a, need_b = self.needs_input_grad
        return (_times(grad, b) if need_a else None,
                _times(a, grad) if need_b else None)


class Einsum(Function):
    """y = einsum("s_1,...,s_n->o", x_1, ..., x_n);  dx_k = einsum("o,s_j (j != k)->s_k", dy, x_j)
    (spread along letters only x_k has, summed along letters x_k was broadcast over)"""

    def forward(self, *arrays, subscripts, output):
        self.subscripts, self.output_subscripts = subscripts, output
        equation = ",".join(subscripts) + "->" + output
        out = xp.asarray(xp.einsum(equation, *arrays, optimize=len(arrays) > 1))
        if len(arrays) == 1 and xp.may_share_memory(out, arrays[0]):
            out = out.copy()  # einsum('ij->ji') is a view, which would escape version tracking
        return out

    def backward(self, grad):
        return tuple(_einsum_gradient(self, grad, k) if need else None
                     for k, need in enumerate(self.needs_input_grad))


def _einsum_gradient(fn, grad, k):
    """The gradient of operand k: contract dy with the other operands into k's subscripts."""
    target, shape = fn.subscripts[k], fn.inputs[k].shape
    others = [(s, t) for i, (s, t) in enumerate(zip(fn.subscripts, fn.inputs)) if i != k]
    sizes = _letter_sizes([(fn.output_subscripts, grad)] + others)
    # A letter the others lack (or have only broadcast, size 1) comes from a ones operand: the
    # gradient is the same along it.
    spread = "".join(letter for letter, size in zip(target, shape)
                     if letter not in sizes or (sizes[letter] == 1 and size != 1))
    factors = [grad] + [t for _, t in others]
    subscripts = [fn.output_subscripts] + [s for s, _ in others]
    if spread:
        ones_shape = tuple(size for letter, size in zip(target, shape) if letter in spread)
        factors.append(Tensor._make(xp.ones(ones_shape, dtype=grad.dtype)))
        subscripts.append(spread)
    return sum_to(Einsum.apply(*factors, subscripts=tuple(subscripts), output=target), shape)


def _letter_sizes(pairs):
    """Each letter's size after broadcasting over (subscripts, tensor) pairs."""
    sizes = {}
    for subscripts, t in pairs:
        for letter, size in zip(subscripts, t.shape):
            if sizes.get(letter, 1) == 1:
                sizes[letter] = size
    return sizes


# ----- the public functions ----------------------------------------------------------------------
def matmul(a, b):
    """The matrix product with NumPy's rules: 1-D operands are a row (left) or a column (right)
    whose dim is removed from the result; batch dims (all but the last two) broadcast."""
    return _product("matmul", a, b)


def mm(a, b):
    _expect_ndim("mm", a, b, 2)
    return _product("mm", a, b)


def bmm(a, b):
    _expect_ndim("bmm", a, b, 3)
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"bmm: shapes {a.shape} and {b.shape} have different batch sizes "
                           f"({a.shape[0]} != {b.shape[0]}); bmm does not broadcast")
    return _product("bmm", a, b)


def dot(a, b):
    _expect_ndim("dot", a, b, 1)
    return _product("dot", a, b)


def outer(a, b):
    _expect_ndim("outer", a, b, 1)
    # outer is a product of elements, so it promotes dtypes as mul does (matmul does not)
    a, b = operands("outer", a, b)
    if a.dtype != b.dtype:
        dtype = xp.promote_types(a.dtype, b.dtype)
        a, b = a.to(dtype), b.to(dtype)
    return Outer.apply(a, b)


def _expect_ndim(name, a, b, ndim):
    if a.ndim != ndim or b.ndim != ndim:
        raise RuntimeError(f"{name}: expected two {ndim}-D tensors, got shapes {a.shape} and "
                           f"{b.shape}")


def _product(name, a, b):
    if not isinstance(a, Tensor) or not isinstance(b, Tensor):
        raise TypeError(f"{name}: expected two Tensors, got {type(a).__name__} and "
                        f"{type(b).__name__}")
    if a.dtype != b.dtype:  # as in PyTorch: no silent promotion in a matrix product
        raise RuntimeError(f"{name}: expected both operands to have the same dtype, got "
                           f"{a.dtype} and {b.dtype} (shapes {a.shape} and {b.shape})")
    if a.dtype.kind == "b":
        raise NotImplementedError(f"{name}: not implemented for bool tensors (shapes {a.shape} "
                                  f"and {b.shape})")
    try:
        return MatMul.apply(a, b)
    except ValueError:  # checked only on failure, to keep the common path short
        raise RuntimeError(_shape_error(name, a.shape, b.shape)) from None


def _shape_error(name, shape_a, shape_b):
    if not shape_a or not shape_b:
        return (f"{name}: both operands need at least 1 dim, got shapes {shape_a} and {shape_b}")
    inner_a, inner_b = shape_a[-1], shape_b[0 if len(shape_b) == 1 else -2]
    if inner_a != inner_b:
        return (f"{name}: shapes {shape_a} and {shape_b} cannot be multiplied "
                f"({inner_a} != {inner_b})")
    return (f"{name}: shapes {shape_a} and {shape_b} cannot be multiplied: batch dims "
            f"{shape_a[:-2]} and {shape_b[:-2]} cannot be broadcast together")


def einsum(equation, *tensors):
    """Sum of products over the letters of `equation`, as torch.einsum ("ij,jk->ik"); without
    "->" the output is the letters used once, sorted. Sizes of 1 broadcast."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    subscripts, output = _parse_einsum(equation)
    if len(subscripts) != len(tensors):
        raise RuntimeError(f"einsum('{equation}'): the equation names {len(subscripts)} "
                           f"operands but {len(tensors)} were given")
    sizes = {}
    for index, (letters, t) in enumerate(zip(subscripts, tensors)):
        if len(letters) != t.ndim:
            raise RuntimeError(f"einsum('{equation}'): operand {index} has shape {t.shape} but "
                               f"its subscripts '{letters}' name {len(letters)} dims")
        for letter, size in zip(letters, t.shape):
            seen = sizes.setdefault(letter, size)
            if seen != size and 1 not in (seen, size):
                raise RuntimeError(f"einsum('{equation}'): letter {letter} has size {size} in "
                                   f"operand {index} (shape {t.shape}) but size {seen} before")
            sizes[letter] = size if seen == 1 else seen
    if len({t.dtype for t in tensors}) > 1:
        raise RuntimeError(f"einsum('{equation}'): expected operands of one dtype, got "
                           f"{', '.join(str(t.dtype) for t in tensors)}")
    return Einsum.apply(*tensors, subscripts=subscripts, output=output)


@functools.lru_cache(maxsize=256)
def _parse_einsum(equation):
    """('ij,jk', 'ik') from 'ij,jk->ik' or 'ij,jk'; checks what needs no shapes."""
    text = equation.replace(" ", "")
    if "..." in text:
        raise NotImplementedError(f"einsum('{equation}'): '...' is not supported")
    inputs, arrow, output = text.partition("->")
    subscripts = tuple(inputs.split(","))
    for letters in subscripts + (output,):
        bad = [c for c in letters if not (c.isascii() and c.isalpha())]
        if bad:
            raise RuntimeError(f"einsum('{equation}'): invalid subscript '{bad[0]}'; "
                               "subscripts are letters a-z and A-Z")
    for letters in subscripts:
        if len(set(letters)) != len(letters):
            raise NotImplementedError(f"einsum('{equation}'): a letter repeated within one "
                                      f"operand ('{letters}', a diagonal) is not supported")
    used = "".join(subscripts)
    if not arrow:
        return subscripts, "".join(sorted(c for c in set(used) if used.count(c) == 1))
    for letter in output:
        if letter not in used or output.count(letter) > 1:
            raise RuntimeError(f"einsum('{equation}'): output letter {letter} must appear in "
                               "an operand and only once in the output")
    return subscripts, output


def _rmatmul(x, other):
    return matmul(other if isinstance(other, Tensor) else Tensor(other), x)


def _matmul_operator(x, other):
    return matmul(x, other if isinstance(other, Tensor) else Tensor(other))


TENSOR_METHODS = {
    "matmul": matmul, "__matmul__": _matmul_operator, "__rmatmul__": _rmatmul,
    "mm": mm, "bmm": bmm, "dot": dot, "outer": outer,
}
