"""The ring of Gaussians and its metrics: where the modes sit, the draws, and the counting."""
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.data.datasets.ring import (
    high_quality_share, mode_counts, modes_covered, nearest_mode, ring, ring_modes)


def test_modes_sit_at_equal_angles_on_the_circle():
    centres = ring_modes(8, 2.0)
    assert centres.shape == (8, 2)
    np.testing.assert_allclose(np.hypot(centres[:, 0], centres[:, 1]), 2.0)
    np.testing.assert_allclose(centres[2], [0.0, 2.0], atol=1e-12)
    np.testing.assert_allclose(np.arctan2(centres[1, 1], centres[1, 0]), math.pi / 4)


def test_draws_spread_over_the_modes_with_the_given_std():
    data = ring(40_000, std=0.05, seed=0)
    assert data.x.shape == (40_000, 2) and data.x.dtype == np.float32
    assert np.all(np.abs(np.bincount(data.mode) / 40_000 - 1 / 8) < 0.01)
    residual = data.x - data.centres[data.mode]
    assert abs(residual.std() - 0.05) < 0.001
    x, mode = data[3]
    assert tuple(x.shape) == (2,) and mode.item() == data.mode[3]


def test_a_seed_or_a_generator_makes_it_reproducible():
    np.testing.assert_array_equal(ring(5, seed=3).x, ring(5, seed=3).x)
    generator = cr.Generator().manual_seed(3)
    np.testing.assert_array_equal(ring(5, seed=generator).x, ring(5, seed=3).x)


def test_the_data_themselves_cover_every_mode_and_lie_near_one():
    data = ring(2000, seed=1)
    assert modes_covered(data.x, data.centres, data.std) == 8
    # 3 σ in two dimensions holds 1 - exp(-9/2) = 98.9 % of a Gaussian
    assert high_quality_share(data.x, data.centres, data.std) == pytest.approx(0.989, abs=0.006)


@pytest.mark.parametrize("case, covered, share", [
    ("all on mode 0", 1, 1.0),
    ("half on 0, half on 3", 2, 1.0),
    ("one stray point on 5, the rest on 0", 1, 1.0),
    ("all at the origin", 0, 0.0),
    ("between modes 0 and 1", 0, 0.0),
])
def test_the_metrics_count_as_specified(case, covered, share):
    centres = ring_modes()
    samples = {
        "all on mode 0": np.repeat(centres[:1], 80, axis=0),
        "half on 0, half on 3": np.repeat(centres[[0, 3]], 40, axis=0),
        "one stray point on 5, the rest on 0": np.vstack([np.repeat(centres[:1], 79, axis=0),
                                                         centres[5:6]]),
        "all at the origin": np.zeros((80, 2)),
        "between modes 0 and 1": np.repeat((centres[:1] + centres[1:2]) / 2, 80, axis=0),
    }[case]
    assert modes_covered(samples, centres, 0.02) == covered
    assert high_quality_share(samples, centres, 0.02) == share


def test_nearest_mode_and_counts_accept_tensors():
    centres = ring_modes()
    samples = cr.tensor([[2.0, 0.01], [0.0, -1.9], [0.0, 0.0]])
    index, distance = nearest_mode(samples, centres)
    assert index.tolist()[:2] == [0, 6]
    np.testing.assert_allclose(distance[:2], [0.01, 0.1], atol=1e-6)
    assert mode_counts(samples, centres, 0.02).tolist() == [1, 0, 0, 0, 0, 0, 0, 0]


@pytest.mark.parametrize("call, message", [
    (lambda: ring(0), "ring: n must be a positive int, got 0"),
    (lambda: ring(10, std=-1.0), "ring: std must be >= 0, got -1.0"),
    (lambda: ring_modes(8, 0.0), "ring_modes: radius must be > 0, got 0.0"),
    (lambda: modes_covered(np.zeros((4, 3)), ring_modes(), 0.02),
     r"nearest_mode: samples must have shape \(n, 2\), got \(4, 3\)"),
    # a negative or NaN std made every sample "far": 0 modes, silently
    (lambda: modes_covered(ring_modes(), ring_modes(), -0.02), "mode_counts: std must be >= 0"),
    (lambda: high_quality_share(ring_modes(), ring_modes(), float("nan")),
     "high_quality_share: std must be >= 0, got nan"),
    (lambda: modes_covered(ring_modes(), np.zeros((0, 2)), 0.02),
     "nearest_mode: expected at least one centre, got none"),
    (lambda: ring(True), "ring: n must be a positive int, got True"),
])
def test_bad_arguments_are_refused_clearly(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_numpy_integers_are_counts_too():
    assert len(ring(np.int64(5), modes=np.int64(4), seed=0)) == 5


def test_a_mode_with_exactly_a_fifth_of_its_fair_share_is_covered():
    # 80 samples: a fair share of 10 a mode, so 2 near samples cover a mode and 1 does not
    centres = ring_modes()
    samples = centres[[0] * 70 + [1, 1] + [2] + [3] * 7]
    assert mode_counts(samples, centres, 0.02).tolist() == [70, 2, 1, 7, 0, 0, 0, 0]
    assert modes_covered(samples, centres, 0.02) == 3
