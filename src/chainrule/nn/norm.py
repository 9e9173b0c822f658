"""Normalization layers: BatchNorm1d, BatchNorm2d (Ioffe & Szegedy 2015), InstanceNorm1d/2d/3d
(Ulyanov, Vedaldi & Lempitsky 2016), LayerNorm (Ba, Kiros & Hinton 2016), GroupNorm (Wu & He
2018), RMSNorm (Zhang & Sennrich 2019) and LocalResponseNorm (Krizhevsky et al. 2012), with
torch's parameters, buffers, names and init."""
import warnings

from chainrule import backend, creation
from chainrule.grad_mode import no_grad
from chainrule.nn import init
from chainrule.nn.functional.norm import (batch_norm, group_norm, instance_norm, layer_norm,
                                          local_response_norm, rms_norm)
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter, factory_kwargs


def _affine_parameters(module, shape, weight, bias, factory):
    """Register weight and bias of this shape, made with the layer's factory keywords, or None in
    their place (as torch, so that they still appear as attributes); reset_parameters fills
    them."""
    for name, wanted in (("weight", weight), ("bias", bias)):
        module.register_parameter(name, Parameter(creation.empty(shape, **factory))
                                  if wanted else None)


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; they differ only in the input shapes they accept."""

    expected = ""    # the accepted input shapes, in words, for the error message
    dims = ()        # the accepted numbers of input dims

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        factory = factory_kwargs(type(self).__name__, device, dtype)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine_parameters(self, (num_features,), affine, affine and bias, factory)
        if track_running_stats:
            self.register_buffer("running_mean", creation.zeros(num_features, **factory))
            self.register_buffer("running_var", creation.ones(num_features, **factory))
            self.register_buffer("num_batches_tracked",
                                 creation.tensor(0, dtype=backend.int64, device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            with no_grad():
                self.running_mean.zero_()
                self.running_var.fill_(1)
                self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        self._check_input(x)
        momentum = self._batch_momentum()
        # Without running statistics, batch statistics normalize in evaluation too (as torch).
        use_batch_stats = self.training or self.running_mean is None
        update = not self.training or self.track_running_stats
        return batch_norm(x, self.running_mean if update else None,
                          self.running_var if update else None, self.weight, self.bias,
                          use_batch_stats, momentum, self.eps)

    def _batch_momentum(self):
        """The weight of this batch in the running statistics; in training, the batch is counted
        in num_batches_tracked."""
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if momentum is None:  # a cumulative average: batch k enters with weight 1/k
                momentum = 1.0 / self.num_batches_tracked.item()
        return 0.0 if momentum is None else momentum

    def _check_input(self, x):
        if x.ndim not in self.dims:
            raise ValueError(f"{self!r}: expected input of shape {self.expected}, got {x.shape}")
        if x.shape[1] != self.num_features:
            raise RuntimeError(f"{self!r}: expected input of shape {self.expected} with "
                               f"C = {self.num_features}, got {x.shape}")

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, per channel (Ioffe & Szegedy 2015).

    Training normalizes with the batch's mean and biased variance and updates running_mean and
    running_var (with the unbiased variance) by y <- (1 - momentum) y + momentum * batch value;
    momentum=None averages all batches seen so far. Evaluation normalizes with the running ones.

    Args: num_features (C), eps=1e-5, momentum=0.1 (or None), affine=True (learn weight and bias),
    track_running_stats=True, device=None, dtype=None, bias=True (keyword only).
    Shape: input (N, C) or (N, C, L) -> output of the same shape.
    Initialized as in torch: weight 1, bias 0, running_mean 0, running_var 1, num_batches_tracked 0.
    Gradient: nn.functional.batch_norm, composed of ops.reduce.Mean and ops.unary.Rsqrt in
    training; in eval, where the running statistics are constants, of ops.elementwise.Sub and
    ops.elementwise.Mul.
    """

    expected = "(N, C) or (N, C, L)"
    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """BatchNorm1d's normalization for images: statistics per channel over (N, H, W).

    Args: num_features (C), eps=1e-5, momentum=0.1 (or None), affine=True,
    track_running_stats=True, device=None, dtype=None, bias=True (keyword only).
    Shape: input (N, C, H, W) -> output of the same shape.
    Initialized as in torch: weight 1, bias 0, running_mean 0, running_var 1, num_batches_tracked 0.
    Gradient: nn.functional.batch_norm, composed of ops.reduce.Mean and ops.unary.Rsqrt in
    training; in eval, where the running statistics are constants, of ops.elementwise.Sub and
    ops.elementwise.Mul.
    """

    expected = "(N, C, H, W)"
    dims = (4,)


class _InstanceNorm(_BatchNorm):
    """What InstanceNorm1d/2d/3d share: BatchNorm's parameters, buffers and repr, torch's defaults
    (affine=False, track_running_stats=False), statistics per sample and an unbatched input."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)

    def forward(self, x):
        if x.ndim not in self.dims:
            raise ValueError(f"{self!r}: expected {self.dims[0]}D or {self.dims[1]}D input "
                             f"{self.expected}, got shape {x.shape}")
        batched = x.ndim == self.dims[1]
        self._check_channels(x, 1 if batched else 0)
        # num_batches_tracked stays 0 and momentum None means 0, as in torch
        out = instance_norm(x if batched else x.unsqueeze(0), self.running_mean,
                            self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            self.momentum if self.momentum is not None else 0.0, self.eps)
        return out if batched else out.squeeze(0)

    def _check_channels(self, x, dim):
        if x.shape[dim] == self.num_features:
            return
        message = (f"{self!r}: expected input's size at dim={dim} to match num_features "
                   f"({self.num_features}), got input of shape {x.shape}")
        if self.affine or self.track_running_stats:
            raise ValueError(message)
        # without per-channel state num_features is unused: torch only warns
        warnings.warn(message, stacklevel=3)


class InstanceNorm1d(_InstanceNorm):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, the statistics taken per sample and
    channel over the length (Ulyanov, Vedaldi & Lempitsky 2016, for style transfer).

    With track_running_stats, training also updates running_mean and running_var with the batch's
    average of the per-instance statistics, and evaluation normalizes with them.
    Args: num_features (C), eps=1e-5, momentum=0.1, affine=False (learn weight and bias),
    track_running_stats=False, device=None, dtype=None, bias=True (keyword only).
    Shape: input (N, C, L) or (C, L) -> output of the same shape.
    Gradient: nn.functional.instance_norm, composed of ops.reduce.Mean, ops.unary.Rsqrt.
    """

    expected = "(N, C, L) or (C, L)"
    dims = (2, 3)


