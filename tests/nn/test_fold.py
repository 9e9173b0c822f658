"""Unfold and Fold layers, and ChannelShuffle, against torch: reprs, outputs and gradients."""
import numpy as np
import pytest
import torch

import chainrule as cr
from tests.nn.helpers import assert_matches_torch


@pytest.mark.parametrize("name, args, kwargs, shape", [
    ("Unfold", (2,), {}, (2, 3, 4, 5)),
    ("Unfold", ((2, 3),), dict(dilation=2, padding=1, stride=(1, 2)), (1, 2, 6, 7)),
    ("Unfold", (3,), dict(padding=1), (2, 5, 4)),                           # unbatched
    ("Fold", ((4, 5), 2), {}, (2, 12, 12)),
    ("Fold", (3, 2), {}, (8, 4)),                                           # unbatched
    ("Fold", ((6, 7), (2, 3)), dict(dilation=2, padding=1, stride=(1, 2)), (1, 12, 18)),
    ("ChannelShuffle", (2,), {}, (2, 6, 3, 2)),
    ("ChannelShuffle", (3,), {}, (2, 6, 5)),
])
def test_layers_match_torch(name, args, kwargs, shape):
    ours, theirs = getattr(cr.nn, name)(*args, **kwargs), getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert_matches_torch(ours, theirs, [np.random.default_rng(0).standard_normal(shape)])


def test_channel_shuffle_refuses_groups_that_do_not_divide():
    with pytest.raises(RuntimeError, match=r"channel_shuffle: .*6 channels .*groups=4"):
        cr.nn.ChannelShuffle(4)(cr.ones(1, 6, 2))
    with pytest.raises(RuntimeError, match=r"channel_shuffle: expected .*at least 3 dims"):
        cr.nn.functional.channel_shuffle(cr.ones(6, 2), 2)
    with pytest.raises(ValueError, match=r"channel_shuffle: .*positive, got groups=0"):
        cr.nn.functional.channel_shuffle(cr.ones(1, 6, 2), 0)
