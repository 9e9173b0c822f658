"""Padding layers: ReflectionPad, ReplicationPad, CircularPad, ConstantPad and ZeroPad in 1, 2 and 3
dims, each a call of F.pad with torch's arguments, reprs and accepted input shapes."""
import numbers

from chainrule.nn.module import Module
from chainrule.ops.join import pad

SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


def _padding(layer, padding, dims):
    """An int pads every side; a tuple lists (left, right, top, bottom, front, back) sides."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        return (int(padding),) * (2 * dims)
    sides = tuple(padding) if isinstance(padding, (tuple, list)) else None
    if (sides is None or len(sides) != 2 * dims
            or not all(isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in sides)):
        raise ValueError(f"{layer}: padding must be an int or a tuple of {2 * dims} ints, "
                         f"got {padding!r}")
    return tuple(int(p) for p in sides)


class _PadNd(Module):
    """What the padding layers share: pad the last `dims` dims with F.pad's `mode`."""

    dims = 1
    mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _padding(type(self).__name__, padding, self.dims)

    def forward(self, input):
        self._check_input(input)
        return pad(input, self.padding, self.mode)

    def _check_input(self, input):
        # torch refuses these modes unless the input is batched or unbatched (N, C, *) / (C, *)
        if input.ndim not in (self.dims + 1, self.dims + 2):
            spatial = SPATIAL[self.dims]
            raise NotImplementedError(f"{self!r}: expected input of shape (N, C, {spatial}) or "
                                      f"(C, {spatial}), got {input.shape}")

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pad with the reflection of the input about its edge (the edge not repeated): [1, 2, 3]
    padded by 2 on the left is [3, 2, 1, 2, 3]. Each pad must be smaller than its dim.

    Args: padding (int, or (left, right)).
    Shape: (N, C, L) or (C, L) -> L + left + right.
    Gradient: ops.index.Index.backward.
    """

    dims, mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """ReflectionPad1d for the last two dims.
    Args: padding (int, or (left, right, top, bottom)).
    Shape: (N, C, H, W) or (C, H, W) -> H + top + bottom, W + left + right.
    Gradient: ops.index.Index.backward.
    """

    dims, mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """ReflectionPad1d for the last three dims.
    Args: padding (int, or (left, right, top, bottom, front, back)).
    Shape: (N, C, D, H, W) or (C, D, H, W) -> D + front + back, H + top + bottom,
    W + left + right.
    Gradient: ops.index.Index.backward.
    """

    dims, mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Pad by repeating the edge value: [1, 2, 3] padded by 2 on the left is [1, 1, 1, 2, 3].
    Args: padding (int, or (left, right)). Shape: (N, C, L) or (C, L) -> L + left + right.
    Gradient: ops.index.Index.backward.
    """

    dims, mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """ReplicationPad1d for the last two dims.
    Args: padding (int, or (left, right, top, bottom)).
    Shape: (N, C, H, W) or (C, H, W) -> H + top + bottom, W + left + right.
    Gradient: ops.index.Index.backward.
    """

    dims, mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """ReplicationPad1d for the last three dims.
    Args: padding (int, or (left, right, top, bottom, front, back)).
    Shape: (N, C, D, H, W) or (C, D, H, W) -> D + front + back, H + top + bottom,
    W + left + right.
    Gradient: ops.index.Index.backward.
    """

    dims, mode = 3, "replicate"


class _CircularPadNd(_PadNd):
    mode = "circular"

    def _check_input(self, input):
        if input.ndim not in (self.dims + 1, self.dims + 2):
            spatial = SPATIAL[self.dims]
            raise ValueError(f"{self!r}: expected {self.dims + 1}D or {self.dims + 2}D input "
                             f"(N, C, {spatial}) or (C, {spatial}), got {input.shape}")


class CircularPad1d(_CircularPadNd):
    """Pad by wrapping around: [1, 2, 3] padded by 2 on the left is [2, 3, 1, 2, 3].
    Args: padding (int, or (left, right)). Shape: (N, C, L) or (C, L) -> L + left + right.
    Gradient: ops.index.Index.backward.
    """

    dims = 1


class CircularPad2d(_CircularPadNd):
    """CircularPad1d for the last two dims.
    Args: padding (int, or (left, right, top, bottom)).
    Shape: (N, C, H, W) or (C, H, W) -> H + top + bottom, W + left + right.
    Gradient: ops.index.Index.backward.
    """

    dims = 2


class CircularPad3d(_CircularPadNd):
    """CircularPad1d for the last three dims.
    Args: padding (int, or (left, right, top, bottom, front, back)).
    Shape: (N, C, D, H, W) or (C, D, H, W) -> D + front + back, H + top + bottom,
    W + left + right.
    Gradient: ops.index.Index.backward.
    """

    dims = 3


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        # any input with at least `dims` dims, as torch (F.pad says so otherwise)
        return pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with a constant value.
    Args: padding (int, or (left, right)), value. Shape: (*, L) -> (*, L + left + right).
    Gradient: ops.join.ConstantPad.backward.
    """

    dims = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with a constant value.
    Args: padding (int, or (left, right, top, bottom)), value.
    Shape: (*, H, W) -> (*, H + top + bottom, W + left + right).
    Gradient: ops.join.ConstantPad.backward.
    """

    dims = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with a constant value.
    Args: padding (int, or (left, right, top, bottom, front, back)), value.
    Shape: (*, D, H, W) -> (*, D + front + back, H + top + bottom, W + left + right).
    Gradient: ops.join.ConstantPad.backward.
    """

    dims = 3


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad1d(_ZeroPadNd):
    """Pad the last dim with zeros. Args: padding (int, or (left, right)).
    Shape: (*, L) -> (*, L + left + right).
    Gradient: ops.join.ConstantPad.backward.
    """

    dims = 1


class ZeroPad2d(_ZeroPadNd):
    """Pad the last two dims with zeros. Args: padding (int, or (left, right, top, bottom)).
    Shape: (*, H, W) -> (*, H + top + bottom, W + left + right).
    Gradient: ops.join.ConstantPad.backward.
    """

    dims = 2


class ZeroPad3d(_ZeroPadNd):
    """Pad the last three dims with zeros.
    Args: padding (int, or (left, right, top, bottom, front, back)).
    Shape: (*, D, H, W) -> (*, D + front + back, H + top + bottom, W + left + right).
    Gradient: ops.join.ConstantPad.backward.
    """

    dims = 3