class InstanceNorm2d(_InstanceNorm):
    """InstanceNorm1d's normalization for images: statistics per sample and channel over (H, W).
    Args: num_features (C), eps=1e-5, momentum=0.1, affine=False, track_running_stats=False,
    device=None, dtype=None, bias=True (keyword only).
    Shape: input (N, C, H, W) or (C, H, W) -> output of the same shape.
    Gradient: nn.functional.instance_norm, composed of ops.reduce.Mean, ops.unary.Rsqrt.
    """

    expected = "(N, C, H, W) or (C, H, W)"
    dims = (3, 4)


class InstanceNorm3d(_InstanceNorm):
    """InstanceNorm1d's normalization for volumes: statistics per sample and channel over
    (D, H, W). Args: num_features (C), eps=1e-5, momentum=0.1, affine=False,
    track_running_stats=False, device=None, dtype=None, bias=True (keyword only).
    Shape: input (N, C, D, H, W) or (C, D, H, W) -> output of the same shape.
    Gradient: nn.functional.instance_norm, composed of ops.reduce.Mean, ops.unary.Rsqrt.
    """

    expected = "(N, C, D, H, W) or (C, D, H, W)"
    dims = (4, 5)


class LayerNorm(Module):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias over the last dims of each sample
    (Ba, Kiros & Hinton 2016); the same computation in training and evaluation.

    Args: normalized_shape (an int or a shape: the trailing dims to normalize over), eps=1e-5,
    elementwise_affine=True (learn weight and bias of that shape), bias=True, device=None,
    dtype=None.
    Shape: input (*, *normalized_shape) -> output of the same shape.
    Initialized as in torch: weight 1, bias 0.
    Gradient: nn.functional.layer_norm, one fused op: ops.fused.LayerNormFunction.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        factory = factory_kwargs("LayerNorm", device, dtype)
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine,
                           elementwise_affine and bias, factory)
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        count = len(self.normalized_shape)
        if x.ndim < count or x.shape[x.ndim - count:] != self.normalized_shape:
            inner = ", ".join(map(str, self.normalized_shape))
            raise RuntimeError(f"{self!r}: expected input of shape (*, {inner}), got {x.shape}")
        return layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """y = (x - E[x]) / sqrt(Var[x] + eps) * weight + bias, the statistics taken per sample over
    each group of num_channels / num_groups channels and all positions (Wu & He 2018).

    Args: num_groups, num_channels (divisible by num_groups), eps=1e-5, affine=True (a weight and
    a bias per channel), device=None, dtype=None, bias=True (False: the weight alone).
    Shape: input (N, C, *) -> output of the same shape.
    Initialized as in torch: weight 1, bias 0.
    Gradient: nn.functional.group_norm, composed of ops.reduce.Mean, ops.unary.Rsqrt.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None,
                 *, bias=True):
        super().__init__()
        factory = factory_kwargs("GroupNorm", device, dtype)
        if num_groups == 0:   # torch's type, with words: its message is "integer modulo by zero"
            raise ZeroDivisionError("GroupNorm: num_groups must be positive, got 0")
        if not num_groups > 0:
            raise ValueError(f"GroupNorm: num_groups must be positive, got {num_groups}")
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = (num_groups, num_channels,
                                                                     eps, affine)
        _affine_parameters(self, (num_channels,), affine, affine and bias, factory)
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise RuntimeError(f"{self!r}: expected input of shape (N, {self.num_channels}, *), "
                               f"got {x.shape}")
        return group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """y = x / sqrt(mean(x²) + eps) * weight over the last dims of each sample: LayerNorm without
    centering or bias (Zhang & Sennrich 2019).

    Args: normalized_shape (an int or a shape: the trailing dims), eps=None (the input dtype's
    machine epsilon), elementwise_affine=True (learn a weight of that shape), device=None,
    dtype=None.
    Shape: input (*, *normalized_shape) -> output of the same shape. Initialized as in torch:
    weight 1.
    Gradient: nn.functional.rms_norm, composed of ops.reduce.Mean, ops.unary.Rsqrt.
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        factory = factory_kwargs("RMSNorm", device, dtype)
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        _affine_parameters(self, self.normalized_shape, elementwise_affine, False, factory)
        del self._parameters["bias"]   # torch's RMSNorm has no bias attribute at all
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x):
        return rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class LocalResponseNorm(Module):
    """Each channel divided by (k + alpha/size · the sum of squares over `size` neighbouring
    channels)^beta (Krizhevsky, Sutskever & Hinton 2012).

    Args: size (channels in the window), alpha=1e-4, beta=0.75, k=1.0.
    Shape: input (N, C, *) -> output of the same shape.
    Gradient: nn.functional.local_response_norm, composed of ops.join.Cat, ops.elementwise.Pow.
    """

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x):
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
