"""PixelShuffle and PixelUnshuffle: rearrange channels into space and back (Shi et al. 2016,
"Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel CNN")."""
from chainrule.nn.functional.vision import pixel_shuffle, pixel_unshuffle
from chainrule.nn.module import Module


class PixelShuffle(Module):
    """Move each group of r² channels into an r×r block of pixels: a convolution's extra channels
    become a higher resolution.

    Args: upscale_factor (r, a positive int).
    Shape: input (*, C·r², H, W) -> output (*, C, H·r, W·r).
    Gradient: nn.functional.pixel_shuffle, composed of ops.shape.Reshape, ops.shape.Permute.
    """

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """The inverse of PixelShuffle: each r×r block of pixels becomes r² channels.

    Args: downscale_factor (r, a positive int).
    Shape: input (*, C, H·r, W·r) -> output (*, C·r², H, W).
    Gradient: nn.functional.pixel_unshuffle, composed of ops.shape.Reshape, ops.shape.Permute.
    """

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
