"""Properties every reduction keeps, for any shape and any dims (hypothesis)."""
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule

FAST = settings(max_examples=50, deadline=None)

shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)
values = st.floats(-10, 10, allow_nan=False, width=64)


@st.composite
def arrays_and_dims(draw, min_dims=1):
    """A float64 array and a set of its dims (a tuple, each dim possibly negative)."""
    array = draw(hnp.arrays(np.float64, draw(shapes), elements=values))
    picked = draw(st.lists(st.integers(0, array.ndim - 1), min_size=min_dims, unique=True))
    signs = draw(st.lists(st.booleans(), min_size=len(picked), max_size=len(picked)))
    return array, tuple(d - array.ndim if negative else d for d, negative in zip(picked, signs))


def close(actual, expected, rtol=1e-10):
    np.testing.assert_allclose(np.asarray(actual), np.asarray(expected), rtol=rtol, atol=1e-10)


@FAST
@given(arrays_and_dims())
def test_sum_over_all_dims_is_the_sum_over_each_dim_in_turn(case):
    array, _ = case
    x = chainrule.tensor(array)
    one_at_a_time = x
    for _ in range(x.ndim):
        one_at_a_time = one_at_a_time.sum(-1)
    close(one_at_a_time.numpy(), x.sum().numpy())
    close(x.sum(tuple(range(x.ndim))).numpy(), x.sum().numpy())


@FAST
@given(arrays_and_dims(), st.sampled_from(["sum", "mean", "var", "std", "prod", "amax", "amin",
                                           "logsumexp", "norm"]))
def test_keepdim_then_dropping_the_dims_equals_keepdim_false(case, name):
    array, dims = case
    x = chainrule.tensor(array)
    kept = getattr(x, name)(dim=dims, keepdim=True)
    assert kept.ndim == x.ndim
    assert all(kept.shape[d] == 1 for d in dims)
    close(np.squeeze(kept.numpy(), axis=dims), getattr(x, name)(dim=dims).numpy())


@FAST
@given(arrays_and_dims())
def test_mean_times_count_is_the_sum(case):
    array, dims = case
    x = chainrule.tensor(array)
    count = np.prod([array.shape[d] for d in dims])
    close((x.mean(dims) * count).numpy(), x.sum(dims).numpy())


@FAST
@given(arrays_and_dims())
def test_the_gradient_of_a_sum_is_ones_of_the_input_shape(case):
    array, dims = case
    x = chainrule.tensor(array, requires_grad=True)
    x.sum(dims).sum().backward()
    assert x.grad.shape == x.shape
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(array.shape))


@FAST
@given(arrays_and_dims())
def test_the_gradient_of_a_mean_is_one_over_the_count(case):
    array, dims = case
    x = chainrule.tensor(array, requires_grad=True)
    x.mean(dims, keepdim=True).sum().backward()
    close(x.grad.numpy(), np.full(array.shape, 1 / np.prod([array.shape[d] for d in dims])))


@FAST
@given(arrays_and_dims())
def test_logsumexp_matches_the_naive_formula_for_moderate_values(case):
    array, dims = case
    x = chainrule.tensor(array)
    close(chainrule.logsumexp(x, dims).numpy(), np.log(np.exp(array).sum(dims)))


@FAST
@given(arrays_and_dims(), st.floats(500, 1e30))
def test_logsumexp_does_not_overflow_and_shifts_with_its_input(case, shift):
    array, dims = case
    x = chainrule.tensor(array)
    big = chainrule.logsumexp(x + shift, dims).numpy()
    assert np.all(np.isfinite(big))
    close(big, chainrule.logsumexp(x, dims).numpy() + shift)
    # and in float32, where exp overflows already at 89
    small = chainrule.logsumexp(chainrule.tensor(array + 200, dtype=chainrule.float32), dims)
    assert small.dtype == chainrule.float32 and np.all(np.isfinite(small.numpy()))


@FAST
@given(arrays_and_dims())
def test_variance_is_the_mean_squared_deviation_rescaled(case):
    array, dims = case
    x = chainrule.tensor(array)
    n = np.prod([array.shape[d] for d in dims])
    deviation = array - array.mean(dims, keepdims=True)
    biased = (deviation ** 2).mean(dims)
    close(x.var(dims, correction=0).numpy(), biased)
    close(x.std(dims, correction=0).numpy(), np.sqrt(biased))
    if n > 1:
        close(x.var(dims).numpy(), biased * n / (n - 1))


@FAST
@given(arrays_and_dims(), st.booleans())
def test_max_along_a_dim_gives_the_value_at_its_index(case, keepdim):
    array, dims = case
    x = chainrule.tensor(array)
    for name in ("max", "min"):
        values, indices = getattr(x, name)(dims[0], keepdim=keepdim)
        taken = np.take_along_axis(array, indices.numpy().reshape(
            values.shape if keepdim else np.expand_dims(values.numpy(), dims[0]).shape), dims[0])
        close(taken.reshape(values.shape), values.numpy())
        close(values.numpy(), getattr(x, "a" + name)(dims[0], keepdim=keepdim).numpy())
        arg = getattr(x, "arg" + name)(dims[0], keepdim=keepdim)
        np.testing.assert_array_equal(arg.numpy(), indices.numpy())


@FAST
@given(arrays_and_dims())
def test_whole_max_gradient_sums_to_the_upstream_gradient(case):
    array, _ = case
    array = np.round(array)  # rounding makes ties common
    x = chainrule.tensor(array, requires_grad=True)
    x.max().backward()
    close(x.grad.numpy().sum(), 1.0)
    assert np.all(x.grad.numpy()[array != array.max()] == 0)


@FAST
@given(arrays_and_dims())
def test_prod_gradient_is_the_product_of_the_others(case):
    array, dims = case
    array = np.where(np.abs(array) < 1, 0.0, array / 5)  # zeros, and no overflow
    x = chainrule.tensor(array, requires_grad=True)
    x.prod(dims).sum().backward()
    expected = np.empty_like(array)
    for index in np.ndindex(array.shape):
        others = array.copy()
        others[index] = 1.0
        mask = np.ones(array.shape, bool)  # the slice this element is reduced with
        for axis, i in enumerate(index):
            if axis not in [d % array.ndim for d in dims]:
                mask &= np.expand_dims(np.arange(array.shape[axis]) == i,
                                       [a for a in range(array.ndim) if a != axis])
        expected[index] = others[mask].prod()
    close(x.grad.numpy(), expected)


@FAST
@given(arrays_and_dims())
def test_norm_is_the_root_of_the_sum_of_squares(case):
    array, dims = case
    x = chainrule.tensor(array)
    close(x.norm(dim=dims).numpy(), np.sqrt((array ** 2).sum(dims)))
    close(x.norm().numpy(), np.linalg.norm(array.reshape(-1)))
