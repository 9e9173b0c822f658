"""Normalization layers' functional forms: batch_norm, instance_norm, layer_norm, group_norm,
composed of primitive ops; layer_norm is one fused op (ops.fused.LayerNormFunction).

Each standardises x to zero mean and unit variance over some dims, then scale and shift:
y = (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance (divide by n), as torch.
"""
import math

from chainrule.backend import xp
from chainrule.grad_mode import no_grad
from chainrule.ops.fused import layer_norm_last
from chainrule.ops.join import cat
from chainrule.tensor import Tensor

__all__ = ["batch_norm", "group_norm", "instance_norm", "layer_norm", "local_response_norm",
           "normalize", "rms_norm"]


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalize each channel (dim 1) of input over the batch and any spatial dims.

    training=True: normalize with the batch's statistics and, if running_mean/running_var are
    given, update them in place: r <- (1 - momentum) r + momentum * batch statistic, where the
    variance stored is the unbiased one (n / (n - 1) times the biased one used to normalize).
    training=False: normalize with running_mean and running_var.
    Shape: input (N, C) or (N, C, *); running statistics, weight and bias (C,).
    """
    _check_batch_norm_arguments(input, running_mean, running_var, weight, bias, training, eps)
    channel_shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    if not training:
        return _running_affine(input, running_mean, running_var, weight, bias, eps, channel_shape)
    mean, centered, var = _moments(input, (0,) + tuple(range(2, input.ndim)))
    if running_mean is not None:
        _update_running_stats(running_mean, running_var, mean, var, momentum,
                              input.numel() // input.shape[1])
    return _affine(centered, (var + eps).rsqrt(), weight, bias, channel_shape)


def _moments(input, axes):
    """mean, input - mean and the biased variance over axes, kept for broadcasting."""
    mean = input.mean(axes, keepdim=True)
    centered = input - mean
    return mean, centered, centered.square().mean(axes, keepdim=True)


def _running_affine(input, running_mean, running_var, weight, bias, eps, channel_shape):
    """Normalize with the stored statistics, then scale and shift per channel."""
    centered = input - running_mean.reshape(channel_shape)
    scale = (running_var + eps).rsqrt().reshape(channel_shape)
    return _affine(centered, scale, weight, bias, channel_shape)


def _affine(centered, scale, weight, bias, channel_shape):
    # weight joins the per-channel scale before the full-size multiply: one pass over x, not two
    if weight is not None:
        scale = scale * weight.reshape(channel_shape)
    out = centered * scale
    return out if bias is None else out + bias.reshape(channel_shape)


def _update_running_stats(running_mean, running_var, mean, var, momentum, count):
    channels = running_mean.shape
    with no_grad():
        unbiased = var.detach().reshape(channels) * (count / (count - 1))
        running_mean.copy_(mean.detach().reshape(channels) * momentum
                           + running_mean * (1 - momentum))
        running_var.copy_(unbiased * momentum + running_var * (1 - momentum))


def _check_batch_norm_arguments(input, running_mean, running_var, weight, bias, training, eps):
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C) or (N, C, *), got "
                         f"{input.shape}")
    channels = input.shape[1]
    if not training and (running_mean is None or running_var is None):
        raise RuntimeError("batch_norm: running_mean and running_var must be given in evaluation "
                           "mode (training=False)")
    if (running_mean is None) != (running_var is None):
        raise RuntimeError("batch_norm: give both running_mean and running_var, or neither")
    _check_per_channel("batch_norm", input, running_mean=running_mean, running_var=running_var,
                       weight=weight, bias=bias)
    if training and input.numel() // max(channels, 1) <= 1:
        # one value per channel has no variance: the output would be 0 and the unbiased var 0/0
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got "
                         f"input of shape {input.shape}")
    if eps < 0 or (training and eps == 0):
        raise ValueError(f"batch_norm: eps must be positive (non-negative in evaluation), got "
                         f"{eps}")


def _check_per_channel(function, input, **tensors):
    channels = input.shape[1]
    for name, value in tensors.items():
        if value is not None and value.shape != (channels,):
            raise RuntimeError(f"{function}: {name} should have shape ({channels},) for input "
                               f"of shape {input.shape} (C = {channels}), got {value.shape}")


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalize each channel of each sample over its spatial dims (Ulyanov, Vedaldi & Lempitsky
    2016), then scale and shift per channel.

    use_input_stats=True: normalize with each instance's statistics and, if running_mean and
    running_var are given, update them in place with the batch's average of those statistics:
    r <- (1 - momentum) r + momentum * mean over the batch (unbiased variances, as batch_norm).
    use_input_stats=False: normalize with running_mean and running_var.
    Shape: input (N, C, *); running statistics, weight and bias (C,).
    """
    _check_instance_norm_arguments(input, running_mean, running_var, weight, bias,
                                   use_input_stats)
    channel_shape = (1, input.shape[1]) + (1,) * (input.ndim - 2)
    if not use_input_stats:
        return _running_affine(input, running_mean, running_var, weight, bias, eps, channel_shape)
    mean, centered, var = _moments(input, tuple(range(2, input.ndim)))
    if running_mean is not None:
        # torch updates one copy of the running statistics per sample, then averages them
        _update_running_stats(running_mean, running_var, mean.mean(0), var.mean(0), momentum,
                              math.prod(input.shape[2:]))
    return _affine(centered, (var + eps).rsqrt(), weight, bias, channel_shape)


