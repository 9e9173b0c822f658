"""Reductions: each op's cases, checked by the shared harness, then dtypes, 0-d tensors and errors
compared with torch directly (these tables include max, min and their kin, whose own cases are in
test_extremum.py), then the properties every reduction keeps for any shape and dims (hypothesis)."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import chainrule
from tests.ops.harness import Case, OpChecks

# torch warns when var has no degrees of freedom; those cases are here on purpose
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom is <= 0")

# Shape sets: whole-tensor reductions, reductions over dim 1 / -1, and over dims (0, 2);
# each with a size-1 dim and, where PyTorch allows it, a size-0 dim.
WHOLE = [((3, 4),), ((2, 1, 3),), ((),), ((0, 3),), ((1,),)]
ALONG = [((3, 4),), ((2, 1, 3),), ((0, 3),), ((1, 1),)]
THREE = [((2, 3, 4),), ((2, 1, 3),), ((1, 0, 2),)]
NONEMPTY = [((3, 4),), ((2, 1, 3),), ((1, 1),)]


def constant(value):
    """Every entry `value`: 1.5's mean is exact, 0.7's and 0.1's are not as sum / n."""
    def make(rng, shape):
        return np.full(shape, value)
    return make


def zeros(rng, shape):
    return np.zeros(shape)


def with_zeros(*per_row):
    """Normal values with per_row[i % len] zeros in row i (a row: everything past dim 0)."""
    def make(rng, shape):
        x = rng.standard_normal(shape)
        rows = x.reshape(shape[0], -1)
        for i, row in enumerate(rows):
            row[rng.choice(row.size, per_row[i % len(per_row)], replace=False)] = 0
        return x
    return make


# labels for the test ids, values whose mean as sum / n is inexact (but 1.5's)
INEXACT_CONSTANTS = [("0_7", 0.7), ("0_1", 0.1), ("minus_2_3", -2.3), ("1_5", 1.5),
                     ("third", 1 / 3), ("1e5_plus_0_1", 1e5 + 0.1)]


def large(rng, shape):
    """Values near 1000, where exp overflows in float32 and float64 alike."""
    return 1000 + 5 * rng.standard_normal(shape)


def np_logsumexp(a, axis=None, keepdims=False):
    if a.size == 0:
        return np.log(np.exp(a).sum(axis=axis, keepdims=keepdims))
    m = a.max(axis=axis, keepdims=True)
    out = np.log(np.exp(a - m).sum(axis=axis, keepdims=True)) + m
    return out if keepdims else out.squeeze(axis)


def np_var(a, axis=None, ddof=1, keepdims=False):
    n = a.size if axis is None else np.prod([a.shape[i] for i in np.atleast_1d(axis)])
    centred = a - a.sum(axis=axis, keepdims=True) / n
    return (centred ** 2).sum(axis=axis, keepdims=keepdims) / max(n - ddof, 0)


