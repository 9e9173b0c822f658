"""nn.init: fill a tensor in place from the distributions layers are initialized with.

Formulas as in torch.nn.init (Glorot & Bengio 2010 for xavier, He et al. 2015 for kaiming,
Saxe et al. 2013 for orthogonal). Every draw comes from the generator given (a
chainrule.Generator), or else from the global one that manual_seed sets.
"""
import math
import warnings

from chainrule.grad_mode import no_grad
from chainrule.backend import xp
from chainrule.random import rng

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")
_NONLINEARITIES = _LINEAR + ("tanh", "relu", "leaky_relu", "selu")


def calculate_gain(nonlinearity, param=None):
    """The factor that keeps activations' variance steady through a layer of this nonlinearity
    (torch's table: 1 for linear, conv and sigmoid, 5/3 for tanh, √2 for relu,
    √(2 / (1 + slope²)) for leaky_relu (slope param, default 0.01), 3/4 for selu)."""
    if nonlinearity in _LINEAR:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            param = 0.01
        elif isinstance(param, bool) or not isinstance(param, (int, float)):
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a valid number")
        return math.sqrt(2.0 / (1 + param ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4  # torch's choice, found empirically for self-normalizing networks
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; one of "
                     f"{', '.join(_NONLINEARITIES)}")


def calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor of at least 2 dims, got shape "
                         f"{tuple(tensor.shape)}")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


_calculate_fan_in_and_fan_out = calculate_fan_in_and_fan_out  # the name torch code calls


def _calculate_correct_fan(tensor, mode):
    """fan_in or fan_out (mode, either case) of a weight of at least 2 dims."""
    if not isinstance(mode, str) or mode.lower() not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode.lower() == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0, generator=None):
    with no_grad():
        return tensor.uniform_(a, b, generator=generator)


def normal_(tensor, mean=0.0, std=1.0, generator=None):
    with no_grad():
        return tensor.normal_(mean, std, generator=generator)


def constant_(tensor, val):
    with no_grad():
        return tensor.fill_(val)


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain=1.0, generator=None):
    """U(±gain·√(6 / (fan_in + fan_out)))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, generator)


def xavier_normal_(tensor, gain=1.0, generator=None):
    """N(0, gain²·2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)), generator)


def _kaiming_std(tensor, a, mode, nonlinearity):
    return calculate_gain(nonlinearity, a) / math.sqrt(_calculate_correct_fan(tensor, mode))


def _is_empty(tensor):
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return True
    return False


def kaiming_uniform_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """U(±√3 std) with std = gain / √fan: the variance He et al. (2015) derive."""
    if _is_empty(tensor):
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator)


def kaiming_normal_(tensor, a=0.0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
    """N(0, std²) with std = gain / √fan."""
    if _is_empty(tensor):
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity), generator)


def orthogonal_(tensor, gain=1.0, generator=None):
    """Fill with a (semi-)orthogonal matrix: the Q of a QR decomposition of a Gaussian matrix,
    signs fixed so that the distribution is uniform (Haar)."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: needs at least 2 dims, got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = rng(generator, "orthogonal_").standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = xp.linalg.qr(flat)
    q = q * xp.sign(xp.diag(r))
    if rows < cols:
        q = q.T
    with no_grad():
        return tensor.fill_((gain * q).reshape(tensor.shape).astype(tensor.dtype))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0, generator=None):
    """N(mean, std²) restricted to [a, b] (absolute bounds, as in torch), by rejection: from the
    normal while [a, b] holds more than 30 % of its mass, else (far tails) from U(a, b) accepted
    with probability exp(−((x − mean)/std)²/2) relative to its peak on [a, b], as torch does."""
    if not a < b:
        raise ValueError(f"trunc_normal_: need a < b, got a={a}, b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("mean is more than 2 std from [a, b] in nn.init.trunc_normal_. The "
                      "distribution of values may be incorrect.", stacklevel=2)
    draw = rng(generator, "trunc_normal_")
    mass = _normal_cdf((b - mean) / std) - _normal_cdf((a - mean) / std)
    sample = _from_normal if mass > 0.3 else _from_uniform
    with no_grad():
        return tensor.fill_(sample(draw, tensor.shape, mean, std, a, b).astype(tensor.dtype))


def _normal_cdf(x):
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def _from_normal(draw, shape, mean, std, a, b):
    values = draw.normal(mean, std, shape)
    outside = (values < a) | (values > b)
    while outside.any():
        values[outside] = draw.normal(mean, std, int(outside.sum()))
        outside = (values < a) | (values > b)
    return values


def _from_uniform(draw, shape, mean, std, a, b):
    log_peak = -0.5 * ((max(a, min(mean, b)) - mean) / std) ** 2
    values = xp.empty(shape)
    pending = xp.ones(shape, dtype=bool)
    while pending.any():
        count = int(pending.sum())
        candidates = draw.uniform(a, b, count)
        log_density = -0.5 * ((candidates - mean) / std) ** 2 - log_peak
        accepted = xp.log(draw.random(count)) <= log_density
        slots = xp.flatnonzero(pending)[accepted]
        values.flat[slots] = candidates[accepted]
        pending.flat[slots] = False
    return values


def eye_(tensor):
    """The identity matrix (a 2-D tensor), as in torch: keeps the input's identity in Linear."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only 2-D tensors are supported, got shape "
                         f"{tuple(tensor.shape)}")
    with no_grad():
        return tensor.fill_(xp.eye(*tensor.shape, dtype=tensor.dtype))


