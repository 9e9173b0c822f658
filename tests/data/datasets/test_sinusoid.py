"""The sinusoid data set: the book's grid and noise, reproducible, usable with a DataLoader."""
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.data.datasets import sinusoid, true_curve


def test_grid_spans_zero_to_one_and_noise_has_the_books_std():
    data = sinusoid(10, seed=0)
    np.testing.assert_allclose(data.x, np.linspace(0, 1, 10))
    big = sinusoid(200_000, seed=1)
    residual = big.t - np.sin(2 * math.pi * big.x)
    assert abs(residual.std() - 0.3) < 0.003 and abs(residual.mean()) < 0.003


def test_random_x_is_uniform_on_the_unit_interval():
    data = sinusoid(50_000, x="random", seed=0)
    assert data.x.min() >= 0 and data.x.max() <= 1 and abs(data.x.mean() - 0.5) < 0.01


def test_noise_free_data_is_the_curve():
    data = sinusoid(7, noise_std=0.0)
    np.testing.assert_array_equal(data.t, true_curve(data.x))


def test_a_seed_or_a_generator_makes_it_reproducible():
    np.testing.assert_array_equal(sinusoid(5, seed=3).t, sinusoid(5, seed=3).t)
    generator = cr.Generator().manual_seed(3)
    first, second = sinusoid(5, seed=generator), sinusoid(5, seed=generator)
    np.testing.assert_array_equal(first.t, sinusoid(5, seed=3).t)
    assert not np.array_equal(first.t, second.t)   # the generator moves on


def test_it_is_a_dataset_for_the_dataloader():
    data = sinusoid(10, seed=0)
    x, t = data[3]
    assert x.shape == () and x.item() == pytest.approx(3 / 9) and t.item() == data.t[3]
    batches = list(cr.data.DataLoader(data, batch_size=4))
    assert [b[0].shape for b in batches] == [(4,), (4,), (2,)]
    assert batches[0][1].dtype == cr.float64
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in batches]), data.t)


@pytest.mark.parametrize("kwargs, message", [
    (dict(n=0), "n must be a positive int"),
    (dict(n=2.5), "n must be a positive int"),
    (dict(n=3, noise_std=-1), "noise_std must be >= 0"),
    (dict(n=3, noise_std=float("nan")), "noise_std must be >= 0"),
    (dict(n=3, x="even"), 'x must be "grid", "random" or an array'),
    (dict(n=3, x=[0.1, 0.2]), "x has 2 values, expected n = 3"),
])
def test_bad_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        sinusoid(**kwargs)