CASES = [
    Case("sum", lambda L, x: x.sum(), np.sum, WHOLE),
    Case("sum_dim", lambda L, x: L.sum(x, 1), lambda a: a.sum(1), ALONG),
    Case("sum_dim_keepdim", lambda L, x: x.sum(-1, keepdim=True),
         lambda a: a.sum(-1, keepdims=True), ALONG + [((3, 0),)]),
    Case("sum_dims", lambda L, x: x.sum((0, 2)), lambda a: a.sum((0, 2)), THREE),
    Case("sum_dims_keepdim", lambda L, x: L.sum(x, dim=(-1, 0), keepdim=True),
         lambda a: a.sum((0, 2), keepdims=True), THREE),
    Case("sum_empty_dims", lambda L, x: x.sum(()), np.sum, [((2, 3),)]),
    Case("sum_dtype", lambda L, x: x.sum(0, dtype=L.float64), lambda a: a.sum(0), [((3, 4),)]),
    Case("mean", lambda L, x: x.mean(), lambda a: a.sum() / a.size, WHOLE),
    Case("mean_dim", lambda L, x: L.mean(x, 0), lambda a: a.sum(0) / a.shape[0], ALONG),
    Case("mean_dims_keepdim", lambda L, x: x.mean((0, 2), keepdim=True),
         lambda a: a.mean((0, 2), keepdims=True), THREE[:2]),
    Case("var", lambda L, x: x.var(), np_var, [((3, 4),), ((2, 1, 3),), ((5,),)]),
    Case("var_dim_biased_keepdim", lambda L, x: x.var(1, False, True),
         lambda a: np_var(a, 1, 0, True), ALONG),
    Case("var_positional_unbiased", lambda L, x: L.var(x, False), lambda a: np_var(a, ddof=0),
         [((3, 4),)]),
    Case("var_correction", lambda L, x: L.var(x, dim=(0, 2), correction=2),
         lambda a: np_var(a, (0, 2), 2), [((2, 3, 4),), ((3, 1, 2),)]),
    Case("var_empty_dim", lambda L, x: x.var(0), lambda a: np_var(a, 0), [((0, 3),)]),
    Case("std", lambda L, x: x.std(), lambda a: np.sqrt(np_var(a)), [((3, 4),), ((2, 1, 3),)]),
    Case("std_dim_keepdim", lambda L, x: x.std(0, keepdim=True),
         lambda a: np.sqrt(np_var(a, 0, keepdims=True)), [((3, 4),), ((2, 1, 3),)]),
    Case("std_correction", lambda L, x: L.std(x, (1,), correction=0),
         lambda a: np.sqrt(np_var(a, 1, 0)), NONEMPTY),
    # std is |x|-like at a constant input: PyTorch's gradient there is 0, and finite differences
    # of it mean nothing (no gradgradcheck); at 0.7 a mean taken as sum / n is not 0.7, and the
    # gradient was ±0.41
    *[Case(f"std_of_constant_{label}", lambda L, x: x.std(1), lambda a: np.zeros(a.shape[0]),
           [((2, 3),), ((3, 7),)], make=constant(value), double=False)
      for label, value in INEXACT_CONSTANTS],
    # var is smooth there, its gradient 0; torch's float32 one is sum / n's rounding (-8e-4 at 1e5)
    *[Case(f"var_of_constant_{label}", lambda L, x: x.var(-1, correction=0),
           lambda a: np.zeros(a.shape[0]), [((2, 3),), ((3, 7),)], make=constant(value))
      for label, value in INEXACT_CONSTANTS[:3]],
    Case("prod", lambda L, x: x.prod(), np.prod, WHOLE),
    Case("prod_dim_keepdim", lambda L, x: L.prod(x, 1, keepdim=True),
         lambda a: a.prod(1, keepdims=True), ALONG + [((3, 0),)]),
    Case("prod_one_zero", lambda L, x: x.prod(), np.prod, [((2, 3),)], make=with_zeros(0, 1)),
    Case("prod_dim_one_zero_per_row", lambda L, x: x.prod(1), lambda a: a.prod(1),
         [((4, 3),), ((2, 1),), ((2, 3, 2),)], make=with_zeros(0, 1)),
    # Two or more zeros in a slice: the gradient is 0 there, the Hessian is not (torch: H[0, 1] = 6
    # at [0, 0, 2, 3])
    Case("prod_two_zeros", lambda L, x: x.prod(), np.prod, [((2, 3),)], make=with_zeros(1)),
    Case("prod_dim_zeros", lambda L, x: x.prod(-1), lambda a: a.prod(-1), [((3, 4),)],
         make=with_zeros(0, 1, 2, 4)),
    Case("prod_middle_dim_zeros", lambda L, x: x.prod(1), lambda a: a.prod(1), [((2, 3, 2),)],
         make=with_zeros(3, 4)),
    Case("prod_two_zeros_exact", lambda L, x: x.prod(), np.prod, [((4,),)],
         make=lambda rng, shape: np.array([0.0, 0.0, 2.0, 3.0])),
    Case("prod_three_zeros", lambda L, x: x.prod(0), lambda a: a.prod(0), [((4,),)],
         make=lambda rng, shape: np.array([0.0, 3.0, 0.0, 0.0])),
    Case("logsumexp_dim", lambda L, x: L.logsumexp(x, 1), lambda a: np_logsumexp(a, 1),
         ALONG + [((3, 0),)]),
    Case("logsumexp_dims_keepdim", lambda L, x: x.logsumexp((0, -1), keepdim=True),
         lambda a: np_logsumexp(a, (0, 2), True), THREE[:2]),
    Case("logsumexp_large", lambda L, x: L.logsumexp(x, -1), lambda a: np_logsumexp(a, -1),
         [((3, 4),), ((5,),)], make=large),
    Case("norm", lambda L, x: x.norm(), lambda a: np.sqrt((a * a).sum()), WHOLE),
    Case("norm_dim_keepdim", lambda L, x: L.norm(x, 2, 1, True),
         lambda a: np.sqrt((a * a).sum(1, keepdims=True)), ALONG),
    Case("norm_dims", lambda L, x: x.norm(dim=(0, 2)), lambda a: np.sqrt((a * a).sum((0, 2))),
         THREE),
    # the norm is |x|-like at 0: PyTorch's gradient there is 0, and finite differences of it mean
    # nothing (no gradgradcheck)
    Case("norm_at_zero", lambda L, x: x.norm(dim=1), lambda a: np.zeros(a.shape[0]),
         [((2, 3),)], make=zeros, double=False,
         no_torch_double="torch's second derivative of the norm at 0 is nan (0 · inf in its "
                         "masked backward); chainrule's is 0"),
    # other orders (reduce.PNorm, linalg.vector_norm's); more cases in tests/linalg/test_norms.py
    Case("norm_p3", lambda L, x: x.norm(3, 1), lambda a: (np.abs(a) ** 3).sum(1) ** (1 / 3),
         NONEMPTY),
    Case("norm_p_half_dims", lambda L, x: L.norm(x, 0.5, (0, 2)),
         lambda a: np.sqrt(np.abs(a)).sum((0, 2)) ** 2, THREE[:2]),
    Case("norm_of_constant", lambda L, x: x.norm(dim=1), lambda a: np.sqrt((a * a).sum(1)),
         [((2, 3),)], make=constant(0.7)),
]


