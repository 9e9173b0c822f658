"""The 8×8 digits: shapes, scaling, a stratified and reproducible split."""
import numpy as np
import pytest

from chainrule.data.datasets.digits import digits_splits, to_unit_range


def test_the_split_covers_all_1797_images_once_stratified():
    train, test = digits_splits(test_fraction=0.2, seed=0)
    assert len(train) + len(test) == 1797
    assert train.x.shape == (len(train), 1, 8, 8) and train.x.dtype == np.float32
    assert train.y.dtype == np.int64
    assert 355 <= len(test) <= 365
    assert np.all(np.abs(np.bincount(test.y, minlength=10) - len(test) / 10) <= 2)
    # no image is in both splits (some digits repeat exactly, so compare with their labels)
    pairs = {(row.tobytes(), label) for row, label in zip(train.x, train.y)}
    overlap = sum((row.tobytes(), label) in pairs for row, label in zip(test.x, test.y))
    assert overlap <= 2


def test_pixels_span_minus_one_to_one_and_map_back_to_the_unit_range():
    train, _ = digits_splits()
    assert train.x.min() == -1.0 and train.x.max() == 1.0
    unit = to_unit_range(train.x)
    assert unit.min() == 0.0 and unit.max() == 1.0
    np.testing.assert_allclose(unit * 16, np.round(unit * 16), atol=1e-5)   # the 17 grey levels


def test_the_seed_fixes_the_split_and_a_sample_is_an_image_and_a_label():
    first, second = digits_splits(seed=1)[1], digits_splits(seed=1)[1]
    np.testing.assert_array_equal(first.y, second.y)
    assert not np.array_equal(first.y, digits_splits(seed=2)[1].y)
    x, y = first[0]
    assert tuple(x.shape) == (1, 8, 8) and 0 <= y.item() <= 9


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1])
def test_a_bad_fraction_is_refused(fraction):
    with pytest.raises(ValueError, match="digits_splits: test_fraction must be between 0 and 1"):
        digits_splits(test_fraction=fraction)


@pytest.mark.parametrize("fraction, left", [(0.999, "leaves 0 images to train on and 1797"),
                                            (0.001, "leaves 1797 images to train on and 0")])
def test_a_fraction_that_empties_a_split_is_refused(fraction, left):
    # 0.999 gave an empty training split, silently
    with pytest.raises(ValueError, match=f"digits_splits: test_fraction {fraction} {left}"):
        digits_splits(test_fraction=fraction)
