"""Special functions NumPy lacks, for torch.special: erfc, erfcx, erfinv, lgamma, the polygamma
functions (digamma is polygamma 0), log_ndtr, and for torch.special's compositions two
primitives whose torch gradients at the ends are conventions a composition cannot give: logit,
entr, sinc, and x·log y (xlogy, xlog1py).

Each is computed in float64 (then cast back) to within a few units in the last place, from
published approximations: Cody's erfc fits (shared with erf in ops/unary.py), Giles' erfinv
starting point polished by Newton's method, and the recurrence plus asymptotic series of the
polygamma functions. Backward formulas use these same ops, so they differentiate again.
"""
import math

from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.broadcast import binary, sum_to
from chainrule.ops.compare import where
from chainrule.ops.unary import (_ERFC_MIDDLE, _ERFC_TAIL, _rational, _floating, cos, erf_array,
                                 exp, log, sin)
from chainrule.tensor import Tensor

__all__ = ["erfc", "erfcx", "erfinv", "lgamma", "digamma", "polygamma", "log_ndtr"]

_TWO_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2 * math.pi)


class Erfc(Function):
    """y = 1 - erf(x), without the cancellation for large x;  dx = -dy · 2/√π · exp(-x²)"""

    def forward(self, x):
        return _in_float64(erfc_array, x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad * exp(-(x * x)) * -_TWO_OVER_SQRT_PI


class Erfcx(Function):
    """y = exp(x²) erfc(x);  dx = dy · (2x y - 2/√π)"""
    save_output = True

    def forward(self, x):
        return _in_float64(erfcx_array, x)

    def backward(self, grad):
        return grad * (2 * self.inputs[0] * self.output() - _TWO_OVER_SQRT_PI)


class Erfinv(Function):
    """y = erf⁻¹(x) (|x| <= 1);  dx = dy · √π/2 · exp(y²)"""
    save_inputs = False
    save_output = True

    def forward(self, x):
        return _in_float64(erfinv_array, x)

    def backward(self, grad):
        y = self.output()
        return grad * exp(y * y) / _TWO_OVER_SQRT_PI


class Lgamma(Function):
    """y = log |Γ(x)|;  dx = dy · ψ(x)"""

    def forward(self, x):
        return _in_float64(lgamma_array, x)

    def backward(self, grad):
        return grad * Polygamma.apply(self.inputs[0], n=0)


class Polygamma(Function):
    """y = ψ⁽ⁿ⁾(x), the n-th derivative of ψ = Γ'/Γ;  dx = dy · ψ⁽ⁿ⁺¹⁾(x)"""

    def forward(self, x, n):
        self.n = n
        result = _in_float64(lambda a: polygamma_array(n, a), x)
        return _trigamma_at_poles(x, result) if n == 1 else result

    def backward(self, grad):
        return grad * Polygamma.apply(self.inputs[0], n=self.n + 1)


class Ndtri(Function):
    """y = Φ⁻¹(p), the standard normal quantile;  dp = dy √(2π) exp(y²/2)"""
    save_inputs = False
    save_output = True

    def forward(self, p):
        return _in_float64(ndtri_array, p)

    def backward(self, grad):
        y = self.output()
        return grad * exp(y * y / 2) * _SQRT_2PI


class LogNdtr(Function):
    """y = log Φ(x), Φ the standard normal CDF, accurate far into the left tail;
    dx = dy · φ(x)/Φ(x) = dy · √(2/π) / erfcx(-x/√2): torch's exp(-x²/2 - y) / √(2π) is the same,
    but loses the digits that x²/2 and y share (1 % at x = -1000 in float32); NaN at -inf, as
    torch's (inf - inf there)"""

    def forward(self, x):
        return _in_float64(log_ndtr_array, x)

    def backward(self, grad):
        x = self.inputs[0]
        t = x * -math.sqrt(0.5)
        # erfcx(t) = 2 exp(t²) - erfcx(-t) overflows for t < -26.6, where φ/Φ is 0 (to double
        # precision): t = 0 there keeps the second derivative 0, not inf / inf
        overflow = t.array < -26.5
        if overflow.any():
            t = where(Tensor._make(overflow), Tensor._make(xp.zeros((), t.array.dtype)), t)
        slope = math.sqrt(2 / math.pi) / Erfcx.apply(t)
        special = overflow | (x.array == -xp.inf)
        if special.any():
            value = xp.where(overflow, 0.0, xp.nan).astype(x.array.dtype)
            slope = where(Tensor._make(special), Tensor._make(value), slope)
        return grad * slope


class Logit(Function):
    """y = log(z / (1 - z)), z = x clamped to [eps, 1 - eps] if eps is given;  dx = dy / (x (1 - x))
    inside [eps, 1 - eps] (or [0, 1]: inf at its ends), 0 outside it (NaN without eps): torch's
    formula, where the composition gave 0 · inf = NaN at 0 and 1"""

    @xp.errstate(divide="ignore", invalid="ignore")   # logit(0) = -inf, logit(2) = nan
    def forward(self, x, eps):
        self.eps = eps
        z = x if eps is None else xp.clip(x, eps, 1 - eps)
        return xp.log(z / (1 - z))

    def backward(self, grad):
        x = self.inputs[0]
        low, high = (0.0, 1.0) if self.eps is None else (self.eps, 1 - self.eps)
        inside = Tensor._make((x.array >= low) & (x.array <= high))
        outside = Tensor._make(xp.full((), xp.nan if self.eps is None else 0.0, x.array.dtype))
        return where(inside, grad / (x * (1 - x)), outside)


class Entr(Function):
    """y = -x log x for x > 0, 0 at 0, -inf below;  dx = -dy (1 + log x): torch's formula, inf at
    0 and NaN below (where the composition gave 0)"""

    @xp.errstate(divide="ignore", invalid="ignore")   # 0 · log 0 = nan, replaced by 0
    def forward(self, x):
        value = -x * xp.log(x)
        value = xp.where(x == 0, xp.zeros((), x.dtype), value)
        return xp.where(x < 0, xp.full((), -xp.inf, x.dtype), value)

    def backward(self, grad):
        return grad * -(1 + log(self.inputs[0]))


class Sinc(Function):
    """y = sin(πx) / (πx), 1 at 0;  dx = dy (πx cos πx - sin πx) / (π x²), 0 where π x² is 0:
    torch's formula, whose numerator is exactly 0 for tiny x (the quotient rule's two terms,
    each about 1/x, cancel to noise there: -7e13 at 1e-20 in float32)"""

    @xp.errstate(invalid="ignore")   # 0 / 0 at x = 0, replaced by 1
    def forward(self, x):
        product = x * x.dtype.type(math.pi)
        return xp.where(x == 0, xp.ones((), x.dtype), xp.sin(product) / product)

    def backward(self, grad):
        x = self.inputs[0]
        product = x * math.pi
        squared = x * x * math.pi
        slope = grad * (product * cos(product) - sin(product)) / squared
        zero = Tensor._make(squared.array == 0)
        return where(zero, Tensor._make(xp.zeros((), slope.array.dtype)), slope)


class XLogY(Function):
    """y = a log b (a log(1 + b) with plus_one), and 0 where a = 0 unless b is nan;
    da = xlogy(dy, b), but 0 where a = 0 and b <= 0 (-1 with plus_one),  db = dy a / b (or
    / (1 + b)): torch's formulas, so 0/0 = nan at a = b = 0 as there"""

    @xp.errstate(divide="ignore", invalid="ignore")   # log 0 = -inf, 0 · -inf = nan (replaced)
    def forward(self, a, b, plus_one):
        self.plus_one = plus_one
        value = binary(lambda u, v: u * (xp.log1p(v) if plus_one else xp.log(v)), "xlogy", a, b)
        return xp.where((a == 0) & ~xp.isnan(b), xp.zeros((), value.dtype), value)

    def backward(self, grad):
        a, b = self.inputs
        need_a, need_b = self.needs_input_grad
        da = db = None
        if need_a:
            pole = (a.array == 0) & (b.array <= (-1 if self.plus_one else 0))
            da = XLogY.apply(grad, b, plus_one=self.plus_one)
            if pole.any():
                da = where(Tensor._make(pole), Tensor._make(xp.zeros((), da.array.dtype)), da)
            da = sum_to(da, a.shape)
        if need_b:
            db = sum_to(grad * a / ((b + 1) if self.plus_one else b), b.shape)
        return da, db


# ----- the arrays ---------------------------------------------------------------------------------
def _in_float64(function, x):
    result = function(x.astype(xp.float64))
    with xp.errstate(over="ignore"):   # beyond float32's range: inf, as torch's float32 gives
        return result.astype(x.dtype, copy=False)


@xp.errstate(over="ignore")   # exp(x²) = inf for x below about -26.6; 1 / y² = 0 for huge y
def erfcx_array(x):
    """exp(x²) erfc(x): Cody's fits for x >= 0.47, exp(x²)(1 - erf x) below (no cancellation
    there), and 2 exp(x²) - erfcx(-x) for negative x."""
    y = xp.abs(x).reshape(-1)
    scaled = xp.full_like(y, xp.nan)   # NaN stays NaN: no region below takes it
    near_0 = y < 0.46875
    scaled[near_0] = xp.exp(y[near_0] ** 2) * (1 - erf_array(y[near_0]))
    middle = ~near_0 & (y <= 4)
    scaled[middle] = _rational(_ERFC_MIDDLE, y[middle])
    tail = y > 4
    z = 1 / (y[tail] * y[tail])
    scaled[tail] = (1 / math.sqrt(math.pi) - z * _rational(_ERFC_TAIL, z)) / y[tail]
    scaled = scaled.reshape(x.shape)
    return xp.where(x < 0, 2 * xp.exp(x * x) - scaled, scaled)


def erfc_array(x):
    with xp.errstate(over="ignore", invalid="ignore"):
        tail = erfcx_array(x) * xp.exp(-x * x)
    result = xp.where(xp.abs(x) < 0.46875, 1 - erf_array(x), tail)
    result = xp.where(x < -0.46875, 2 - erfc_of_positive(-x), result)
    return xp.where(xp.isnan(x), xp.nan, result)


def erfc_of_positive(x):
    with xp.errstate(over="ignore", invalid="ignore"):
        return xp.where(x > 27, 0.0, erfcx_array(xp.minimum(x, 27)) * xp.exp(-x * x))


# M. Giles, "Approximating the erfinv function", GPU Computing Gems (2011): the single-precision
# fit (highest power first), two regions of w = -log(1 - x²).
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                  0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)


