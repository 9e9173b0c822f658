"""Unfold (im2col: every sliding block of an image as a column) and its adjoint Fold (columns
summed back into an image), as layers around nn.functional.unfold and fold, with torch's reprs."""
from chainrule.nn.functional.conv import fold, unfold
from chainrule.nn.module import Module


class Fold(Module):
    """Sum columns of sliding blocks back into an image; overlapping blocks add up.

    Args:
        output_size: the image's spatial size (H, W), or an int for both.
        kernel_size, dilation=1, padding=0, stride=1: as in Unfold (ints or pairs).

    Shape: input (N, C·prod(kernel_size), L) or unbatched -> output (N, C, *output_size), with L
    the number of blocks that fit.
    Gradient: ops.conv.FoldFunction.backward.
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        if input.ndim == 2:   # unbatched, which torch's layer accepts
            return self.forward(input.unsqueeze(0)).squeeze(0)
        return fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                    self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


class Unfold(Module):
    """Every sliding block of the (padded) input as a column: the im2col of a convolution.

    Args:
        kernel_size: the block's size (an int or a pair).
        dilation: the step between a block's taps (default 1).
        padding: zeros added on both sides of each spatial dim (default 0).
        stride: the step between blocks (default 1).

    Shape: input (N, C, H, W) or (C, H, W) -> output (N, C·prod(kernel_size), L), L the number
    of blocks.
    Gradient: ops.conv.UnfoldFunction.backward.
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        if input.ndim == 3:   # unbatched, which torch's layer accepts
            return self.forward(input.unsqueeze(0)).squeeze(0)
        return unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")
