"""Pooling layers: MaxPool1d/2d/3d, AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d and
AdaptiveMaxPool1d/2d/3d, with torch's arguments and reprs; each forward checks the input's number
of dims and calls nn.functional."""
from chainrule.nn.functional import pool as functional
from chainrule.nn.module import Module
from chainrule.ops.conv import as_tuple

SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


class _Pool(Module):
    dims = 2

    def _check_input(self, x):
        if x.ndim not in (self.dims + 1, self.dims + 2):
            spatial = SPATIAL[self.dims]
            raise RuntimeError(f"{self!r}: expected input of shape (N, C, {spatial}) or "
                               f"(C, {spatial}), got {x.shape}")


class _MaxPool(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        # kept as given, as torch does (its repr shows kernel_size=2, not (2, 2))
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        self._check_input(x)
        return self.pool(x, self.kernel_size, self.stride, self.padding, self.dilation,
                         self.ceil_mode, self.return_indices)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPool):
    """The maximum over each sliding window; its gradient goes to the first maximum of the
    window (in scan order), as in torch.

    Args:
        kernel_size: the window's length.
        stride: the step between windows (default kernel_size).
        padding: -inf added on both sides, at most half the dilated kernel (default 0).
        dilation: the step between a window's taps (default 1).
        return_indices: also return where each maximum is, as a flat index into the input's
            spatial dims (default False).
        ceil_mode: round the output length up, keeping a last window that starts inside the
            input or its left padding (default False).

    Shape: input (N, C, L) or (C, L) -> output (N, C, L_out), with
    L_out = floor((L + 2·padding - dilation·(kernel_size - 1) - 1) / stride) + 1, or ceil in
    ceil_mode.
    Gradient: ops.pool.MaxPool.backward.
    """
    dims = 1
    pool = staticmethod(functional.max_pool1d)


class MaxPool2d(_MaxPool):
    """The maximum over each sliding window; its gradient goes to the first maximum of the
    window (in scan order), as in torch.

    Args: as MaxPool1d; kernel_size, stride, padding and dilation are an int or an (h, w) pair.

    Shape: input (N, C, H, W) or (C, H, W) -> output (N, C, H_out, W_out), each size as L_out
    in MaxPool1d.
    Gradient: ops.pool.MaxPool.backward.
    """
    dims = 2
    pool = staticmethod(functional.max_pool2d)


class MaxPool3d(_MaxPool):
    """The maximum over each sliding window. Args: as MaxPool2d, with triples.

    Shape: input (N, C, D, H, W) or (C, D, H, W) -> output (N, C, D_out, H_out, W_out).
    Gradient: ops.pool.MaxPool.backward.
    """
    dims = 3
    pool = staticmethod(functional.max_pool3d)