def erfinv_array(x):
    """Giles' starting point (7 digits), then Newton steps (each doubles them);
    ±1 give ±inf, |x| > 1 nan."""
    inside = xp.abs(x) < 1
    z = xp.where(inside, x, 0.0)
    w = -xp.log((1 - z) * (1 + z))
    central, tail = w - 2.5, xp.sqrt(w) - 3
    p = xp.where(w < 5, _horner(_GILES_CENTRAL, central), _horner(_GILES_TAIL, tail))
    y = xp.abs(p * z)
    # Newton on erf(y) = |x| near 0; near ±1, where erf(y) would lose the digits that set y, on
    # log erfc(y) = log(1 - |x|) (1 - |x| is exact there), which is nearly linear in y²
    small, log_q = xp.abs(z) < 0.5, xp.log(xp.where(xp.abs(z) < 0.5, 1, 1 - xp.abs(z)))
    for _ in range(4):
        near_0 = (xp.abs(z) - erf_array(y)) / (_TWO_OVER_SQRT_PI * xp.exp(-y * y))
        scaled = erfcx_array(y)
        near_1 = (xp.log(scaled) - y * y - log_q) * scaled / _TWO_OVER_SQRT_PI
        y = y + xp.where(small, near_0, near_1)
    y = xp.copysign(y, z)
    edge = xp.where(xp.abs(x) == 1, xp.copysign(xp.inf, x), xp.nan)
    return xp.where(inside, y, edge)


