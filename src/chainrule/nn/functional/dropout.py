"""Dropout (Srivastava et al. 2014), inverted as torch does: in training each element is kept
with probability 1 - p and scaled by 1 / (1 - p), so that evaluation needs no rescaling; and
alpha dropout (Klambauer et al. 2017), which keeps SELU activations' mean and variance.

Every function takes a keyword-only generator=None, an extension (torch's have none): a
chainrule.Generator or an int seed to draw the masks from, reproducibly and without touching the
global generator that manual_seed sets (None draws from that one, as torch does)."""
import math
import warnings

from chainrule import backend
from chainrule.backend import xp
from chainrule.nn.functional.activation import in_place
from chainrule.random import rng
from chainrule.tensor import Tensor

__all__ = ["alpha_dropout", "dropout", "dropout1d", "dropout2d", "dropout3d",
           "feature_alpha_dropout"]

# SELU's negative saturation value -λα (Klambauer et al. 2017), the value a dropped unit takes
SELU_SATURATION = 1.7580993408473766


def dropout(input, p=0.5, training=True, inplace=False, *, generator=None):
    """y = x * mask / (1 - p), mask ~ Bernoulli(1 - p) per element; y = x when not training.
    dy/dx = mask / (1 - p). Draws come from `generator`, or the global one that manual_seed
    sets."""
    return _dropout("dropout", input, p, training, inplace, input.shape, generator)


def dropout1d(input, p=0.5, training=True, inplace=False, *, generator=None):
    """Whole channels zeroed: one draw per channel of an (N, C, L) or (C, L) input."""
    if input.ndim not in (2, 3):
        raise RuntimeError(f"dropout1d: expected a 2-D (C, L) or 3-D (N, C, L) input, got shape "
                           f"{input.shape}")
    return _dropout("dropout1d", input, p, training, inplace, input.shape[:-1] + (1,),
                    generator)


def dropout2d(input, p=0.5, training=True, inplace=False, *, generator=None):
    """Whole channels zeroed: one draw per (N, C) of an (N, C, H, W) input.

    As in torch, a 3-D input is read as (N, C, L) (with a warning), not as an unbatched (C, H, W).
    """
    if input.ndim != 4:
        warnings.warn(f"dropout2d: received a {input.ndim}-D input; it is treated as (N, C, ...) "
                      "with one draw per (N, C), as torch does", stacklevel=2)
    if input.ndim < 2:
        raise RuntimeError(f"dropout2d: expected an (N, C, H, W) input, got shape {input.shape}")
    return _dropout("dropout2d", input, p, training, inplace,
                    input.shape[:2] + (1,) * (input.ndim - 2), generator)


def dropout3d(input, p=0.5, training=True, inplace=False, *, generator=None):
    """Whole channels zeroed: one draw per (N, C) of an (N, C, D, H, W) input, or per channel of
    an unbatched (C, D, H, W) one."""
    if input.ndim not in (4, 5):
        warnings.warn(f"dropout3d: Received a {input.ndim}-D input to dropout3d, which is "
                      "deprecated; dropout3d expects (N, C, D, H, W) or (C, D, H, W); use dropout "
                      "for other inputs", stacklevel=2)
    if input.ndim < 2:
        raise RuntimeError(f"dropout3d: expected an (N, C, D, H, W) input, got shape "
                           f"{input.shape}")
    lead = 1 if input.ndim == 4 else 2    # unbatched: one draw per channel
    return _dropout("dropout3d", input, p, training, inplace,
                    input.shape[:lead] + (1,) * (input.ndim - lead), generator)


def alpha_dropout(input, p=0.5, training=False, inplace=False, *, generator=None):
    """Dropped elements set to SELU's saturation -λα, then y = a·x' + b with a, b chosen so
    that zero-mean unit-variance inputs keep that mean and variance; y = x when not training."""
    return _alpha_dropout("alpha_dropout", input, p, training, inplace, input.shape, generator)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False, *, generator=None):
    """Alpha dropout with one draw per (N, C) channel rather than per element."""
    if input.ndim < 2:
        raise RuntimeError(f"feature_alpha_dropout: expected an (N, C, *) input with at least 2 "
                           f"dims, got shape {input.shape}")
    return _alpha_dropout("feature_alpha_dropout", input, p, training, inplace,
                          input.shape[:2] + (1,) * (input.ndim - 2), generator)


def _alpha_dropout(name, input, p, training, inplace, mask_shape, generator):
    check_probability(name, p)
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:  # as torch: everything dropped, and no affine correction
        zero = Tensor._make(xp.zeros((), input.dtype))
        return in_place(lambda x: x * zero, input) if inplace else input * zero
    keep = _uniforms(name, generator, mask_shape) < 1.0 - p
    a = 1.0 / math.sqrt((SELU_SATURATION ** 2 * p + 1) * (1 - p))
    scale = Tensor._make((keep * a).astype(input.dtype))
    # b = a·(1 - keep)·(-λα) + a·λα·p: the dropped value and the mean correction, as torch
    shift = Tensor._make(((keep - 1.0) * (SELU_SATURATION * a)
                          + SELU_SATURATION * a * p).astype(input.dtype))
    if inplace:
        return in_place(lambda x: x * scale + shift, input)
    return input * scale + shift


def check_probability(name, p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: dropout probability has to be between 0 and 1, but got {p}")


def _uniforms(name, generator, shape):
    # float32 uniforms are twice as fast to draw as float64 and ample for a keep decision
    return rng(generator, name).random(shape, dtype=backend.float32)


def _dropout(name, input, p, training, inplace, mask_shape, generator):
    check_probability(name, p)
    if not training or p == 0 or input.numel() == 0:
        return input
    if p == 1:  # every element dropped; the gradient is 0 as well (torch multiplies by 0)
        scale = Tensor._make(xp.zeros((), input.dtype))
    else:
        keep = 1.0 - p
        scale = Tensor._make((_uniforms(name, generator, mask_shape) < keep).astype(input.dtype))
        scale.array *= 1.0 / keep
    return in_place(lambda x: x * scale, input) if inplace else input * scale

