"""ChannelShuffle: interleave the channels of `groups` groups (ShuffleNet), as a layer."""
from chainrule.nn.functional.shuffle import channel_shuffle
from chainrule.nn.module import Module


class ChannelShuffle(Module):
    """Split the channels into `groups` groups and interleave them: channel order
    (g0c0, g0c1, g1c0, g1c1) becomes (g0c0, g1c0, g0c1, g1c1).

    Args:
        groups: the number of groups; the channels must divide evenly.

    Shape: input (N, C, *) -> output of the same shape.
    Gradient: nn.functional.channel_shuffle, composed of ops.shape.Reshape, ops.shape.Permute.
    """

    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, input):
        return channel_shuffle(input, self.groups)

    def extra_repr(self):
        return f"groups={self.groups}"