@xp.errstate(divide="ignore", invalid="ignore")   # p = 0 or 1: ±inf; outside [0, 1]: nan
def ndtri_array(p):
    """Φ⁻¹(p) = √2 erfinv(2p - 1), 2p - 1 exact for p >= 1/4; below, where it would round away
    p's digits (all of them below 1e-17), -√2 erfc⁻¹(2p), by Newton's method on log erfc."""
    result = xp.array(math.sqrt(2) * erfinv_array(2 * p - 1), dtype=xp.float64)  # 0-d too
    small = (p > 0) & (p < 0.25)
    result[small] = -math.sqrt(2) * _erfcinv_below_half(2 * p[small])
    return result


def _erfcinv_below_half(c):
    """y with erfc(y) = c, for 0 < c < 1/2: Newton on log erfc(y) = log c, which is concave, so
    the steps converge from any start; √(-log(c (2 - c))) is within 15 %."""
    y = xp.sqrt(-xp.log(c * (2 - c)))
    log_c = xp.log(c)
    for _ in range(30):
        scaled = erfcx_array(y)
        step = (xp.log(scaled) - y * y - log_c) * scaled / _TWO_OVER_SQRT_PI
        y = y + step
        if not xp.any(xp.abs(step) > 1e-16 * y):
            break
    return y