class _AvgPool(_Pool):
    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, x):
        self._check_input(x)
        return self.pool(x, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                         self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool1d(_AvgPool):
    """The mean over each sliding window.

    Args:
        kernel_size: the window's length.
        stride: the step between windows (default kernel_size).
        padding: zeros added on both sides, at most half the kernel (default 0).
        ceil_mode: round the output length up, keeping a last window that starts inside the
            input or its left padding (default False).
        count_include_pad: divide by the window's length including padding (default True) or
            by the number of input elements in it only.

    Shape: input (N, C, L) or (C, L) -> output (N, C, L_out), with
    L_out = floor((L + 2·padding - kernel_size) / stride) + 1 (ceil in ceil_mode).
    Gradient: ops.pool.AvgPool.backward.
    """
    dims = 1

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        # torch keeps AvgPool1d's sizes as 1-tuples (its repr shows (2,))
        name = "AvgPool1d"
        super().__init__(as_tuple(name, kernel_size, 1, "kernel_size", 1),
                         None if stride is None else as_tuple(name, stride, 1, "stride", 1),
                         as_tuple(name, padding, 1, "padding"), ceil_mode, count_include_pad)

    @staticmethod
    def pool(x, kernel_size, stride, padding, ceil_mode, count_include_pad, divisor_override):
        return functional.avg_pool1d(x, kernel_size, stride, padding, ceil_mode,
                                     count_include_pad)


class AvgPool2d(_AvgPool):
    """The mean over each sliding window.

    Args: as AvgPool1d (sizes an int or an (h, w) pair), and
        divisor_override: if given, every window's sum is divided by it instead.

    Shape: input (N, C, H, W) or (C, H, W) -> output (N, C, H_out, W_out), each size as L_out
    in AvgPool1d.
    Gradient: ops.pool.AvgPool.backward.
    """
    dims = 2
    pool = staticmethod(functional.avg_pool2d)


class AvgPool3d(_AvgPool):
    """The mean over each sliding window. Args: as AvgPool2d, with triples.

    Shape: input (N, C, D, H, W) or (C, D, H, W) -> output (N, C, D_out, H_out, W_out).
    Gradient: ops.pool.AvgPool.backward.
    """
    dims = 3
    pool = staticmethod(functional.avg_pool3d)


class _AdaptiveAvgPool(_Pool):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        self._check_input(x)
        return self.pool(x, self.output_size)

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptiveAvgPool):
    """The mean over output_size windows that tile the input: window i covers positions
    floor(i·L/output_size) to ceil((i+1)·L/output_size) - 1, as in torch.

    Args:
        output_size: the output's length.

    Shape: input (N, C, L) or (C, L) -> output (N, C, output_size).
    Gradient: nn.functional.adaptive_avg_pool1d, composed of ops.reduce.Mean where
    the input's length is a multiple of output_size (even blocks), else of ops.linalg.MatMul
    (uneven windows).
    """
    dims = 1
    pool = staticmethod(functional.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPool):
    """The mean over windows that tile the input, output_size of them along each dim, each
    placed as in AdaptiveAvgPool1d.

    Args:
        output_size: an int (for both dims) or an (h, w) pair; None keeps that dim's size.

    Shape: input (N, C, H, W) or (C, H, W) -> output (N, C, *output_size).
    Gradient: nn.functional.adaptive_avg_pool2d, composed of ops.reduce.Mean where
    each input size is a multiple of its output size (even blocks), else of ops.linalg.MatMul
    (uneven windows).
    """
    dims = 2
    pool = staticmethod(functional.adaptive_avg_pool2d)


class AdaptiveAvgPool3d(_AdaptiveAvgPool):
    """The mean over windows that tile the input, placed along each dim as in AdaptiveAvgPool1d.

    Args:
        output_size: an int (for all three dims) or a (d, h, w) triple; None keeps that dim.

    Shape: input (N, C, D, H, W) or (C, D, H, W) -> output (N, C, *output_size).
    Gradient: nn.functional.adaptive_avg_pool3d, composed of ops.reduce.Mean where
    each input size is a multiple of its output size (even blocks), else of ops.linalg.MatMul
    (uneven windows).
    """
    dims = 3
    pool = staticmethod(functional.adaptive_avg_pool3d)


class _AdaptiveMaxPool(_AdaptiveAvgPool):
    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, x):
        self._check_input(x)
        return self.pool(x, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """The maximum over output_size windows that tile the input, placed as in AdaptiveAvgPool1d;
    the gradient goes to each window's first maximum.

    Args:
        output_size: the output's length.
        return_indices: also return where each maximum is, as an index into L (default False).

    Shape: input (N, C, L) or (C, L) -> output (N, C, output_size).
    Gradient: nn.functional.adaptive_max_pool1d, composed of ops.extremum.TakeAlong.
    """
    dims = 1
    pool = staticmethod(functional.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """The maximum over windows that tile the input, placed along each dim as in
    AdaptiveAvgPool1d.

    Args:
        output_size: an int (for both dims) or an (h, w) pair; None keeps that dim's size.
        return_indices: also return where each maximum is, as a flat index into H·W.

    Shape: input (N, C, H, W) or (C, H, W) -> output (N, C, *output_size).
    Gradient: nn.functional.adaptive_max_pool2d, composed of ops.extremum.TakeAlong.
    """
    dims = 2
    pool = staticmethod(functional.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """As AdaptiveMaxPool2d, over three spatial dims (indices flat into D·H·W).

    Shape: input (N, C, D, H, W) or (C, D, H, W) -> output (N, C, *output_size).
    Gradient: nn.functional.adaptive_max_pool3d, composed of ops.extremum.TakeAlong.
    """
    dims = 3
    pool = staticmethod(functional.adaptive_max_pool3d)
