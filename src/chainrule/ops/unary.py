"""Math of one tensor, elementwise: exp and log, powers and roots, sin and cos (the rest of
trigonometry is in trig.py), abs and sign, erf; and Mask, the constant mask backward formulas use.

Float-valued functions turn bool and integer tensors into float32, as PyTorch does; abs, square
and sign keep integers integer.

The backward formulas are written once and run on arrays in a plain backward, on Tensors under
create_graph (Function.operands); `_saved_output` gives the output as the one or the other.
"""
import math

from chainrule import backend
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.tensor import Tensor

__all__ = ["exp", "expm1", "log", "log1p", "sqrt", "rsqrt", "reciprocal", "square", "abs", "sign",
           "sin", "cos", "erf"]

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_SQRT_HALF = math.sqrt(0.5)


class Exp(Function):
    """y = exp(x);  dx = dy * y"""
    save_inputs = False
    save_output = True

    @xp.errstate(over="ignore")   # exp(1000) = inf, silently, as in torch
    def forward(self, x):
        return xp.exp(x)

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        return grad * _saved_output(self, recording)


def _saved_output(fn, recording):
    """The output a backward formula reads: in the graph when recording, the array otherwise."""
    return fn.output() if recording else fn.out


class Expm1(Function):
    """y = exp(x) - 1 (exact for small x);  dx = dy * (y + 1)"""
    save_inputs = False
    save_output = True

    @xp.errstate(over="ignore")
    def forward(self, x):
        return xp.expm1(x)

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        return grad * (_saved_output(self, recording) + 1)


class Log(Function):
    """y = log(x);  dx = dy / x"""

    @xp.errstate(divide="ignore", invalid="ignore")   # log(0) = -inf, log(-1) = nan
    def forward(self, x):
        return xp.log(x)

    def backward(self, grad):
        grad, (x,), _ = self.operands(grad)
        return grad / x


class Log1p(Function):
    """y = log(1 + x) (exact for small x);  dx = dy / (1 + x)"""

    @xp.errstate(divide="ignore", invalid="ignore")   # log1p(-1) = -inf, log1p(-2) = nan
    def forward(self, x):
        return xp.log1p(x)

    def backward(self, grad):
        grad, (x,), _ = self.operands(grad)
        return grad / (x + 1)


class Sqrt(Function):
    """y = √x;  dx = dy / (2y)"""
    save_inputs = False
    save_output = True

    @xp.errstate(invalid="ignore")   # sqrt(-1) = nan
    def forward(self, x):
        return xp.sqrt(x)

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        return grad / (_saved_output(self, recording) * 2)


class Rsqrt(Function):
    """y = 1/√x;  dx = -dy * y³ / 2"""
    save_inputs = False
    save_output = True

    @xp.errstate(divide="ignore", invalid="ignore")   # rsqrt(0) = inf, rsqrt(-1) = nan
    def forward(self, x):
        return 1 / xp.sqrt(x)

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        y = _saved_output(self, recording)
        return grad * (y * y * y) * -0.5


class Reciprocal(Function):
    """y = 1/x;  dx = -dy * y²"""
    save_inputs = False
    save_output = True

    @xp.errstate(divide="ignore")   # 1/0 = inf
    def forward(self, x):
        return 1 / x

    def backward(self, grad):
        grad, _, recording = self.operands(grad)
        y = _saved_output(self, recording)
        return -grad * (y * y)


class Square(Function):
    """y = x²;  dx = 2x * dy"""

    @xp.errstate(over="ignore")
    def forward(self, x):
        return xp.square(x)

    def backward(self, grad):
        grad, (x,), _ = self.operands(grad)
        return grad * (x * 2)


class Abs(Function):
    """y = |x|;  dx = dy * sign(x) (0 at x = 0, as in PyTorch)"""

    def forward(self, x):
        return xp.abs(x)

    def backward(self, grad):
        # sign(x) has a zero derivative, but stays in the graph, as in torch: the gradient stays
        # connected to x, so differentiating it again gives zeros rather than an error
        grad, (x,), recording = self.operands(grad)
        return grad * (Sign.apply(x) if recording else sign_array(x))


