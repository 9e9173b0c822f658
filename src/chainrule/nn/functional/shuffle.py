"""Channel shuffle (ShuffleNet, Zhang et al. 2018): the channels, split into groups, interleaved
so that the next grouped convolution mixes information across groups."""

__all__ = ["channel_shuffle"]


def channel_shuffle(input, groups):
    """(N, g·k, *) seen as (N, g, k, *), transposed to (N, k, g, *) and flattened back."""
    if isinstance(groups, bool) or not isinstance(groups, int) or groups <= 0:
        raise ValueError(f"channel_shuffle: number of groups to divide channels in must be "
                         f"positive, got groups={groups!r}")
    if input.ndim < 3:
        raise RuntimeError(f"channel_shuffle: expected an input with at least 3 dims (N, C, *), "
                           f"got shape {input.shape}")
    channels = input.shape[1]
    if channels % groups:
        raise RuntimeError(f"channel_shuffle: number of channels must be divisible by groups; "
                           f"got {channels} channels (shape {input.shape}) and groups={groups}")
    batch, spatial = input.shape[0], input.shape[2:]
    grouped = input.reshape((batch, groups, channels // groups) + spatial)
    return grouped.transpose(1, 2).reshape(input.shape)
