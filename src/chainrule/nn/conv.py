"""Convolution layers: Conv1d/2d/3d and ConvTranspose1d/2d/3d, with torch's parameter names, weight
layouts and initialisation; each forward checks the input shape and calls nn.functional."""
import math

from chainrule import creation
from chainrule.nn import init
from chainrule.nn.functional import conv as functional
from chainrule.nn.module import Module
from chainrule.nn.parameter import Parameter, factory_kwargs
from chainrule.ops.conv import as_tuple
from chainrule.ops.join import pad as pad_input

PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What the convolutions share: arguments, parameters, initialisation, repr, input check."""
    dims = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", output_padding=0, device=None,
                 dtype=None):
        super().__init__()
        name, dims = type(self).__name__, self.dims
        factory = factory_kwargs(name, device, dtype)
        if groups <= 0 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must be divisible by groups ({groups})")
        if padding_mode not in PADDING_MODES or (self.transposed and padding_mode != "zeros"):
            allowed = ("zeros",) if self.transposed else PADDING_MODES
            raise ValueError(f"{name}: padding_mode must be one of {allowed}, got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = as_tuple(name, kernel_size, dims, "kernel_size", 1)
        self.stride = as_tuple(name, stride, dims, "stride", 1)
        self.dilation = as_tuple(name, dilation, dims, "dilation", 1)
        self.output_padding = as_tuple(name, output_padding, dims, "output_padding")
        self.padding = padding if isinstance(padding, str) else as_tuple(name, padding, dims,
                                                                         "padding")
        self.padding_mode = padding_mode
        # checks 'same' with stride > 1 and bad strings now rather than at the first forward
        self._pads = functional.conv_pads(name, padding, self.kernel_size, self.stride,
                                          self.dilation)
        shape = ((in_channels, out_channels // groups) if self.transposed
                 else (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = Parameter(creation.empty(*shape, **factory))
        self.bias = Parameter(creation.empty(out_channels, **factory)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        # torch's choice: kaiming_uniform_(a=√5) gives U(±1/√fan_in), fan_in = weight.shape[1]·k
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * self.dims:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * self.dims:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * self.dims:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s

    def _check_input(self, x):
        channels = self.in_channels
        spatial = ("L",) if self.dims == 1 else ("H", "W") if self.dims == 2 else ("D", "H", "W")
        if x.ndim not in (self.dims + 1, self.dims + 2) or x.shape[-self.dims - 1] != channels:
            expected = ", ".join((str(channels),) + spatial)
            raise RuntimeError(f"{self!r}: expected input of shape (N, {expected}) or "
                               f"({expected}), got {x.shape}")


class _Conv(_ConvNd):
    """y = conv(x, weight) + bias."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, 0, device, dtype)

    def forward(self, x):
        self._check_input(x)
        if self.padding_mode == "zeros":
            return self.convolve(x, self.weight, self.bias, self.stride, self.padding,
                                 self.dilation, self.groups)
        # torch's other modes: pad first (pairs from the last dim backwards), then convolve
        pad = tuple(p for pair in reversed(self._pads) for p in pair)
        x = pad_input(x, pad, mode=self.padding_mode)
        return self.convolve(x, self.weight, self.bias, self.stride, 0, self.dilation,
                             self.groups)


class Conv1d(_Conv):
    """1-D convolution (a cross-correlation, as in torch) of an input with several channels:
    y[n, o, l] = b[o] + Σ_{c, k} w[o, c, k] · x_padded[n, c, l·stride + k·dilation].

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size: the window's length.
        stride: the step between windows (default 1).
        padding: an int, 'valid' (none) or 'same' (output as long as the input; stride 1 only).
        dilation: the step between a window's taps (default 1).
        groups: split the channels into this many groups convolved separately (default 1).
        bias: learn an additive bias per output channel (default True).
        padding_mode: 'zeros' (default), 'reflect', 'replicate' or 'circular'.
        device, dtype: where and in which floating dtype the parameters are made.

    Shape: input (N, C_in, L) or (C_in, L) -> output (N, C_out, L_out), with
    L_out = floor((L + 2·padding - dilation·(kernel_size - 1) - 1) / stride) + 1;
    weight (C_out, C_in/groups, kernel_size), bias (C_out).

    Initialized as in torch: weight ~ kaiming_uniform_(a=√5), i.e. U(±1/√fan_in), and bias ~
    U(±1/√fan_in), with fan_in = C_in/groups · kernel_size.
    Gradient: ops.conv.Convolution.backward.
    """
    dims = 1
    convolve = staticmethod(functional.conv1d)