class Sign(Function):
    """y = sign(x);  dx = 0 (PyTorch keeps sign in the graph with a zero gradient)"""
    save_inputs = False

    def forward(self, x):
        return sign_array(x)

    def backward(self, grad):
        return Tensor._make(xp.zeros_like(grad.array))


class Mask(Function):
    """y = a 0/1 (or other piecewise-constant) mask computed from x, in x's dtype;  dx = 0.

    What the backward of relu, leaky_relu and cdist multiply by (max pooling adds a zero one).
    Kept in the graph as torch keeps its masks, so a gradient built from one stays connected to
    x: the Hessian of relu is zeros, not an error saying the gradient does not require grad."""
    save_inputs = False

    def forward(self, x, mask):
        self.input_shape = x.shape
        return xp.broadcast_to(xp.asarray(mask, dtype=x.dtype), x.shape)

    def backward(self, grad):
        return Tensor._make(xp.zeros(self.input_shape, grad.dtype))


class Sin(Function):
    """y = sin(x);  dx = dy * cos(x)"""

    def forward(self, x):
        return xp.sin(x)

    def backward(self, grad):
        return grad * cos(self.inputs[0])


class Cos(Function):
    """y = cos(x);  dx = -dy * sin(x)"""

    def forward(self, x):
        return xp.cos(x)

    def backward(self, grad):
        return -grad * sin(self.inputs[0])


