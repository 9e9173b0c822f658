"""torch.special: the error, gamma and normal-distribution functions, the x·log y family, and
aliases of functions chainrule has elsewhere (expit is sigmoid, psi is digamma ...).

The primitives NumPy lacks are Functions in ops/specfun.py; the rest are compositions of ops.
"""
import math

from chainrule.ops.activation import log_softmax as _log_softmax
from chainrule.ops.activation import sigmoid, softmax as _softmax
from chainrule.ops.bessel import i0, i0e, i1, i1e
from chainrule.ops.dtypes import operands
from chainrule.ops.reduce import logsumexp
from chainrule.ops.rounding import round as _round
from chainrule.ops.specfun import digamma, erfc, erfcx, erfinv, log_ndtr, polygamma
from chainrule.ops.specfun import lgamma as gammaln
from chainrule.ops.specfun import Entr, Logit, Ndtri, Sinc, XLogY
from chainrule.ops.trig import exp2
from chainrule.ops.unary import _floating, erf, expm1, log1p
from chainrule.tensor import Tensor

__all__ = ["expit", "logit", "erf", "erfc", "erfcx", "erfinv", "xlogy", "xlog1py", "gammaln",
           "digamma", "psi", "polygamma", "multigammaln", "entr", "log1p", "expm1", "exp2",
           "logsumexp", "softmax", "log_softmax", "sinc", "round", "ndtr", "ndtri", "log_ndtr",
           "i0", "i0e", "i1", "i1e", "modified_bessel_i0", "modified_bessel_i1"]

psi = digamma
modified_bessel_i0, modified_bessel_i1 = i0, i1   # torch's longer names for the same functions
_SQRT_2 = math.sqrt(2)


def expit(input):
    """1 / (1 + exp(-x)), the logistic sigmoid."""
    return sigmoid(input)


def logit(input, eps=None):
    """log(x / (1 - x)), x first clamped to [eps, 1 - eps] when eps is given."""
    return Logit.apply(_floating("logit", input), eps=None if eps is None else float(eps))


def xlogy(input, other):
    """x · log y, and 0 where x = 0 (unless y is nan); dx = log y (0 where x = 0 and y <= 0),
    dy = x / y (nan at x = y = 0), as torch's."""
    x, y = operands("xlogy", input, other)
    return XLogY.apply(_floating("xlogy", x), _floating("xlogy", y), plus_one=False)


def xlog1py(input, other):
    """x · log(1 + y), and 0 where x = 0 (unless y is nan); dx = log(1 + y) (0 where x = 0 and
    y <= -1), dy = x / (1 + y), as torch's."""
    x, y = operands("xlog1py", input, other)
    return XLogY.apply(_floating("xlog1py", x), _floating("xlog1py", y), plus_one=True)


def multigammaln(input, p):
    """log of the multivariate gamma function: p(p-1)/4 · log π + Σ_{j<p} gammaln(x - j/2)."""
    x = _floating("multigammaln", input)
    if p < 1:
        raise RuntimeError(f"multigammaln: p must be at least 1, got {p}")
    if x.array.size and not bool((x.array > (p - 1) / 2).all()):
        raise RuntimeError(f"multigammaln: all elements must be greater than (p-1)/2 = "
                           f"{(p - 1) / 2}, got a minimum of {x.array.min()}")
    total = gammaln(x)
    for j in range(1, p):
        total = total + gammaln(x - j / 2)
    return total + p * (p - 1) / 4 * math.log(math.pi)


def entr(input):
    """-x log x for x > 0, 0 at 0, -inf for x < 0; dx = -(1 + log x), as torch's."""
    return Entr.apply(_floating("entr", input))


def sinc(input):
    """sin(πx) / (πx), and 1 at 0 (the normalized sinc)."""
    return Sinc.apply(_floating("sinc", input))


def ndtr(input):
    """Φ(x) = erfc(-x/√2) / 2, the standard normal CDF."""
    x = _floating("ndtr", input)
    return 0.5 * erfc(-x / _SQRT_2)


def ndtri(input):
    """Φ⁻¹(p), the standard normal quantile, accurate down to the smallest p (where √2 erfinv(2p
    - 1) would lose p's digits)."""
    return Ndtri.apply(_floating("ndtri", input))


def softmax(input, dim, *, dtype=None):
    return _softmax(input, dim, dtype)


def log_softmax(input, dim, *, dtype=None):
    return _log_softmax(input, dim, dtype)


def round(input, *, decimals=0):
    return _round(input, decimals)


# torch's Tensor methods (x.logit(), x.xlogy(y), x.sinc(), x.mvlgamma(p)) among these functions:
# bound onto Tensor here, as this layer loads, since the ops below may not import it.
TENSOR_METHODS = {"logit": logit, "xlogy": xlogy, "sinc": sinc, "mvlgamma": multigammaln}
for _name, _function in TENSOR_METHODS.items():
    setattr(Tensor, _name, _function)

# What torch.special has and chainrule leaves out.
_MISSING = ("bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_k0",
            "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1",
            "spherical_bessel_j0", "airy_ai", "zeta",
            "gammainc", "gammaincc", "chebyshev_polynomial_t", "hermite_polynomial_h",
            "laguerre_polynomial_l", "legendre_polynomial_p", "chebyshev_polynomial_u",
            "chebyshev_polynomial_v", "chebyshev_polynomial_w", "hermite_polynomial_he",
            "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u",
            "shifted_chebyshev_polynomial_v", "shifted_chebyshev_polynomial_w")


def __getattr__(name):
    if name in _MISSING:
        raise AttributeError(f"chainrule has no torch.special.{name}: write it from the "
                             "functions chainrule.special has, or compute it outside the graph "
                             "with NumPy and wrap the result with chainrule.tensor")
    raise AttributeError(f"module 'chainrule.special' has no attribute {name!r} (it has: "
                         f"{', '.join(__all__)})")