def _check_instance_norm_arguments(input, running_mean, running_var, weight, bias,
                                   use_input_stats):
    if input.ndim < 2:
        raise ValueError(f"instance_norm: expected input of shape (N, C, *), got {input.shape}")
    if (running_mean is None) != (running_var is None):
        raise RuntimeError("instance_norm: give both running_mean and running_var, or neither")
    if not use_input_stats and running_mean is None:
        raise RuntimeError("instance_norm: running_mean and running_var must be given when "
                           "use_input_stats is False")
    _check_per_channel("instance_norm", input, running_mean=running_mean,
                       running_var=running_var, weight=weight, bias=bias)
    if use_input_stats and math.prod(input.shape[2:]) <= 1:
        # one value per instance has no variance: the output would be 0 and the unbiased var 0/0
        raise ValueError(f"instance_norm: expected more than 1 spatial element when training, "
                         f"got input of shape {input.shape}")


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalize over the last len(normalized_shape) dims of input, each sample on its own.

    Shape: input (*, *normalized_shape); weight and bias normalized_shape; output as input.
    """
    normalized_shape = _as_shape(normalized_shape)
    _check_trailing("layer_norm", input, normalized_shape)
    for what, tensor in (("weight", weight), ("bias", bias)):
        if tensor is not None and tensor.shape != normalized_shape:   # it would broadcast
            raise RuntimeError(f"layer_norm: expected {what} to be of same shape as "
                               f"normalized_shape, but got {what} of shape {tensor.shape} and "
                               f"normalized_shape = {normalized_shape}")
    return layer_norm_last(input, math.prod(normalized_shape), weight, bias, eps)


def _check_trailing(name, input, normalized_shape):
    count = len(normalized_shape)
    if count == 0:   # it would normalize each element on its own: all zeros
        raise RuntimeError(f"{name}: expected normalized_shape to be at least 1-dimensional, i.e., "
                           f"containing at least one element, but got normalized_shape = ()")
    if input.ndim < count or input.shape[input.ndim - count:] != normalized_shape:
        inner = ", ".join(map(str, normalized_shape))
        raise RuntimeError(f"{name}: expected input of shape (*, {inner}) for normalized_shape "
                           f"{normalized_shape}, got {input.shape}")
    return tuple(range(input.ndim - count, input.ndim))


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """y = x / sqrt(mean(x²) + eps) * weight over the last dims (Zhang & Sennrich 2019); eps None
    is the dtype's machine epsilon, as torch.

    Shape: input (*, *normalized_shape); weight normalized_shape; output as input.
    """
    normalized_shape = _as_shape(normalized_shape)
    axes = _check_trailing("rms_norm", input, normalized_shape)
    if weight is not None and weight.shape != normalized_shape:
        raise RuntimeError(f"rms_norm: expected weight to be of same shape as normalized_shape, "
                           f"but got weight of shape {weight.shape} and normalized_shape = "
                           f"{normalized_shape}")
    if eps is None:
        eps = float(xp.finfo(input.array.dtype).eps)
    out = input * (input.square().mean(axes, keepdim=True) + eps).rsqrt()
    return out if weight is None else out * weight


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """y_c = x_c / (k + alpha/size · sum of x² over channels c - size//2 .. c + (size-1)//2)^beta
    (Krizhevsky et al. 2012), zeros beyond the channel ends, as torch.

    Shape: input (N, C, *) with at least 3 dims; output as input.
    """
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected 3D or higher dimensionality input (got "
                         f"{input.ndim} dimensions, shape {input.shape})")
    if input.numel() == 0:
        return input
    channels = input.shape[1]
    squares = input.square()
    before, after = size // 2, (size - 1) // 2
    padded = cat([_zeros_like_channels(input, before), squares,
                  _zeros_like_channels(input, after)], 1)
    window = padded.narrow(1, 0, channels)
    for offset in range(1, size):
        window = window + padded.narrow(1, offset, channels)
    return input / (window * (alpha / size) + k).pow(beta)


def _zeros_like_channels(input, channels):
    return Tensor._make(xp.zeros((input.shape[0], channels) + input.shape[2:], input.array.dtype))


def _as_shape(shape):
    return (int(shape),) if isinstance(shape, int) else tuple(int(n) for n in shape)


def normalize(input, p=2.0, dim=1, eps=1e-12):
    """y = x / max(‖x‖_p, eps) along dim (p = 2): unit vectors, as torch.nn.functional.normalize."""
    if p != 2:
        raise NotImplementedError(f"normalize: only p=2 is implemented, got p={p}")
    length = input.norm(dim=dim, keepdim=True).clamp(min=eps)
    return input / length


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Normalize each sample over groups of channels (and all positions), then scale and shift
    per channel. Shape: input (N, C, *), weight and bias (C,); output as input."""
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise RuntimeError(f"group_norm: expected input of shape (N, C, *) with C divisible by "
                           f"num_groups={num_groups}, got {input.shape}")
    n, channels = input.shape[:2]
    grouped = input.reshape(n, num_groups, -1)
    _, centered, var = _moments(grouped, 2)
    out = (centered * (var + eps).rsqrt()).reshape(input.shape)
    per_channel = (channels,) + (1,) * (input.ndim - 2)
    if weight is not None:
        out = out * weight.reshape(per_channel)
    return out if bias is None else out + bias.reshape(per_channel)