class Erf(Function):
    """y = erf(x) = 2/√π ∫₀ˣ exp(-t²) dt;  dx = dy * 2/√π * exp(-x²)"""

    def forward(self, x):
        return erf_array(x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad * exp(-(x * x)) * _TWO_OVER_SQRT_PI


# W. J. Cody, "Rational Chebyshev approximations for the error function", Math. Comp. 23 (1969)
# 631-637, with the coefficients of his SPECFUN routine CALERF (highest power first; each
# denominator's leading 1 is written out).
_ERF_NEAR_0 = ((1.85777706184603153e-1, 3.16112374387056560e00, 1.13864154151050156e02,
                3.77485237685302021e02, 3.20937758913846947e03),
               (1.0, 2.36012909523441209e01, 2.44024637934444173e02, 1.28261652607737228e03,
                2.84423683343917062e03))
_ERFC_MIDDLE = ((2.15311535474403846e-8, 5.64188496988670089e-1, 8.88314979438837594e00,
                 6.61191906371416295e01, 2.98635138197400131e02, 8.81952221241769090e02,
                 1.71204761263407058e03, 2.05107837782607147e03, 1.23033935479799725e03),
                (1.0, 1.57449261107098347e01, 1.17693950891312499e02, 5.37181101862009858e02,
                 1.62138957456669019e03, 3.29079923573345963e03, 4.36261909014324716e03,
                 3.43936767414372164e03, 1.23033935480374942e03))
_ERFC_TAIL = ((1.63153871373020978e-2, 3.05326634961232344e-1, 3.60344899949804439e-1,
               1.25781726111229246e-1, 1.60837851487422766e-2, 6.58749161529837803e-4),
              (1.0, 2.56852019228982242e00, 1.87295284992346047e00, 5.27905102951428412e-1,
               6.05183413124413191e-2, 2.33520497626869185e-3))


def _rational(coefficients, z):
    """Horner's rule for numerator and denominator, in place (erf is worth the speed)."""
    top, bottom = coefficients
    numerator = z * top[0]
    numerator += top[1]
    denominator = z * bottom[0]
    denominator += bottom[1]
    for p, q in zip(top[2:], bottom[2:]):
        numerator *= z
        numerator += p
        denominator *= z
        denominator += q
    numerator /= denominator
    return numerator


# erf(x) ≈ x P(x²) / Q(x²) on |x| <= 3.8325 (beyond it erf rounds to ±1 in float32), the
# rational fit of Eigen's generic_fast_erf_float (as XLA's ErfImpl32): 3.9e-8 from erf in exact
# arithmetic, 3.4e-7 (3 units in the last place) evaluated in float32. Highest power first.
_ERF_FLOAT32 = ((0.00022905065861350646, 0.0034082910107109506, 0.050955695062380861,
                 0.18520832239976145, 1.128379143519084),
                (-1.1791602954361697e-7, 0.000023547966471313185, 0.0010179625278914885,
                 0.014070470171167667, 0.11098505178285362, 0.49746925110067538, 1.0))
_ERF_FLOAT32_CLAMP = 3.832506856900711


_ERF_BLOCK = 32768   # elements per block: the fit's four float32 buffers (512 KB) stay in L2


def _fit_float32(x):
    """_ERF_FLOAT32 as `fit` asks, on a float32 array: no masks and no gathers (Cody's three fits
    cost 8x more in float32, where the gathers dominate), a block at a time so that its passes
    run in cache (4.5 ms -> 2.4 ms for 524,288 values)."""
    flat = x.reshape(-1)
    out = xp.empty(flat.shape, xp.float32)
    size = min(flat.size, _ERF_BLOCK)
    buffers = [xp.empty(size, xp.float32) for _ in range(4)]
    for start in range(0, flat.size, _ERF_BLOCK):
        stop = min(start + _ERF_BLOCK, flat.size)
        x_block, block = flat[start:stop], out[start:stop]
        parts = [b[:stop - start] for b in buffers]
        _fit_block(x_block, block, *parts)
    return out.reshape(x.shape)


def _horner(square, coefficients, out):
    """P(s) = c0 s^k + ... + ck by Horner's rule, in place into out (highest power first)."""
    xp.multiply(square, coefficients[0], out=out)
    for c in coefficients[1:-1]:
        out += c
        out *= square
    out += coefficients[-1]
    return out


def _fit_block(x, out, clamped, square, numerator, denominator):
    top, bottom = _ERF_FLOAT32
    xp.clip(x, -_ERF_FLOAT32_CLAMP, _ERF_FLOAT32_CLAMP, out=clamped)
    xp.multiply(clamped, clamped, out=square)
    _horner(square, top, numerator)
    numerator *= clamped
    _horner(square, bottom, denominator)
    xp.divide(numerator, denominator, out=out)
    xp.clip(out, -1, 1, out=out)   # at the clamp the fit is 1 + 1 ulp


# Φ(x) ≈ (1 + tanh(x P(x²))) / 2, P of degree 6 in x² (highest power first), fitted on [0, 5.6]
# (weighted least squares on atanh(erf(x/√2)), Lawson's reweighting): 9.6e-8 from Φ evaluated in
# float32 over [-12, 12] (the erf fit's Φ: 1.7e-7; torch's: 6.1e-8), 0 or 1 exactly beyond |x| ≈ 6,
# and about 18 passes where the erf fit takes 28: GELU's Φ is a sixth of a GPT step. The odd
# polynomial keeps Φ(-x) = 1 - Φ(x) up to rounding; ±inf and NaN come out as 0/1 and NaN.
_NORMAL_CDF_TANH = tuple(xp.float32(c) for c in (
    1.756312428824458e-09, -1.3226743078575964e-07, 3.964786174037727e-06, -5.530638009076938e-05,
    -3.259460936533287e-05, 0.03633308410644531, 0.7978849411010742))


def _cdf_tanh_block(x, out, square):
    xp.multiply(x, x, out=square)
    _horner(square, _NORMAL_CDF_TANH, out)
    out *= x
    xp.tanh(out, out=out)
    out *= xp.float32(0.5)
    out += xp.float32(0.5)


def _cdf_float32(x, each_block=None):
    """_NORMAL_CDF_TANH on a float32 array, a cache-sized block at a time (as _fit_float32)."""
    flat = x.reshape(-1)
    out = xp.empty(flat.shape, xp.float32)
    size = min(flat.size, _ERF_BLOCK)
    square = xp.empty(size, xp.float32)
    for start in range(0, flat.size, _ERF_BLOCK):
        stop = min(start + _ERF_BLOCK, flat.size)
        x_block, block, scratch = flat[start:stop], out[start:stop], square[:stop - start]
        with xp.errstate(over="ignore"):   # |x| > 1.8e19: x² is inf, and tanh(±inf) is ±1
            _cdf_tanh_block(x_block, block, scratch)
        if each_block is not None:
            each_block(start, stop, x_block, block, scratch)
    return out.reshape(x.shape)


def normal_cdf_array(x, each_block=None):
    """Φ(x) = (1 + erf(x / √2)) / 2 of a float array (float32: _NORMAL_CDF_TANH in one pass of
    blocks, each handed to each_block(start, stop, x, result, scratch) while in cache; other
    dtypes: from erf, as one block)."""
    if x.dtype == xp.float32:
        return _cdf_float32(x, each_block)
    cdf = xp.array(erf_array(x * _SQRT_HALF))
    cdf += 1
    cdf *= 0.5
    if each_block is not None:
        flat = cdf.reshape(-1)
        each_block(0, flat.size, x.reshape(-1), flat, xp.empty_like(flat))
    return cdf


def erf_array(x):
    """erf of a float array, to within a few units in the last place of its dtype (NumPy has no
    erf): in float32, one rational fit (_fit_float32); else Cody's three rational fits,
    evaluated in x's precision (float16 in float32)."""
    if x.dtype == xp.float32:
        return _fit_float32(x)
    wide = x.astype(xp.promote_types(x.dtype, xp.float32)).reshape(-1)  # flat: 0-d sign is scalar
    y = xp.abs(wide)
    result = xp.sign(wide)  # beyond 6, erf is ±1 even in float64; NaN stays NaN
    near_0 = y <= 0.46875
    z = wide[near_0]
    result[near_0] = z * _rational(_ERF_NEAR_0, z * z)
    away = (y > 0.46875) & (y < 6)
    y = y[away]
    middle = y <= 4
    scaled = xp.empty_like(y)  # erfc(y) * exp(y²)
    scaled[middle] = _rational(_ERFC_MIDDLE, y[middle])
    tail = y[~middle]
    z = 1 / (tail * tail)
    scaled[~middle] = (1 / math.sqrt(math.pi) - z * _rational(_ERFC_TAIL, z)) / tail
    # exp(-y²) as exp(-s²) exp(-(y - s)(y + s)), s = y rounded down to 1/16: s² is exact
    s = xp.trunc(y * 16) / 16
    erfc = xp.exp(-s * s) * xp.exp(-(y - s) * (y + s)) * scaled
    result[away] = xp.copysign(1 - erfc, wide[away])
    return result.reshape(x.shape).astype(x.dtype, copy=False)


def sign_array(x):
    """-1, 0 or 1; NaN gives 0, as in PyTorch (NumPy's sign gives NaN)."""
    return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)