def dirac_(tensor, groups=1):
    """The Dirac delta of a convolution weight (out, in/groups, *kernel), 3-, 4- or 5-D: a
    convolution with it passes its input through (channel d of each group to output d of that
    group, at the kernel's center ⌊k/2⌋; extra outputs stay zero)."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: only tensors with 3, 4, or 5 dimensions are supported, got "
                         f"shape {tuple(tensor.shape)}")
    if isinstance(groups, bool) or not isinstance(groups, int) or groups < 1:
        raise ValueError(f"dirac_: groups must be a positive integer, got {groups!r}")
    if tensor.shape[0] % groups != 0:
        raise ValueError(f"dirac_: dim 0 must be divisible by groups, got shape "
                         f"{tuple(tensor.shape)} and groups={groups}")
    per_group = tensor.shape[0] // groups
    channels = xp.arange(min(per_group, tensor.shape[1]))
    center = tuple(size // 2 for size in tensor.shape[2:])
    delta = xp.zeros(tensor.shape, dtype=tensor.dtype)
    for group in range(groups):
        delta[(group * per_group + channels, channels) + center] = 1
    with no_grad():
        return tensor.fill_(delta)


def sparse_(tensor, sparsity, std=0.01, generator=None):
    """A 2-D weight drawn from N(0, std²) with ⌈sparsity·rows⌉ entries of every column set to
    zero, in rows drawn afresh per column (Martens, 2010). torch draws the rows from the global
    generator even when given one; chainrule draws everything from the generator given."""
    if tensor.ndim != 2:
        raise ValueError(f"sparse_: only tensors with 2 dimensions are supported, got shape "
                         f"{tuple(tensor.shape)}")
    if not 0 <= sparsity <= 1:
        raise ValueError(f"sparse_: sparsity is the fraction of each column set to zero, in "
                         f"[0, 1]; got {sparsity}")
    if not std >= 0:
        raise ValueError(f"sparse_: std must be >= 0, got {std}")
    rows, cols = tensor.shape
    draw = rng(generator, "sparse_")
    values = draw.normal(0.0, std, (rows, cols))
    # the first ⌈sparsity·rows⌉ rows of a random permutation, per column
    zero_rows = xp.argsort(draw.random((rows, cols)), axis=0)[:math.ceil(sparsity * rows)]
    xp.put_along_axis(values, zero_rows, 0.0, axis=0)
    with no_grad():
        return tensor.fill_(values.astype(tensor.dtype))


def _deprecated(function):
    """torch's old names without the underscore: the same function, with torch's warning."""
    new_name = function.__name__
    old_name = new_name[:-1]

    def deprecated(*args, **kwargs):
        warnings.warn(f"`nn.init.{old_name}` is now deprecated in favor of `nn.init.{new_name}`.",
                      FutureWarning, stacklevel=2)
        return function(*args, **kwargs)
    deprecated.__name__ = deprecated.__qualname__ = old_name
    deprecated.__doc__ = f"Deprecated: use {new_name}."
    return deprecated


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