class TestReduce(OpChecks):
    cases = CASES


# ----- dtypes, 0-d tensors and edge values, against torch -----------------------------------------
DTYPE_OPS = {
    "sum": lambda L, x: x.sum(), "sum_dim": lambda L, x: x.sum(0),
    "prod": lambda L, x: x.prod(0), "max": lambda L, x: x.max(),
    "max_dim": lambda L, x: x.max(0).values, "amin": lambda L, x: x.amin(0),
    "argmax": lambda L, x: x.argmax(), "argmin_dim": lambda L, x: x.argmin(0),
    "logsumexp": lambda L, x: L.logsumexp(x, 0), "mean_dtype": lambda L, x: x.mean(dtype=L.float64),
    "sum_dtype": lambda L, x: x.sum(dtype=L.float32),
}


@pytest.mark.parametrize("op", DTYPE_OPS)
@pytest.mark.parametrize("dtype", ["bool", "int32", "int64", "float32", "float64"])
def test_result_dtypes_match_torch(op, dtype):
    data = np.array([[1, 0, 3], [2, 5, 1]]).astype(dtype)
    if dtype == "bool" and op.startswith("arg"):
        with pytest.raises(RuntimeError, match="bool"):
            DTYPE_OPS[op](chainrule, chainrule.tensor(data))
        return
    ours = DTYPE_OPS[op](chainrule, chainrule.tensor(data))
    theirs = DTYPE_OPS[op](torch, torch.tensor(data))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float), rtol=1e-6)


ZERO_D_OPS = {
    "sum_0": lambda L, x: x.sum(0), "sum_keepdim": lambda L, x: x.sum(-1, keepdim=True),
    "mean": lambda L, x: x.mean(0), "prod": lambda L, x: x.prod(0),
    "logsumexp": lambda L, x: L.logsumexp(x, 0), "amax": lambda L, x: x.amax(0),
    "max_values": lambda L, x: x.max(-1, keepdim=True).values, "norm": lambda L, x: x.norm(dim=0),
    "max_indices": lambda L, x: x.max(0).indices, "argmax": lambda L, x: x.argmax(0),
    "var_biased": lambda L, x: x.var(0, correction=0), "var": lambda L, x: x.var(0),
    "std": lambda L, x: x.std(),
}


@pytest.mark.parametrize("op", ZERO_D_OPS)
def test_zero_dim_tensors_accept_dim_0_and_minus_1_as_torch(op):
    ours, theirs = chainrule.tensor(2.5), torch.tensor(2.5)
    out, expected = ZERO_D_OPS[op](chainrule, ours), ZERO_D_OPS[op](torch, theirs)
    assert out.shape == tuple(expected.shape) and str(out.dtype) == str(expected.dtype)[6:]
    np.testing.assert_allclose(out.numpy(), expected.numpy())


