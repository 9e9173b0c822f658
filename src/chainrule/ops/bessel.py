"""The modified Bessel functions of the first kind I₀ and I₁ (torch.special.i0, i1, and the
scaled i0e, i1e), for Kaiser windows and von Mises densities.

Both are sums of positive terms, (x/2)^(2k+ν) / (k! (k+ν)!), so the series is exact to rounding
for every x (no cancellation); it is summed until the terms stop mattering (about |x| + 30 terms).
"""
from chainrule.autograd.function import Function
from chainrule.backend import xp
from chainrule.ops.compare import where
from chainrule.ops.unary import _floating, exp
from chainrule.ops.unary import abs as absolute
from chainrule.tensor import Tensor

__all__ = ["i0", "i1", "i0e", "i1e"]


class I0(Function):
    """y = I₀(x) = Σ (x/2)^2k / k!²;  dx = dy · I₁(x)"""

    def forward(self, x):
        return bessel_array(0, x)

    def backward(self, grad):
        return grad * I1.apply(self.inputs[0])


class I1(Function):
    """y = I₁(x) = Σ (x/2)^(2k+1) / (k! (k+1)!);  dx = dy · (I₀(x) - I₁(x)/x), 1/2 at x = 0"""

    def forward(self, x):
        return bessel_array(1, x)

    def backward(self, grad):
        x = self.inputs[0]
        zero = Tensor._make(x.array == 0)
        safe = where(zero, Tensor._make(xp.ones((), dtype=x.array.dtype)), x)
        half = Tensor._make(xp.full((), 0.5, dtype=x.array.dtype))
        return grad * where(zero, half, I0.apply(x) - I1.apply(safe) / safe)


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
        return total.astype(x.dtype, copy=False)   # float32 overflows beyond x ≈ 90, as torch's


def i0(input):
    return I0.apply(_floating("i0", input))


def i1(input):
    return I1.apply(_floating("i1", input))


def i0e(input):
    """exp(-|x|) I₀(x)."""
    x = _floating("i0e", input)
    return exp(-absolute(x)) * i0(x)


def i1e(input):
    """exp(-|x|) I₁(x)."""
    x = _floating("i1e", input)
    return exp(-absolute(x)) * i1(x)


TENSOR_METHODS = {"i0": i0}
