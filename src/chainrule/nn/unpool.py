"""Power-average pooling (LPPool1d/2d/3d) and max unpooling (MaxUnpool1d/2d/3d), the inverse of max
pooling given its indices; torch's arguments and reprs, computed in nn.functional."""
from chainrule.nn.functional import pool as functional
from chainrule.nn.module import Module
from chainrule.ops.conv import as_tuple



class _LPPool(Module):
    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, x):
        return self.pool(x, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self):
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPool):
    """The p-norm of each sliding window: (sum of x^p)^(1/p), p = norm_type (p = 1 is sum
    pooling; p = inf would be max pooling, use MaxPool1d).

    Args:
        norm_type: the power p.
        kernel_size: the window's length.
        stride: the step between windows (default kernel_size).
        ceil_mode: round the output length up (default False).

    Shape: input (N, C, L) or (C, L) -> output (N, C, L_out), with
    L_out = floor((L - kernel_size) / stride) + 1.
    Gradient: nn.functional.lp_pool1d, composed of ops.pool.AvgPool, ops.elementwise.Pow.
    """
    pool = staticmethod(functional.lp_pool1d)


class LPPool2d(_LPPool):
    """The p-norm of each sliding window, as LPPool1d; kernel_size and stride an int or a pair.

    Shape: input (N, C, H, W) or (C, H, W) -> output (N, C, H_out, W_out).
    Gradient: nn.functional.lp_pool2d, composed of ops.pool.AvgPool, ops.elementwise.Pow.
    """
    pool = staticmethod(functional.lp_pool2d)


class LPPool3d(_LPPool):
    """The p-norm of each sliding window, as LPPool1d; kernel_size and stride an int or a triple.

    Shape: input (N, C, D, H, W) or (C, D, H, W) -> output (N, C, D_out, H_out, W_out).
    Gradient: nn.functional.lp_pool3d, composed of ops.pool.AvgPool, ops.elementwise.Pow.
    """
    pool = staticmethod(functional.lp_pool3d)


class _MaxUnpool(Module):
    dims = 2

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        name, dims = type(self).__name__, self.dims
        # torch stores tuples here (its repr shows kernel_size=(2, 2))
        self.kernel_size = as_tuple(name, kernel_size, dims, "kernel_size", 1)
        self.stride = self.kernel_size if stride is None else as_tuple(name, stride, dims,
                                                                       "stride", 1)
        self.padding = as_tuple(name, padding, dims, "padding")

    def forward(self, input, indices, output_size=None):
        return self.unpool(input, indices, self.kernel_size, self.stride, self.padding,
                           output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpool):
    """Zeros with each input value written back where MaxPool1d found it.

    Args:
        kernel_size, stride, padding: those of the MaxPool1d that made the indices.

    Shape: input and indices (N, C, L_in) or (C, L_in) -> output (N, C, L_out), with
    L_out = (L_in - 1)·stride - 2·padding + kernel_size, or forward's output_size.
    Gradient: nn.functional.max_unpool1d, composed of ops.index.IndexScatter.
    """
    dims = 1
    unpool = staticmethod(functional.max_unpool1d)


class MaxUnpool2d(_MaxUnpool):
    """Zeros with each input value written back where MaxPool2d found it. Args: as MaxUnpool1d.

    Shape: input and indices (N, C, H_in, W_in) or (C, H_in, W_in) -> output
    (N, C, H_out, W_out), each size as L_out in MaxUnpool1d.
    Gradient: nn.functional.max_unpool2d, composed of ops.index.IndexScatter.
    """
    dims = 2
    unpool = staticmethod(functional.max_unpool2d)


class MaxUnpool3d(_MaxUnpool):
    """Zeros with each input value written back where MaxPool3d found it. Args: as MaxUnpool1d.

    Shape: input and indices (N, C, D_in, H_in, W_in) -> output (N, C, D_out, H_out, W_out).
    Gradient: nn.functional.max_unpool3d, composed of ops.index.IndexScatter.
    """
    dims = 3
    unpool = staticmethod(functional.max_unpool3d)