EDGE_VALUES = {
    "var_of_one_element": (lambda L, x: x.var(), [3.0]),
    "std_of_one_element": (lambda L, x: x.std(0), [3.0]),
    "var_correction_past_n": (lambda L, x: x.var(correction=3), [1.0, 2.0, 1.5]),
    "var_correction_past_n_along_dim": (lambda L, x: x.var(0, correction=3), [1.0, 2.0, 1.5]),
    "var_correction_n_along_dim": (lambda L, x: x.var(0, correction=2), [1.0, 2.0]),
    "var_of_0d_along_dim": (lambda L, x: x.var(0), 3.0),
    "std_correction_past_n": (lambda L, x: x.std(correction=3), [1.0, 2.0]),
    "std_correction_past_n_along_dim": (lambda L, x: x.std(0, correction=3), [1.0, 2.0, 1.5]),
    "logsumexp_all_minus_inf": (lambda L, x: L.logsumexp(x, 0), [-np.inf, -np.inf]),
    "logsumexp_with_inf": (lambda L, x: L.logsumexp(x, 0), [np.inf, 1.0]),
    "logsumexp_some_minus_inf": (lambda L, x: L.logsumexp(x, 0), [-np.inf, 1.0, 2.0]),
    "mean_of_empty": (lambda L, x: x.mean(), np.zeros(0)),
    "prod_of_empty": (lambda L, x: x.prod(), np.zeros(0)),
}


@pytest.mark.parametrize("case", EDGE_VALUES)
def test_edge_values_and_their_gradients_match_torch(case):
    fn, data = EDGE_VALUES[case]
    ours = chainrule.tensor(np.array(data), dtype=chainrule.float64, requires_grad=True)
    theirs = torch.tensor(np.array(data), dtype=torch.float64, requires_grad=True)
    out, expected = fn(chainrule, ours), fn(torch, theirs)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy())
    out.backward()
    expected.backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())


def test_prod_second_derivative_with_one_zero_matches_torch():
    data = np.array([[2.0, 0.0, 3.0], [1.5, -2.0, 0.5]])
    ours = chainrule.tensor(data, requires_grad=True)
    theirs = torch.tensor(data, requires_grad=True)
    (g,) = chainrule.autograd.grad(ours.prod(1).sum(), ours, create_graph=True)
    (h,) = torch.autograd.grad(theirs.prod(1).sum(), theirs, create_graph=True)
    np.testing.assert_allclose(g.detach().numpy(), h.detach().numpy())
    weights = np.arange(6.0).reshape(2, 3)
    (gg,) = chainrule.autograd.grad((g * chainrule.tensor(weights)).sum(), ours)
    (hh,) = torch.autograd.grad((h * torch.tensor(weights)).sum(), theirs)
    np.testing.assert_allclose(gg.numpy(), hh.numpy())


# ----- errors ---------------------------------------------------------------------------------
REDUCTIONS = ["sum", "mean", "var", "std", "prod", "amax", "amin", "logsumexp", "norm", "max",
              "min", "argmax", "argmin"]


@pytest.mark.parametrize("name", REDUCTIONS)
def test_a_dim_out_of_range_is_an_index_error_naming_op_dim_and_shape(name):
    x = chainrule.ones(2, 3)
    with pytest.raises(IndexError, match=rf"{name}: Dimension out of range .*but got -3\) for a "
                                         r"tensor of shape \(2, 3\)"):
        getattr(chainrule, name)(x, -3) if name != "norm" else x.norm(dim=-3)
    with pytest.raises(IndexError):
        getattr(torch, name)(torch.ones(2, 3), dim=-3)


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "prod", "amax", "logsumexp", "norm"])
def test_a_repeated_dim_raises(name):
    with pytest.raises(RuntimeError, match=rf"{name}: dim 1 appears more than once"):
        getattr(chainrule.ones(2, 3), name)(dim=(1, -1))


@pytest.mark.parametrize("call, error, message", [
    (lambda: chainrule.tensor([1, 2]).mean(), RuntimeError, "mean: only floating-point"),
    (lambda: chainrule.tensor([1, 2]).var(), RuntimeError, "var: only floating-point"),
    (lambda: chainrule.tensor([1, 2]).std(), RuntimeError, "std: only floating-point"),
    (lambda: chainrule.tensor([1, 2]).norm(), RuntimeError, "norm: only floating-point"),
    (lambda: chainrule.ones(3).var(0, True, correction=1), TypeError, "var: pass either"),
    (lambda: chainrule.ones(3).norm(p="max"), RuntimeError, "norm: p must be a number"),
    (lambda: chainrule.ones(2, 3).max((0, 1)), TypeError, "max: dim must be an int"),
    (lambda: chainrule.ones(2, 3).argmin((0,)), TypeError, "argmin: dim must be an int"),
    (lambda: chainrule.ones(2, 3).max(True), TypeError, "max: dim must be an int"),
    (lambda: chainrule.ones(2, 3).sum(1.0), TypeError, "sum: dim must be an int"),
])
def test_bad_arguments_raise_naming_the_op(call, error, message):
    with pytest.raises(error, match=message):
        call()


