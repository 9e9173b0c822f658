"""Random draws shaped by tensors: bernoulli, normal (its four overloads), poisson, and the
in-place fills Tensor.bernoulli_, exponential_, geometric_, log_normal_, cauchy_ and random_.

Each takes `generator=` (a chainrule.Generator, an int seed, or None for the global generator
that manual_seed sets). The draws carry no gradient: torch's gradient of a draw with respect to
its parameters is zero.
"""
from chainrule import backend
from chainrule.backend import xp
from chainrule.ops.dims import tensor_argument
from chainrule.placement import check_placement
from chainrule.random import rng
from chainrule.size import as_size
from chainrule.tensor import Tensor

__all__ = ["bernoulli", "normal", "poisson"]


def _check_probability(name, p):
    p = xp.asarray(p)
    if p.size and not ((p >= 0) & (p <= 1)).all():
        raise RuntimeError(f"{name}: expects 0 <= p <= 1, got values from {p.min()} to {p.max()}")
    return p


def bernoulli(input, p=None, *, generator=None):
    """1 with probability input (or p, for each entry of input's shape), else 0; input's dtype."""
    x = tensor_argument("bernoulli", input).array
    if x.dtype.kind != "f":
        raise RuntimeError(f"bernoulli: expected a floating point tensor of probabilities, got "
                           f"{input.dtype}")
    p = _check_probability("bernoulli", x if p is None else p)
    draws = rng(generator, "bernoulli").random(x.shape) < p
    return Tensor._make(draws.astype(x.dtype))


def _value(x):
    return x.array if isinstance(x, Tensor) else x


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, pin_memory=False, requires_grad=False):
    """Draws from N(mean, std²): mean and std tensors (broadcast) or numbers; with two numbers,
    `size` gives the shape. torch's factory keywords as its overload with size takes them."""
    check_placement("normal", device, layout, pin_memory)
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    std_array = xp.asarray(_value(std))
    if std_array.size and not (std_array >= 0).all():
        raise RuntimeError(f"normal: expects std >= 0.0, got values down to {std_array.min()}")
    if tensors:
        if size is not None:
            raise RuntimeError("normal: size= is only accepted when mean and std are numbers")
        for t in tensors:
            if t.array.dtype.kind != "f":
                raise RuntimeError(f"normal: expected floating point mean and std, got {t.dtype}")
        try:
            shape = xp.broadcast_shapes(*[xp.shape(_value(v)) for v in (mean, std)])
        except ValueError:
            raise RuntimeError(f"normal: mean of shape {xp.shape(_value(mean))} and std of shape "
                               f"{xp.shape(_value(std))} cannot be broadcast") from None
        dtype = backend.to_dtype(dtype) if dtype is not None else tensors[0].array.dtype
    else:
        if size is None:
            raise TypeError("normal: with a number mean and std, size= must be given")
        shape = tuple(as_size(size))
        dtype = backend.to_dtype(dtype if dtype is not None else backend.get_default_dtype())
    noise = rng(generator, "normal").standard_normal(shape)
    result = Tensor._make((_value(mean) + _value(std) * noise).astype(dtype))
    if out is not None:
        out.copy_(result)
        return out
    return result.requires_grad_(True) if requires_grad else result


def poisson(input, generator=None):
    """Draws from Poisson(rate) for each rate in input; input's dtype."""
    rate = tensor_argument("poisson", input).array
    if rate.size and not (rate >= 0).all():
        raise RuntimeError(f"poisson: expects the rates to be >= 0, got values down to "
                           f"{rate.min()}")
    return Tensor._make(rng(generator, "poisson").poisson(rate).astype(rate.dtype))


# ----- in-place fills -----------------------------------------------------------------------------
def _fill(x, name, array):
    return x._update(name, lambda t: Tensor._make(xp.asarray(array).astype(t.array.dtype)))


def _broadcasts(shape, target):
    try:
        xp.broadcast_shapes(shape, target)
        return True
    except ValueError:
        return False


def bernoulli_(x, p=0.5, *, generator=None):
    """x filled with 1 (probability p, a number or a tensor broadcast to x) or 0."""
    p = _check_probability("bernoulli_", _value(p))
    if not _broadcasts(p.shape, x.shape) or xp.broadcast_shapes(p.shape, x.shape) != x.shape:
        raise RuntimeError(f"bernoulli_: p of shape {p.shape} cannot be broadcast to the tensor's "
                           f"shape {x.shape}")
    return _fill(x, "bernoulli_", rng(generator, "bernoulli_").random(x.shape) < p)


def exponential_(x, lambd=1.0, *, generator=None):
    """x filled with draws from Exp(lambd) (mean 1 / lambd)."""
    if not lambd > 0:
        raise RuntimeError(f"exponential_: expects lambda > 0.0, but found lambda={lambd}")
    return _fill(x, "exponential_", rng(generator, "exponential_").exponential(1 / lambd, x.shape))


def geometric_(x, p, *, generator=None):
    """x filled with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    if not 0 < p < 1:
        raise RuntimeError(f"geometric_: expects p to be in (0, 1), got p={p}")
    return _fill(x, "geometric_", rng(generator, "geometric_").geometric(p, x.shape))


def log_normal_(x, mean=1.0, std=2.0, *, generator=None):
    """x filled with exp of draws from N(mean, std²)."""
    if not std > 0:
        raise RuntimeError(f"log_normal_: expects std > 0.0, but found std={std}")
    return _fill(x, "log_normal_", rng(generator, "log_normal_").lognormal(mean, std, x.shape))


def cauchy_(x, median=0.0, sigma=1.0, *, generator=None):
    """x filled with draws from Cauchy(median, sigma)."""
    if not sigma > 0:
        raise RuntimeError(f"cauchy_: expects sigma > 0.0, but found sigma={sigma}")
    draws = median + sigma * rng(generator, "cauchy_").standard_cauchy(x.shape)
    return _fill(x, "cauchy_", draws)


def random_(x, from_=0, to=None, *, generator=None):
    """x filled with integers uniform on [from, to - 1]: random_(to), random_(from, to), or
    random_() for [0, 2^mantissa] (floats) or [0, the dtype's max] (integers)."""
    if to is None and from_ != 0:
        from_, to = 0, from_                       # random_(to)
    if to is None:
        kind = x.array.dtype.kind
        to = (2 ** (xp.finfo(x.array.dtype).nmant + 1) + 1 if kind == "f" else
              2 if kind == "b" else int(xp.iinfo(x.array.dtype).max))
    if not from_ < to:
        raise RuntimeError(f"random_: expects 'from' to be less than 'to', but got from={from_} "
                           f">= to={to}")
    draws = rng(generator, "random_").integers(from_, to, size=x.shape)
    return _fill(x, "random_", draws)


TENSOR_METHODS = {"bernoulli": bernoulli, "bernoulli_": bernoulli_, "exponential_": exponential_,
                  "geometric_": geometric_, "log_normal_": log_normal_, "cauchy_": cauchy_,
                  "random_": random_}
