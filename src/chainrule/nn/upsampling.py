"""Upsample, UpsamplingNearest2d and UpsamplingBilinear2d: layers around F.interpolate, with
torch's arguments and reprs."""
from chainrule.nn.functional.vision import interpolate
from chainrule.nn.module import Module


class Upsample(Module):
    """Resample the spatial dims to `size` or by `scale_factor` (give one), as F.interpolate.

    Args: size (int or tuple), scale_factor (float or tuple), mode ('nearest', 'nearest-exact',
    'linear', 'bilinear', 'bicubic', 'trilinear' or 'area'), align_corners (linear modes only),
    recompute_scale_factor (compute the sampling positions from the output size, not the factor).
    Shape: input (N, C, L), (N, C, H, W) or (N, C, D, H, W) -> output (N, C, *size), or each
    spatial size times scale_factor, rounded down.
    Gradient: nn.functional.interpolate, composed of ops.index.Index, and ops.elementwise.Mul in
    the linear modes and 'bicubic'; 'area' is adaptive average pooling, of ops.reduce.Mean or
    ops.linalg.MatMul.
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        # floats, as torch stores them (its repr shows scale_factor=2.0 for 2)
        if isinstance(scale_factor, tuple):
            self.scale_factor = tuple(float(factor) for factor in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor else None
        self.mode, self.align_corners = mode, align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input):
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self):
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return f"{info}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample with mode='nearest'. Args: size or scale_factor.
    Shape: input (N, C, H, W) -> output (N, C, H_out, W_out).
    Gradient: ops.index.Index.backward.
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample with mode='bilinear' and align_corners=True (the corner pixels stay in place).
    Args: size or scale_factor. Shape: input (N, C, H, W) -> output (N, C, H_out, W_out).
    Gradient: nn.functional.upsample_bilinear, composed of ops.index.Index, ops.elementwise.Mul.
    """

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)