@pytest.mark.parametrize("call", [
    lambda L, t: t.all(), lambda L, t: t.any(), lambda L, t: t.all(dim=1),
    lambda L, t: t.any(1, keepdim=True), lambda L, t: L.all(t > 0), lambda L, t: (t == t).all(),
])
def test_all_and_any_match_torch(call):
    values = np.array([[1.0, 0.0, 2.0], [3.0, 4.0, 5.0]])
    ours, theirs = call(chainrule, chainrule.tensor(values)), call(torch, torch.tensor(values))
    assert ours.dtype == chainrule.bool
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("make", [
    lambda L: L.ones(2).sum(dtype=L.int32), lambda L: L.ones(2, dtype=L.int32).sum(),
    lambda L: L.ones(2, dtype=L.int64).sum(dtype=L.int16), lambda L: L.ones(2, dtype=L.bool).sum(),
    lambda L: L.ones(2, 3, dtype=L.int32).sum(1, dtype=L.int32),
])
def test_sum_dtype_is_torchs(make):
    # integers sum as int64 unless a dtype is asked for
    assert str(make(chainrule).dtype) == str(make(torch).dtype).removeprefix("torch.")


def test_std_of_a_constant_is_exactly_zero_with_a_zero_gradient_over_any_dims():
    """As torch's std(dim) (its Welford mean is exact on a constant). torch's whole-tensor float64
    std of 0.7s is 1.2e-16 with a gradient of -0.18, sum / n's rounding: chainrule gives 0 there too."""
    for dim in (None, 1, (0, 1), 0):
        x = chainrule.full((2, 3), 0.7, dtype=chainrule.float64, requires_grad=True)
        y = x.std() if dim is None else x.std(dim)
        y.sum().backward()
        assert not np.any(y.detach().numpy()) and not np.any(x.grad.numpy()), dim


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("correction", [0, 1, 3])
@pytest.mark.parametrize("label, value", INEXACT_CONSTANTS)
def test_var_gradient_at_a_constant_is_torchs_to_the_bit(label, value, correction, dtype):
    """Var's backward centres x in one pass, as torch's: at a constant its gradient is sum / n's
    rounding residue (1.1e-16 at 0.7 with correction 1), and ±inf where n <= correction (3 of 3)
    unless the residue is 0 (then nan); a second centring pass made these 0 and nan."""
    for dim in (None, 0):
        kwargs = {"correction": correction}
        if dim is not None:
            kwargs["dim"] = dim
        x = chainrule.full((3,), value, dtype=getattr(chainrule, dtype), requires_grad=True)
        t = torch.full((3,), value, dtype=getattr(torch, dtype), requires_grad=True)
        x.var(**kwargs).backward()
        t.var(**kwargs).backward()   # torch's degrees-of-freedom warning: filtered above
        np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy(), err_msg=f"dim={dim}")


# ----- properties every reduction keeps, for any shape and any dims (hypothesis) ------------------

FAST = settings(max_examples=50, deadline=None)

shapes = hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=4)
moderate_floats = st.floats(-10, 10, allow_nan=False, width=64)


@st.composite
def arrays_and_dims(draw, min_dims=1):
    """A float64 array and a set of its dims (a tuple, each dim possibly negative)."""
    array = draw(hnp.arrays(np.float64, draw(shapes), elements=moderate_floats))
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


@pytest.mark.parametrize("reduce", [lambda t: t.mean(), lambda t: t.mean(1).sum(),
                                    lambda t: t.mean((0, 1), keepdim=True).sum()])
def test_mean_gradient_may_be_changed_in_place_as_torchs(reduce):
    # mean's plain backward once handed on a read-only broadcast: autograd.grad's result and a
    # hook's in-place change then failed where torch (and the recorded backward) allow them
    values = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    results = []
    for L in (chainrule, torch):
        x = L.tensor(values, requires_grad=True)
        (g,) = L.autograd.grad(reduce(x), x)
        g.add_(1)
        y = x * 1
        y.register_hook(lambda grad: grad.mul_(2))
        reduce(y).backward()
        results.append((g.detach().numpy().copy(), x.grad.numpy().copy()))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)