class Conv2d(_Conv):
    """2-D convolution (a cross-correlation, as in torch) of an input with several channels.

    Args: as Conv1d; kernel_size, stride, padding and dilation are an int or an (h, w) pair.

    Shape: input (N, C_in, H, W) or (C_in, H, W) -> output (N, C_out, H_out, W_out), each
    spatial size as L_out in Conv1d; weight (C_out, C_in/groups, kH, kW), bias (C_out).

    Initialized as Conv1d, with fan_in = C_in/groups · kH · kW.
    Gradient: ops.conv.Convolution.backward.
    """
    dims = 2
    convolve = staticmethod(functional.conv2d)


class Conv3d(_Conv):
    """3-D convolution. Args: as Conv2d, with triples.

    Shape: input (N, C_in, D, H, W) or (C_in, D, H, W) -> output (N, C_out, D_out, H_out, W_out);
    weight (C_out, C_in/groups, kD, kH, kW), bias (C_out).
    Gradient: ops.conv.Convolution.backward.
    """
    dims = 3
    convolve = staticmethod(functional.conv3d)


class _ConvTranspose(_ConvNd):
    """y = conv_transpose(x, weight) + bias: the gradient of a convolution in its input."""
    transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if isinstance(padding, str):
            raise ValueError(f"{type(self).__name__}: padding must be an int or a tuple, got "
                             f"{padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                         bias, padding_mode, output_padding, device, dtype)

    def forward(self, x, output_size=None):
        self._check_input(x)
        output_padding = self.output_padding
        if output_size is not None:
            output_padding = self._output_padding(x, output_size)
        return self.convolve(x, self.weight, self.bias, self.stride, self.padding, output_padding,
                             self.groups, self.dilation)

    def _output_padding(self, x, output_size):
        """The output_padding that gives the requested size (a stride leaves it ambiguous)."""
        wanted = tuple(output_size)[-self.dims:]
        smallest = functional.transposed_size(x.shape[-self.dims:], self.kernel_size, self.stride,
                                     self.padding, (0,) * self.dims, self.dilation)
        extra = tuple(w - s for w, s in zip(wanted, smallest))
        if len(wanted) != self.dims or any(not 0 <= e < max(s, d) for e, s, d in
                                           zip(extra, self.stride, self.dilation)):
            raise ValueError(f"{self!r}: output_size {tuple(output_size)} is not reachable from "
                             f"input of shape {x.shape}: each size must be the smallest, "
                             f"{smallest}, plus less than max(stride, dilation)")
        return extra


class ConvTranspose1d(_ConvTranspose):
    """The transpose (adjoint) of Conv1d, as in torch, also called a fractionally-strided
    convolution: each input position adds its weighted kernel into a window of the output.

    Args:
        in_channels, out_channels: channels of the input and of the output.
        kernel_size, stride, dilation, groups, bias, device, dtype: as in Conv1d.
        padding: dilation·(kernel_size - 1) - padding zeros are implicitly added to each side
            of the input (an int; the output is cropped by padding on each side).
        output_padding: extra length added on one side of the output (less than stride or
            dilation), to pick one of the sizes that a stride makes ambiguous.

    Shape: input (N, C_in, L) or (C_in, L) -> output (N, C_out, L_out), with
    L_out = (L - 1)·stride - 2·padding + dilation·(kernel_size - 1) + output_padding + 1;
    weight (C_in, C_out/groups, kernel_size), bias (C_out). forward(x, output_size) picks the
    output_padding that gives output_size.

    Initialized as in torch: weight ~ kaiming_uniform_(a=√5) and bias ~ U(±1/√fan_in), with
    fan_in = C_out/groups · kernel_size (weight.shape[1] times the kernel, as torch computes it).
    Gradient: ops.conv.TransposedConvolution.backward.
    """
    dims = 1
    convolve = staticmethod(functional.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """The transpose (adjoint) of Conv2d, as in torch, also called a fractionally-strided
    convolution.

    Args: as ConvTranspose1d; sizes are an int or an (h, w) pair.

    Shape: input (N, C_in, H, W) or (C_in, H, W) -> output (N, C_out, H_out, W_out), each
    spatial size as L_out in ConvTranspose1d; weight (C_in, C_out/groups, kH, kW), bias (C_out).
    Gradient: ops.conv.TransposedConvolution.backward.
    """
    dims = 2
    convolve = staticmethod(functional.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """The transpose of Conv3d. Args: as ConvTranspose2d, with triples.

    Shape: input (N, C_in, D, H, W) or unbatched; weight (C_in, C_out/groups, kD, kH, kW).
    Gradient: ops.conv.TransposedConvolution.backward.
    """
    dims = 3
    convolve = staticmethod(functional.conv_transpose3d)
