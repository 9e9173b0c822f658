"""Convolution and transposed convolution over 1, 2 or 3 spatial dims, built from the sliding-window
primitives: conv = Convolution (im2col, one matrix product and the bias, one node);
conv_transpose = TransposedConvolution (a matrix product, then col2im, then the bias), the
gradient of conv with respect to its input.

Outputs are (N, C, *spatial) views of memory laid out (C, *spatial, N), the layout the product
gives and the next UnfoldFunction wants (see chainrule.ops.conv); elementwise ops and pooling keep
it, and x.view(N, -1) still needs no copy.
"""
import functools

from chainrule.ops.conv import (Convolution, TransposedConvolution, as_tuple, cached_windows,
                                fold, sliding_size, unfold)

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "fold", "unfold"]


def conv_pads(name, padding, kernel, stride, dilation):
    """(before, after) per spatial dim for an int, a tuple, 'valid' or 'same' (as torch: the
    odd one of an uneven 'same' padding goes after)."""
    dims = len(kernel)
    if padding == "valid":
        return ((0, 0),) * dims
    if padding == "same":
        if any(s != 1 for s in stride):
            raise RuntimeError(f"{name}: padding='same' is not supported for strided "
                               f"convolutions (stride={stride})")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((total // 2, total - total // 2) for total in totals)
    if isinstance(padding, str):
        raise ValueError(f"{name}: invalid padding string {padding!r}, should be one of "
                         "{'valid', 'same'}")
    return tuple((p, p) for p in as_tuple(name, padding, dims, "padding"))


def _check(name, input, weight, dims):
    """Shapes and dtypes as torch checks them; returns whether the input has a batch dim."""
    if weight.ndim != dims + 2:
        raise RuntimeError(f"{name}: expected a {dims + 2}-D weight, got shape {weight.shape}")
    if input.ndim not in (dims + 1, dims + 2):
        raise RuntimeError(f"{name}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D "
                           f"(batched) input, got shape {input.shape}")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"{name}: input ({input.dtype}) and weight ({weight.dtype}) must "
                           "have the same dtype")
    return input.ndim == dims + 2


def _conv(name, dims, input, weight, bias, stride, padding, dilation, groups):
    batched = _check(name, input, weight, dims)
    x = input if batched else input.unsqueeze(0)
    channels, size = x.shape[1], x.shape[2:]
    out_channels, kernel = weight.shape[0], weight.shape[2:]
    if channels != weight.shape[1] * groups or out_channels % groups:
        raise RuntimeError(f"{name}: given groups={groups}, weight of size {weight.shape} expects "
                           f"an input with {weight.shape[1] * groups} channels, got input of "
                           f"shape {input.shape}")
    windows = _windows(name, tuple(size), tuple(kernel), _hashable(stride), _hashable(padding),
                       _hashable(dilation))
    if bias is None:
        out = Convolution.apply(x, weight, windows=windows, groups=groups)
    else:
        _check_bias(name, bias, weight, out_channels)
        out = Convolution.apply(x, weight, bias, windows=windows, groups=groups)
    return out if batched else out.squeeze(0)


@functools.lru_cache(maxsize=512)
def _windows(name, size, kernel, stride, padding, dilation):
    """The checked geometry of a convolution, parsed once per layer and input size (the
    arguments' checks cost a small layer ~30 µs a step)."""
    dims = len(kernel)
    stride = as_tuple(name, stride, dims, "stride", 1)
    dilation = as_tuple(name, dilation, dims, "dilation", 1)
    pads = conv_pads(name, padding, kernel, stride, dilation)
    out_size = sliding_size(size, kernel, stride, dilation, pads)
    if min(out_size) <= 0:
        raise RuntimeError(f"{name}: input of spatial size {size} with padding {pads} is smaller "
                           f"than the kernel {kernel} dilated by {dilation}")
    return cached_windows(size, kernel, stride, dilation, pads, out_size)


def _hashable(value):
    return tuple(value) if isinstance(value, list) else value


def _check_bias(name, bias, weight, out_channels):
    if tuple(bias.shape) != (out_channels,):
        raise RuntimeError(f"{name}: given weight of shape {weight.shape}, expected bias to be 1-D "
                           f"with {out_channels} elements, got bias of shape {bias.shape}")



def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o, l] = b[o] + Σ_{c, k} w[o, c, k] · x_padded[n, c, l·stride + k·dilation] (each group
    of channels on its own). Shape: (N, C_in, L) or (C_in, L), weight (C_out, C_in/groups, k)."""
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv1d over two spatial dims. Shape: (N, C_in, H, W) or (C_in, H, W), weight
    (C_out, C_in/groups, kH, kW) -> (N, C_out, H_out, W_out)."""
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """conv1d over three spatial dims. Shape: (N, C_in, D, H, W) or unbatched."""
    return _conv("conv3d", 3, input, weight, bias, stride, padding, dilation, groups)


def transposed_size(size, kernel, stride, padding, output_padding, dilation):
    """(n - 1)·stride - 2·padding + dilation·(kernel - 1) + output_padding + 1 along each dim."""
    return tuple((n - 1) * s - 2 * p + d * (k - 1) + op + 1 for n, k, s, p, op, d in
                 zip(size, kernel, stride, padding, output_padding, dilation))


def _conv_transpose(name, dims, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    batched = _check(name, input, weight, dims)
    x = input if batched else input.unsqueeze(0)
    channels, size = x.shape[1], x.shape[2:]
    kernel = weight.shape[2:]
    if channels != weight.shape[0] or channels % groups:
        raise RuntimeError(f"{name}: given groups={groups}, weight of size {weight.shape} expects "
                           f"an input with {weight.shape[0]} channels, got input of shape "
                           f"{input.shape}")
    stride = as_tuple(name, stride, dims, "stride", 1)
    dilation = as_tuple(name, dilation, dims, "dilation", 1)
    padding = as_tuple(name, padding, dims, "padding")
    output_padding = as_tuple(name, output_padding, dims, "output_padding")
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise RuntimeError(f"{name}: output padding must be smaller than either stride or "
                           f"dilation, but got output_padding={output_padding}, stride={stride}, "
                           f"dilation={dilation}")
    out_size = transposed_size(size, kernel, stride, padding, output_padding, dilation)
    if min(out_size) <= 0:
        raise RuntimeError(f"{name}: input of spatial size {size} gives an output of size "
                           f"{out_size}, which is too small")
    windows = cached_windows(out_size, kernel, stride, dilation, tuple((p, p) for p in padding),
                             size)
    if bias is None:
        out = TransposedConvolution.apply(x, weight, windows=windows, groups=groups)
    else:
        _check_bias(name, bias, weight, weight.shape[1] * groups)
        out = TransposedConvolution.apply(x, weight, bias, windows=windows, groups=groups)
    return out if batched else out.squeeze(0)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """The adjoint of conv1d in its input (each input position spreads w-weighted into a window).
    Shape: (N, C_in, L) or (C_in, L), weight (C_in, C_out/groups, k) -> (N, C_out, L_out)."""
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """conv_transpose1d over two spatial dims. Shape: (N, C_in, H, W) or (C_in, H, W), weight
    (C_in, C_out/groups, kH, kW) -> (N, C_out, H_out, W_out)."""
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """conv_transpose1d over three spatial dims. Shape: (N, C_in, D, H, W) or unbatched."""
    return _conv_transpose("conv_transpose3d", 3, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)
