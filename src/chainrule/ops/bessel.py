"""The modified Bessel functions of the first kind I₀ and I₁ (torch.special.i0, i1, and the
scaled i0e, i1e), for Kaiser windows and von Mises densities.

Both are sums of positive terms, (x/2)^(2k+ν) / (k! (k+ν)!), so the series is exact to rounding
for every x (no cancellation); it is summed until the terms stop mattering (about |x| + 30 terms).
The scaled forms are computed as themselves, not as exp(-|x|) times Iν(x) (which is inf · 0 = nan
beyond x ≈ 713, or 90 in float32): the series times exp(-|x|) up to |x| = 30, and beyond it the
asymptotic series of e^-x Iν(x), which by then is exact to double precision in a few terms.
"""
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.compare import where
from chainrule.ops.unary import _floating, sign_array
from chainrule.tensor import Tensor

__all__ = ["i0", "i1", "i0e", "i1e"]


class I0(Function):
    """y = I₀(x) = Σ (x/2)^2k / k!²;  dx = dy · I₁(x)"""

    def forward(self, x):
        return bessel_array(0, x)

    def backward(self, grad):
        return grad * I1.apply(self.inputs[0])


class I1(Function):
    """y = I₁(x) = Σ (x/2)^(2k+1) / (k! (k+1)!);  dx = dy · (I₀(x) - I₁(x)/x), and 1/2 where
    |x| <= eps, or x is NaN (torch's test, |x| > eps, is false there)"""

    def forward(self, x):
        return bessel_array(1, x)

    def backward(self, grad):
        x = self.inputs[0]
        tiny = Tensor._make(~(xp.abs(x.array) > xp.finfo(x.array.dtype).eps))
        safe = where(tiny, Tensor._make(xp.ones((), dtype=x.array.dtype)), x)
        half = Tensor._make(xp.full((), 0.5, dtype=x.array.dtype))
        return grad * where(tiny, half, I0.apply(safe) - I1.apply(safe) / safe)


class I0e(Function):
    """y = e^-|x| I₀(x);  dx = dy · (i1e(x) - sign(x) y)"""
    save_output = True

    def forward(self, x):
        return scaled_bessel_array(0, x)

    def backward(self, grad):
        x = self.inputs[0]
        return grad * (I1e.apply(x) - _sign(x) * self.output())


class I1e(Function):
    """y = e^-|x| I₁(x);  dx = dy · (i0e(x) - y (sign(x) + 1/x)), and 1/2 for |x| <= eps (as
    torch's, which keeps 1/x finite there)"""
    save_output = True

    def forward(self, x):
        return scaled_bessel_array(1, x)

    def backward(self, grad):
        x = self.inputs[0]
        dtype = x.array.dtype
        tiny = Tensor._make(~(xp.abs(x.array) > xp.finfo(dtype).eps))   # NaN too, as torch
        safe = where(tiny, Tensor._make(xp.full((), xp.finfo(dtype).eps, dtype=dtype)), x)
        slope = I0e.apply(safe) - self.output() * (_sign(safe) + 1 / safe)
        return grad * where(tiny, Tensor._make(xp.full((), 0.5, dtype=dtype)), slope)


def _sign(x):
    """sign(x) as a constant: its derivative is 0."""
    return Tensor._make(sign_array(x.array))


def bessel_array(order, x):
    """Iν(x) for ν = 0 or 1, in float64, summed term by term."""
    wide = x.astype(xp.float64)
    limit = int(xp.abs(wide[xp.isfinite(wide)]).max(initial=0)) + 40
    with xp.errstate(over="ignore", invalid="ignore"):   # Iν(x) = inf beyond x ≈ 713
        quarter = (wide / 2) ** 2
        term = xp.ones_like(wide) if order == 0 else wide / 2
        total = term.copy()
        for k in range(1, limit):
            term = term * quarter / (k * (k + order))
            total = total + term
            if not xp.any(xp.abs(term) > xp.abs(total) * 1e-17):
                break
        total = xp.where(xp.isinf(wide), xp.nan, total)   # torch's Iν(±inf): e^x / √x = inf / inf
        return total.astype(x.dtype, copy=False)   # float32 overflows beyond x ≈ 90, as torch's


_SERIES_UP_TO = 30.0   # |x| beyond which the asymptotic series of e^-|x| Iν(x) is used


def scaled_bessel_array(order, x):
    """e^-|x| Iν(x) for ν = 0 or 1, in float64: the series times e^-|x| for |x| <= 30, the
    asymptotic series beyond (I₁ is odd, I₀ even)."""
    wide = x.astype(xp.float64)
    size = xp.abs(wide)
    near = size <= _SERIES_UP_TO
    result = xp.empty_like(wide)
    result[near] = bessel_array(order, wide[near]) * xp.exp(-size[near])
    far = ~near & ~xp.isnan(wide)
    result[far] = _asymptotic(order, size[far]) * (xp.sign(wide[far]) if order else 1.0)
    result[xp.isnan(wide)] = xp.nan
    return result.astype(x.dtype, copy=False)


def _asymptotic(order, a):
    """e^-a Iν(a) = (2πa)^-½ Σ_k (-1)^k Π_{j<=k} (4ν² - (2j-1)²) / (k! (8a)^k), for a > 30: its
    terms fall below 1e-17 of the sum within about 20 terms (the smallest is about e^-2a)."""
    with xp.errstate(divide="ignore", invalid="ignore"):   # a = inf: the sum is 1, the value 0
        term = xp.ones_like(a)
        total = term.copy()
        mu = 4.0 * order * order
        for k in range(1, 60):
            term = term * -(mu - (2 * k - 1) ** 2) / (k * 8 * a)
            total = total + term
            if not xp.any(xp.abs(term) > xp.abs(total) * 1e-17):
                break
        return total / xp.sqrt(2 * xp.pi * a)


def i0(input):
    return I0.apply(_floating("i0", input))


def i1(input):
    return I1.apply(_floating("i1", input))


def i0e(input):
    """exp(-|x|) I₀(x), finite for every x."""
    return I0e.apply(_floating("i0e", input))


def i1e(input):
    """exp(-|x|) I₁(x), finite for every x."""
    return I1e.apply(_floating("i1e", input))


TENSOR_METHODS = {"i0": i0}
