"""Dropout (Srivastava et al. 2014), inverted as torch does: in training each element is kept
with probability 1 - p and scaled by 1 / (1 - p), so that evaluation needs no rescaling."""
import warnings

from chainrule import backend
from chainrule.backend import xp
from chainrule.nn.functional.activation import in_place
from chainrule.tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d"]


def dropout(input, p=0.5, training=True, inplace=False):
    """y = x * mask / (1 - p), mask ~ Bernoulli(1 - p) per element; y = x when not training.
    dy/dx = mask / (1 - p). Draws come from the generator that manual_seed sets."""
    return _dropout("dropout", input, p, training, inplace, input.shape)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Whole channels zeroed: one draw per channel of an (N, C, L) or (C, L) input."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape "
                           f"{input.shape}")
    return _dropout("dropout1d", input, p, training, inplace, input.shape[:-1] + (1,))


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Whole channels zeroed: one draw per (N, C) of an (N, C, H, W) input.

    As in torch, a 3-D input is read as (N, C, L) (with a warning), not as an unbatched (C, H, W).
    """
    if input.ndim != 4:
        warnings.warn(f"dropout2d: received a {input.ndim}-D input; it is treated as (N, C, ...) "
                      "with one draw per (N, C), as torch does", stacklevel=2)
    if input.ndim < 2:
        raise RuntimeError(f"dropout2d: expected an (N, C, H, W) input, got shape {input.shape}")
    return _dropout("dropout2d", input, p, training, inplace,
                    input.shape[:2] + (1,) * (input.ndim - 2))


def check_probability(name, p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p}")


def _dropout(name, input, p, training, inplace, mask_shape):
    check_probability(name, p)
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:  # every element dropped; the gradient is 0 as well (torch multiplies by 0)
        scale = Tensor._make(xp.zeros((), input.dtype))
    else:
        keep = 1.0 - p
        # float32 uniforms are twice as fast to draw as float64 and ample for a keep decision
        draws = backend.generator().random(mask_shape, dtype=backend.float32)
        scale = Tensor._make((draws < keep).astype(input.dtype))
        scale.array *= 1.0 / keep
    return in_place(lambda x: x * scale, input) if inplace else input * scale