def _horner(coefficients, w):
    p = xp.full_like(w, coefficients[0])
    for c in coefficients[1:]:
        p = p * w + c
    return p


def _lgamma_scalar(value):
    try:
        return math.lgamma(value)
    except ValueError:   # 0 and the negative integers: poles, where log |Γ| is +inf
        return math.inf


def lgamma_array(x):
    if x.size == 0:
        return x.copy()
    return xp.asarray(xp.frompyfunc(_lgamma_scalar, 1, 1)(x), dtype=xp.float64)


# the Bernoulli numbers B_2k, k = 1..8, of the asymptotic series of ψ and its derivatives
_BERNOULLI = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def polygamma_array(n, x):
    """ψ⁽ⁿ⁾(x): the recurrence ψ⁽ⁿ⁾(x) = ψ⁽ⁿ⁾(x + 1) - (-1)ⁿ n!/x^(n+1) lifts x above 15, where
    the asymptotic series is exact to double precision; ψ itself uses the reflection formula
    below 0.5, and ψ' (as torch's) below 0: ψ'(x) = π²/sin²(πx) - ψ'(1 - x)."""
    x = xp.asarray(x, dtype=xp.float64)
    if n == 0:
        return _digamma(x)
    if n == 1 and xp.any(x < 0):
        with xp.errstate(divide="ignore", invalid="ignore"):   # sin(-inf) = nan, as torch's
            reflect = x < 0
            value = polygamma_array(1, xp.where(reflect, 1 - x, x))
            return xp.where(reflect, math.pi ** 2 / xp.sin(math.pi * x) ** 2 - value, value)
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        shift = xp.where(xp.isfinite(x), xp.maximum(xp.ceil(15 - x), 0), 0)
        steps = int(shift.max(initial=0))
        if steps > 100000:
            raise NotImplementedError(f"polygamma: x down to {xp.nanmin(x)} is too far below 0 "
                                      f"for n = {n}")
        total = xp.zeros_like(x)
        sign = (-1) ** (n + 1)
        for k in range(steps):
            total += xp.where(k < shift, 1.0 / (x + k) ** (n + 1), 0.0)
        total *= sign * math.factorial(n)
        return total + _polygamma_series(n, x + shift)