def _floating(name, x):
    """x as a float tensor: float-valued math makes bool and integer tensors float32, as PyTorch."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    if x.array.dtype.kind == "f":
        return x
    return Tensor._make(x.array.astype(backend.default_float))  # no gradient to lose: not float


def _numeric(name, x):
    """x itself, refused if bool: abs and square keep integers integer (square turns a bool
    tensor into int64 before it gets here)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor, got {type(x).__name__}")
    if x.array.dtype.kind == "b":
        raise RuntimeError(f"{name}: not implemented for a bool tensor (shape {x.shape}); "
                           "convert it with .long() or .float() first")
    return x


def exp(x):
    return Exp.apply(_floating("exp", x))


def expm1(x):
    return Expm1.apply(_floating("expm1", x))


def log(x):
    return Log.apply(_floating("log", x))


def log1p(x):
    return Log1p.apply(_floating("log1p", x))


def sqrt(x):
    return Sqrt.apply(_floating("sqrt", x))


def rsqrt(x):
    return Rsqrt.apply(_floating("rsqrt", x))


def reciprocal(x):
    return Reciprocal.apply(_floating("reciprocal", x))


def sin(x):
    return Sin.apply(_floating("sin", x))


def cos(x):
    return Cos.apply(_floating("cos", x))


def erf(x):
    return Erf.apply(_floating("erf", x))


def square(x):
    if isinstance(x, Tensor) and x.array.dtype.kind == "b":
        x = Tensor._make(x.array.astype(backend.int64))  # as in PyTorch: True² is 1, an integer
    return Square.apply(_numeric("square", x))


def abs(x):
    return Abs.apply(_numeric("abs", x))


def sign(x):
    if isinstance(x, Tensor) and x.array.dtype.kind == "b":
        return Tensor._make(x.array.copy())  # the sign of a bool is itself (NumPy has no loop)
    return Sign.apply(_numeric("sign", x))


TENSOR_METHODS = {name: globals()[name] for name in __all__}
TENSOR_METHODS["__abs__"] = abs
