"""The engineered features: each family measures what it claims to, and is blind to what it
claims to ignore."""
import numpy as np

from chainrule.experiments.features import (
    STATISTICS, Standardiser, class_templates, engineered_features, fourier_magnitudes,
    summary_statistics, template_scores)

RNG = np.random.default_rng(0)
X = RNG.standard_normal((6, 40))


def test_fourier_magnitudes_ignore_circular_shifts_and_see_frequency():
    np.testing.assert_allclose(fourier_magnitudes(np.roll(X, 7, axis=1)), fourier_magnitudes(X),
                               atol=1e-12)
    wave = np.cos(2 * np.pi * 5 * np.arange(40) / 40)[None]
    assert np.argmax(fourier_magnitudes(wave)[0]) == 5


def test_summary_statistics_by_hand():
    signal = np.array([[0.0, 2.0, -2.0, 4.0]])
    stats = dict(zip(STATISTICS, summary_statistics(signal)[0]))
    assert stats["mean"] == 1 and stats["max"] == 4 and stats["argmin"] == 0.5
    assert stats["range"] == 6 and stats["zero crossings"] == 3 / 4
    assert stats["mean |slope|"] == (2 + 4 + 6) / 3


def test_template_scores_find_a_shifted_template():
    y = np.arange(6) % 3
    templates = class_templates(X, y, classes=3)
    scores = template_scores(np.roll(templates, 11, axis=1), templates)
    np.testing.assert_allclose(np.diag(scores), 1.0, atol=1e-9)   # a perfect match, shifted
    assert np.all(scores <= 1 + 1e-9)


def test_features_are_standardised_on_training_data_only():
    templates = class_templates(X, np.arange(6) % 2, classes=2)
    features = engineered_features(X, templates)
    assert features.shape == (6, 21 + 10 + 2) and features.dtype == np.float32
    standardise = Standardiser(features)
    z = standardise(features)
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-5)
    assert np.all(np.isfinite(standardise(features * 0)))