@xp.errstate(invalid="ignore")   # sin(-inf) = nan, as torch's
def _trigamma_at_poles(x, result):
    """ψ'(x) at the negative integers as torch computes it (so digamma's gradient there is
    torch's): its reflection formula's π²/sin²(πx), in x's dtype, where sin(πx) is a rounding
    error away from 0: 6.6e32 at -1 in float64, 1.3e15 in float32, where the pole itself is inf."""
    poles = (x < 0) & (x == xp.floor(x))
    if not poles.any():
        return result
    pi = x.dtype.type(math.pi)
    sine = xp.sin(pi * x[poles])
    result[poles] = pi * pi / (sine * sine)
    return result


def _polygamma_series(n, x):
    terms = math.factorial(n - 1) / x ** n + math.factorial(n) / (2 * x ** (n + 1))
    for k, b in enumerate(_BERNOULLI, start=1):
        weight = math.factorial(2 * k + n - 1) / math.factorial(2 * k)
        terms = terms + b * weight / x ** (2 * k + n)
    return (-1) ** (n + 1) * terms


def _digamma(x):
    with xp.errstate(divide="ignore", invalid="ignore", over="ignore"):
        reflect = x < 0.5
        z = xp.where(reflect, 1 - x, x)
        shift = xp.where(xp.isfinite(z), xp.maximum(xp.ceil(15 - z), 0), 0)
        total = xp.zeros_like(z)
        for k in range(int(shift.max(initial=0))):
            total -= xp.where(k < shift, 1.0 / (z + k), 0.0)
        w = z + shift
        series = xp.log(w) - 0.5 / w
        for k, b in enumerate(_BERNOULLI, start=1):
            series = series - b / (2 * k * w ** (2 * k))
        value = total + series
        reflected = value - math.pi / xp.tan(math.pi * x)
        result = xp.where(reflect, reflected, value)
        result = xp.where((x <= 0) & (x == xp.floor(x)), xp.nan, result)
        return xp.where(x == 0, xp.where(xp.signbit(x), xp.inf, -xp.inf), result)


def log_ndtr_array(x):
    """log Φ(x) = log(erfc(-x/√2)/2): through erfcx in the left tail, where Φ underflows."""
    t = -x / math.sqrt(2)
    with xp.errstate(over="ignore", divide="ignore", invalid="ignore"):
        tail = xp.log(erfcx_array(xp.maximum(t, 1.0))) - t * t - math.log(2)
        near = xp.log1p(-0.5 * erfc_of_positive(xp.maximum(-t, 0.0)))
        middle = xp.log(0.5 * erfc_array(t))
    return xp.where(t > 1, tail, xp.where(t < -1, near, middle))


# ----- the functions -----------------------------------------------------------------------------
def erfc(x):
    return Erfc.apply(_floating("erfc", x))


def erfcx(x):
    return Erfcx.apply(_floating("erfcx", x))


def erfinv(x):
    return Erfinv.apply(_floating("erfinv", x))


def lgamma(x):
    return Lgamma.apply(_floating("lgamma", x))


def digamma(x):
    return Polygamma.apply(_floating("digamma", x), n=0)


def polygamma(n, x):
    if int(n) != n or n < 0:
        raise RuntimeError(f"polygamma: n must be a non-negative integer, got {n!r}")
    return Polygamma.apply(_floating("polygamma", x), n=int(n))


def log_ndtr(x):
    return LogNdtr.apply(_floating("log_ndtr", x))


def _polygamma_method(self, n):
    return polygamma(n, self)


TENSOR_METHODS = {"erfc": erfc, "erfinv": erfinv, "lgamma": lgamma, "digamma": digamma,
                  "polygamma": _polygamma_method}
