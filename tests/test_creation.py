"""Creation functions against torch: the device/layout/pin_memory/memory_format keywords,
randint/randperm/multinomial as torch reads them, tensor() and arange() refusing bad input."""
import math
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr

# Each creation function called with the keywords given, as chainrule and torch both spell it.
CREATORS = {
    "tensor": lambda lib, **kw: lib.tensor([1.0, 2.0], **kw),
    "as_tensor": lambda lib, **kw: lib.as_tensor([1.0, 2.0], **kw),
    "zeros": lambda lib, **kw: lib.zeros(2, 3, **kw),
    "ones": lambda lib, **kw: lib.ones((2, 3), **kw),
    "empty": lambda lib, **kw: lib.empty([2, 3], **kw),
    "full": lambda lib, **kw: lib.full((2, 3), 1.5, **kw),
    "arange": lambda lib, **kw: lib.arange(0, 5, **kw),
    "linspace": lambda lib, **kw: lib.linspace(0, 1, 5, **kw),
    "eye": lambda lib, **kw: lib.eye(3, **kw),
    "rand": lambda lib, **kw: lib.rand(2, 3, **kw),
    "randn": lambda lib, **kw: lib.randn(2, 3, **kw),
    "randint": lambda lib, **kw: lib.randint(10, (2, 3), **kw),
    "randperm": lambda lib, **kw: lib.randperm(5, **kw),
    "zeros_like": lambda lib, **kw: lib.zeros_like(lib.ones(2), **kw),
    "ones_like": lambda lib, **kw: lib.ones_like(lib.ones(2), **kw),
    "empty_like": lambda lib, **kw: lib.empty_like(lib.ones(2), **kw),
    "full_like": lambda lib, **kw: lib.full_like(lib.ones(2), 3.0, **kw),
    "rand_like": lambda lib, **kw: lib.rand_like(lib.ones(2), **kw),
    "randn_like": lambda lib, **kw: lib.randn_like(lib.ones(2), **kw),
    "randint_like": lambda lib, **kw: lib.randint_like(lib.ones(2), 5, **kw),
}


class DuckDevice:
    """What a program might pass: anything whose .type is 'cpu' (a torch.device is one)."""
    type, index = "cpu", None


@pytest.mark.parametrize("name", sorted(CREATORS))
@pytest.mark.parametrize("device", ["cpu", "cpu:0", cr.device("cpu"), cr.device("cpu", 0),
                                    torch.device("cpu"), DuckDevice()], ids=str)
def test_every_creation_function_takes_a_cpu_device(name, device):
    ours = CREATORS[name](cr, device=device)
    theirs = CREATORS[name](torch, device=torch.device("cpu"))
    assert ours.device == cr.device("cpu") and repr(ours.device) == repr(theirs.device)
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


@pytest.mark.parametrize("name", sorted(CREATORS))
@pytest.mark.parametrize("device", ["cuda", "cuda:1", "mps", cr.device("cuda")], ids=str)
def test_an_accelerator_device_is_refused_naming_function_and_device(name, device):
    with pytest.raises(RuntimeError, match=rf"{name}: chainrule computes on the CPU only, got "
                                           rf"device '{device}'"):
        CREATORS[name](cr, device=device)


def test_a_misspelt_device_is_refused():
    with pytest.raises(RuntimeError, match="zeros: device: expected one of cpu, cuda.*'gpu'"):
        cr.zeros(2, device="gpu")
    with pytest.raises(RuntimeError, match="zeros: device 0 is an accelerator's number"):
        cr.zeros(2, device=0)


@pytest.mark.parametrize("name", ["zeros", "ones", "full", "arange", "linspace", "eye", "rand",
                                  "randn", "randint", "randperm", "empty", "zeros_like"])
def test_layout_strided_is_accepted_as_torch_accepts_it(name):
    ours = CREATORS[name](cr, layout=cr.strided)
    assert ours.shape == tuple(CREATORS[name](torch, layout=torch.strided).shape)


@pytest.mark.parametrize("name", ["empty", "zeros_like", "ones_like", "empty_like", "full_like",
                                  "rand_like", "randn_like", "randint_like"])
@pytest.mark.parametrize("fmt", ["contiguous_format", "preserve_format"])
def test_memory_format_is_accepted_where_torch_takes_it(name, fmt):
    if name == "empty" and fmt == "preserve_format":
        with pytest.raises(RuntimeError, match="unsupported memory format"):
            CREATORS[name](torch, memory_format=getattr(torch, fmt))
        with pytest.raises(RuntimeError, match="empty: unsupported memory format preserve"):
            CREATORS[name](cr, memory_format=getattr(cr, fmt))
        return
    CREATORS[name](torch, memory_format=getattr(torch, fmt))
    assert CREATORS[name](cr, memory_format=getattr(cr, fmt)).device == "cpu"


@pytest.mark.parametrize("name", ["tensor", "zeros", "ones", "empty", "full", "rand", "randn",
                                  "randperm"])
def test_pin_memory_false_is_accepted_and_true_refused_as_in_torch(name):
    assert CREATORS[name](cr, pin_memory=False).shape == CREATORS[name](
        torch, pin_memory=False).shape
    with pytest.raises(RuntimeError):
        CREATORS[name](torch, pin_memory=True)
    with pytest.raises(RuntimeError, match=rf"{name}: pin_memory=True needs an accelerator"):
        CREATORS[name](cr, pin_memory=True)


# ----- randint, randperm -------------------------------------------------------------------------
@pytest.mark.parametrize("call, low, high", [
    (lambda lib: lib.randint(10, (3,)), 0, 10),
    (lambda lib: lib.randint(3, 10, (2, 4)), 3, 10),
    (lambda lib: lib.randint(high=5, size=(3,)), 0, 5),
    (lambda lib: lib.randint(low=2, high=5, size=[2, 2]), 2, 5),
    (lambda lib: lib.randint(5, size=(4,)), 0, 5),
    (lambda lib: lib.randint(5, (2,), dtype=lib.float32), 0, 5),
    (lambda lib: lib.randint(-3, 3, (1000,), dtype=lib.int32), -3, 3),
])
def test_randint_reads_its_arguments_as_torch_does(call, low, high):
    ours, theirs = call(cr), call(torch)
    assert ours.shape == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert low <= ours.min().item() and ours.max().item() < high


def test_randint_covers_its_range_uniformly():
    draws = cr.randint(2, 7, (50_000,), generator=cr.Generator().manual_seed(0)).numpy()
    counts = np.bincount(draws, minlength=7)[2:]
    assert draws.min() == 2 and draws.max() == 6
    assert _chi_square(counts, np.full(5, 0.2)) < 20.5   # 0.9995 quantile, 4 degrees of freedom


@pytest.mark.parametrize("call, error, message", [
    (lambda lib: lib.randint(5), TypeError, "randint: size must be a tuple of ints, got None"),
    (lambda lib: lib.randint(10, 3), TypeError, "randint: size must be a tuple of ints, got"),
    (lambda lib: lib.randint(10, size=3), TypeError, "size must be a tuple of ints, got 3"),
    (lambda lib: lib.randint(5, 5, (2,)), RuntimeError, "low must be less than high, got low=5"),
    (lambda lib: lib.randperm(-1), RuntimeError, "randperm: n must be a non-negative int"),
])
def test_randint_and_randperm_refuse_what_torch_refuses(call, error, message):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error, match=message):
        call(cr)


def test_randperm_is_a_permutation_with_torch_dtypes():
    for kwargs in ({}, {"dtype": "float32"}, {"dtype": "int32"}):
        ours = cr.randperm(7, **kwargs)
        theirs = torch.randperm(7, **{k: getattr(torch, v) for k, v in kwargs.items()})
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        assert sorted(ours.tolist()) == list(range(7))
    assert cr.randperm(0).shape == (0,)


@pytest.mark.parametrize("draw", [
    lambda g: cr.randint(100, (20,), generator=g), lambda g: cr.randperm(20, generator=g),
    lambda g: cr.rand(5, generator=g), lambda g: cr.randn(5, generator=g),
    lambda g: cr.multinomial(cr.ones(20), 5, generator=g),
    lambda g: cr.ones(3, 20).multinomial(5, replacement=True, generator=g),
    lambda g: cr.rand_like(cr.zeros(5), generator=g),
    lambda g: cr.randn_like(cr.zeros(5), generator=g),
    lambda g: cr.randint_like(cr.zeros(20), 100, generator=g),
    lambda g: cr.randint_like(cr.zeros(20), 3, 100, generator=g),
    lambda g: cr.normal(0.0, 1.0, (5,), generator=g),
    lambda g: cr.normal(cr.zeros(5), 1.0, generator=g),
    lambda g: cr.bernoulli(cr.full((20,), 0.5), generator=g),
    lambda g: cr.poisson(cr.full((20,), 3.0), generator=g),
    lambda g: cr.zeros(5).uniform_(generator=g), lambda g: cr.zeros(5).normal_(generator=g),
    lambda g: cr.zeros(20).bernoulli_(0.5, generator=g),
])
def test_a_generator_makes_draws_reproducible(draw):
    cr.manual_seed(0)
    global_state = cr.get_rng_state()
    first = draw(cr.Generator().manual_seed(3)).tolist()
    assert first == draw(cr.Generator().manual_seed(3)).tolist()
    assert first != draw(cr.Generator().manual_seed(4)).tolist()
    assert cr.get_rng_state().equal(global_state)   # the global generator was not drawn from
    cr.manual_seed(0)
    with_global = draw(None).tolist()
    cr.manual_seed(0)
    assert with_global == draw(None).tolist()


# ----- multinomial --------------------------------------------------------------------------------
def _chi_square(counts, probabilities):
    expected = probabilities * counts.sum()
    return float(((counts - expected) ** 2 / expected).sum())


@pytest.mark.parametrize("weights, samples, replacement", [
    ([1.0, 2.0, 3.0], 2, False), ([1.0, 2.0, 3.0], 5, True), ([[1.0, 0.0], [0.5, 0.5]], 1, False),
    ([[1.0, 1.0, 1.0]] * 4, 3, False), ([0.2, 0.8], 10, True),
])
def test_multinomial_shapes_and_dtype_follow_torch(weights, samples, replacement):
    for dtype in ("float32", "float64"):
        ours = cr.tensor(weights, dtype=dtype).multinomial(samples, replacement)
        theirs = torch.multinomial(torch.tensor(weights, dtype=getattr(torch, dtype)), samples,
                                   replacement)
        assert ours.shape == tuple(theirs.shape) and ours.dtype == cr.int64
        assert str(theirs.dtype) == "torch.int64"


def test_multinomial_with_replacement_follows_the_weights():
    weights = np.array([1.0, 2.0, 3.0, 0.0, 4.0])
    draws = cr.multinomial(cr.tensor(weights), 60_000, replacement=True,
                           generator=cr.Generator().manual_seed(1)).numpy()
    counts = np.bincount(draws, minlength=5)
    assert counts[3] == 0   # a zero weight is never drawn
    probabilities = weights / weights.sum()
    keep = probabilities > 0
    assert _chi_square(counts[keep], probabilities[keep]) < 18.0   # 0.9995 quantile, 3 d.o.f.


def test_multinomial_without_replacement_draws_sequentially():
    """The first draw follows the weights; the second, the weights renormalised without it."""
    weights = np.array([1.0, 2.0, 7.0])
    draws = cr.multinomial(cr.tensor(np.tile(weights, (30_000, 1))), 2,
                           generator=cr.Generator().manual_seed(2)).numpy()
    assert np.all(draws[:, 0] != draws[:, 1])
    first = np.bincount(draws[:, 0], minlength=3)
    assert _chi_square(first, weights / weights.sum()) < 15.2   # 0.9995 quantile, 2 d.o.f.
    pairs = np.bincount(draws[:, 0] * 3 + draws[:, 1], minlength=9)[[1, 2, 3, 5, 6, 7]]
    p = weights / weights.sum()
    expected = [p[i] * p[j] / (1 - p[i]) for i, j in [(0, 1), (0, 2), (1, 0), (1, 2), (2, 0),
                                                       (2, 1)]]
    assert _chi_square(pairs, np.array(expected)) < 26.0   # 0.9995 quantile, 5 d.o.f.


def test_multinomial_draws_zero_weights_last_as_torch():
    ours = cr.multinomial(cr.tensor([1.0, 0.0, 1.0]), 3)
    assert sorted(ours[:2].tolist()) == [0, 2] and ours[2].item() == 1


@pytest.mark.parametrize("weights, samples, replacement, message", [
    ([1.0, -2.0, 3.0], 2, False, "the weights contain inf, nan or a value < 0"),
    ([1.0, math.inf, 3.0], 2, False, "the weights contain inf, nan or a value < 0"),
    ([1.0, math.nan, 3.0], 2, True, "the weights contain inf, nan or a value < 0"),
    ([0.0, 0.0, 0.0], 2, False, "invalid distribution: the weights of row 0 sum to 0"),
    ([[1.0, 1.0], [0.0, 0.0]], 1, False, "invalid distribution: the weights of row 1 sum to 0"),
    ([1.0, 1.0, 1.0], 4, False, "cannot draw 4 samples without replacement from 3 categories"),
    ([1.0, 1.0], 0, True, "num_samples must be a positive int, got 0"),
    (1.0, 1, False, r"weights must be 1-D or 2-D, got shape \(\)"),
    ([[[1.0]]], 1, False, r"weights must be 1-D or 2-D, got shape \(1, 1, 1\)"),
    ([1, 2], 1, False, "weights must be floating point, got int64"),
])
def test_multinomial_refuses_bad_weights_as_torch_does(weights, samples, replacement, message):
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor(weights), samples, replacement)
    with pytest.raises(RuntimeError, match=f"multinomial: {message}"):
        cr.multinomial(cr.tensor(weights), samples, replacement)


# ----- tensor() and as_tensor() -------------------------------------------------------------------
@pytest.mark.parametrize("data, error, message", [
    ("a", TypeError, "tensor: cannot make a tensor from 'a'"),
    (b"ab", TypeError, "tensor: cannot make a tensor from b'ab'"),
    (["a", "b"], TypeError, "tensor: cannot make a tensor of <U1 data"),
    (None, TypeError, "tensor: cannot make a tensor from None"),
    ([1.0, None], TypeError, r"tensor: cannot make a tensor of NoneType \(None\)"),
    ([{"a": 1}], TypeError, "tensor: cannot make a tensor of dict"),
    (2**63, OverflowError, "tensor: the integer 9223372036854775808 does not fit in int64"),
    ([1, 2**64], OverflowError, "the integer 18446744073709551616 does not fit in int64"),
    ([-2**63 - 1], OverflowError, "the integer -9223372036854775809 does not fit in int64"),
    ([2**63, -1], OverflowError, "the integer 9223372036854775808 does not fit in int64"),
    ([[1, 2], [3]], ValueError, r"ragged nested sequence: .* dim 1, got lengths \[1, 2\]"),
    ([[1, 2], 3], ValueError, "ragged nested sequence: numbers and sequences mixed at dim 1"),
    (np.array([1, "a"], dtype=object), TypeError, "tensor: cannot make a tensor of str"),
    (np.array([1.0, 2.0], dtype=object), TypeError, "cannot make a tensor of object data"),
])
def test_tensor_refuses_what_is_not_numbers_naming_it(data, error, message):
    with pytest.raises((TypeError, ValueError, RuntimeError, OverflowError)):
        torch.tensor(data)
    with pytest.raises(error, match=message):
        cr.tensor(data)


def test_the_largest_int64_values_are_kept():
    assert cr.tensor([2**63 - 1, -2**63]).tolist() == torch.tensor([2**63 - 1, -2**63]).tolist()
    assert cr.tensor(2**64, dtype=cr.float32).item() == torch.tensor(2**64,
                                                                       dtype=torch.float32).item()


@pytest.mark.parametrize("make", [
    lambda lib: [lib.tensor(1.0), lib.tensor(2.0)],
    lambda lib: [lib.tensor(1), lib.tensor(2)],
    lambda lib: [lib.tensor(1.0, dtype=lib.float64), lib.tensor(2.0)],
    lambda lib: [lib.tensor(1), 2.5],
    lambda lib: [[lib.tensor(1.0)], [lib.tensor(3.0)]],
    lambda lib: [lib.tensor(1.0, requires_grad=True) * 2, lib.tensor(2.0)],
])
def test_a_list_of_0d_tensors_is_a_numeric_tensor_as_in_torch(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # torch: converting a tensor that requires grad
        theirs = torch.tensor(make(torch))
    ours = cr.tensor(make(cr))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert ours.tolist() == theirs.tolist() and not ours.requires_grad


def test_a_list_of_equal_shaped_tensors_stacks_and_a_ragged_one_is_refused():
    assert cr.tensor([cr.ones(2), cr.zeros(2)]).tolist() == [[1.0, 1.0], [0.0, 0.0]]
    with pytest.raises(ValueError, match=r"ragged nested sequence: .* lengths \[2, 3\]"):
        cr.tensor([cr.ones(2), cr.ones(3)])


def test_as_tensor_shares_memory_where_torch_does():
    array = np.arange(3.0)
    shared = cr.as_tensor(array)
    array[0] = 9.0
    assert shared[0].item() == 9.0 == torch.as_tensor(array)[0].item()
    t = cr.ones(2)
    assert cr.as_tensor(t) is t and cr.as_tensor(t, dtype=cr.float64).dtype == cr.float64
    assert cr.as_tensor([1, 2], dtype=cr.float32).tolist() == [1.0, 2.0]
    assert cr.as_tensor(np.ones(2), dtype=cr.float32).dtype == cr.float32


def test_default_dtype_can_be_read_and_set_as_in_torch():
    assert str(cr.get_default_dtype()) == str(torch.get_default_dtype()).removeprefix("torch.")
    try:
        cr.set_default_dtype(cr.float64)
        assert cr.tensor([1.5]).dtype == cr.float64 and cr.zeros(1).dtype == cr.float64
        assert cr.arange(0.0, 1.0, 0.5).dtype == cr.float64
    finally:
        cr.set_default_dtype(cr.float32)
    assert cr.tensor([1.5]).dtype == cr.float32
    with pytest.raises(TypeError, match="only floating-point types"):
        torch.set_default_dtype(torch.int64)
    with pytest.raises(TypeError, match="set_default_dtype: only float16, float32 and float64"):
        cr.set_default_dtype(cr.int64)


# ----- arange, linspace, eye ----------------------------------------------------------------------
@pytest.mark.parametrize("args, kwargs", [
    ((5,), {}), ((2, 9), {}), ((0, 10, 3), {}), ((10, 0, -3), {}), ((5.0,), {}),
    ((0, 1, 0.25), {}), ((1, 0, -0.1), {}), ((0, 1, 0.1), {}), ((3, 3), {}),
    ((5,), {"dtype": "float64"}), ((0.5, 4), {"dtype": "int64"}), ((-2.5, 2.5, 0.5), {}),
])
def test_arange_matches_torch(args, kwargs):
    ours = cr.arange(*args, **kwargs)
    theirs = torch.arange(*args, **{k: getattr(torch, v) for k, v in kwargs.items()})
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6, atol=1e-7)


def test_arange_takes_0d_tensors():
    assert cr.arange(cr.tensor(3)).tolist() == torch.arange(torch.tensor(3)).tolist()


@pytest.mark.parametrize("args, message", [
    ((0, 10, 0), r"arange: step must be nonzero \(start=0, end=10\)"),
    ((0, 10, -1), "arange: upper bound and lower bound inconsistent with step sign"),
    ((10, 0, 1), "arange: upper bound and lower bound inconsistent with step sign"),
    ((0, math.inf), "arange: unsupported range: 0 -> inf"),
    ((0, math.nan), "arange: unsupported range: 0 -> nan"),
    ((-math.inf, 0), "arange: unsupported range: -inf -> 0"),
])
def test_arange_refuses_a_bad_range_as_torch_does(args, message):
    with pytest.raises(RuntimeError):
        torch.arange(*args)
    with pytest.raises(RuntimeError, match=message):
        cr.arange(*args)


def test_sizes_must_be_non_negative_ints():
    with pytest.raises(RuntimeError, match=r"zeros: .* negative dimension: \(2, -1\)"):
        cr.zeros(2, -1)
    with pytest.raises(TypeError, match="ones: size must be ints or one tuple of ints"):
        cr.ones(2.5)
    with pytest.raises(RuntimeError, match="linspace: number of steps must be non-negative"):
        cr.linspace(0, 1, -1)
    with pytest.raises(RuntimeError, match="eye: n and m must be non-negative ints"):
        cr.eye(-1)


def test_random_draws_must_be_floating_point():
    with pytest.raises(RuntimeError):
        torch.randn(2, dtype=torch.int64)
    with pytest.raises(RuntimeError,
                       match=r"randn: random draws need a floating-point dtype \(.*\), got int64"):
        cr.randn(2, dtype=cr.int64)


@pytest.mark.parametrize("name", ["zeros", "ones", "empty", "rand", "randn"])
def test_size_can_be_given_by_keyword_as_in_torch(name):
    ours, theirs = getattr(cr, name)(size=(2, 3)), getattr(torch, name)(size=(2, 3))
    assert ours.shape == tuple(theirs.shape)
    with pytest.raises(TypeError, match=f"{name}: give the size once"):
        getattr(cr, name)(2, size=(2, 3))


def test_numpy_scalars_and_0d_tensors_are_read_as_numbers():
    n = np.int64(4)
    assert cr.arange(n).tolist() == torch.arange(n).tolist()
    assert cr.randperm(n).shape == (4,) and cr.eye(n).shape == (4, 4)
    assert cr.randint(n, (3,)).shape == (3,) and cr.linspace(0, 1, n).shape == (4,)
    assert cr.multinomial(cr.ones(5), n).shape == tuple(torch.multinomial(torch.ones(5), n).shape)


# ----- the creation probe: each bad argument refused as torch refuses it, and named --------------
@pytest.mark.parametrize("call, error, message", [
    (lambda L: L.zeros(-1), RuntimeError, r"zeros: .*negative dimension: \(-1,\)"),
    (lambda L: L.randn(2.5), TypeError, "randn: size must be ints"),
    (lambda L: L.linspace(0, 1, -1), RuntimeError, "number of steps must be non-negative"),
    (lambda L: L.linspace(0, 1, 2.5), TypeError, "linspace\\(\\): argument 'steps' must be an int"),
    (lambda L: L.full((2,), "a"), TypeError, "full\\(\\): argument 'fill_value' must be a number"),
    (lambda L: L.full_like(L.ones(2), "a"), TypeError,
     "full_like\\(\\): argument 'fill_value' must be a number, not str"),
    (lambda L: L.ones(2).normal_(0, -1), RuntimeError, "normal_: expects std >= 0.0"),
], ids=["zeros-negative", "randn-float", "linspace-negative", "linspace-float", "full-str",
        "full_like-str", "normal_-std"])
def test_the_creation_probe_is_refused_as_in_torch(call, error, message):
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error, match=message):
        call(cr)


def test_full_takes_a_0d_tensor_or_numpy_scalar_as_its_value():
    assert cr.full((2,), cr.tensor(1.5)).tolist() == [1.5, 1.5]
    mine, theirs = cr.full((2,), np.float64(2.0)), torch.full((2,), np.float64(2.0))
    assert str(mine.dtype) == str(theirs.dtype).removeprefix("torch.")


# ----- asarray, scalar_tensor ---------------------------------------------------------------------
@pytest.mark.parametrize("make", [lambda L: np.ones(3), lambda L: [1, 2.5], lambda L: 3.5,
                                  lambda L: np.float64(2.0), lambda L: L.ones(2),
                                  lambda L: np.arange(4, dtype=np.int32)],
                         ids=["ndarray", "list", "float", "numpy-scalar", "tensor", "int32"])
def test_asarray_is_torchs(make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        mine, theirs = cr.asarray(make(cr)), torch.asarray(make(torch))
    assert str(mine.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(mine.numpy(), theirs.numpy())


def test_asarray_shares_unless_told_to_copy():
    array = np.ones(3)
    shared, copied = cr.asarray(array), cr.asarray(array, copy=True)
    array[0] = 5
    assert shared.tolist()[0] == 5 and copied.tolist()[0] == 1
    x = cr.ones(2, requires_grad=True)
    assert cr.asarray(x) is x and cr.asarray(x, copy=True) is not x
    assert cr.asarray(x, copy=True).requires_grad and not cr.asarray(x, requires_grad=False) \
        .requires_grad
    with pytest.raises(ValueError, match="asarray: can't alias a float64 array as float32"):
        cr.asarray(np.ones(3), dtype=cr.float32, copy=False)


def test_scalar_tensor_is_torchs():
    for value, dtype in ((3, None), (3, "int64"), (2.5, "float64")):
        kwargs = {} if dtype is None else {"dtype": dtype}
        mine = cr.scalar_tensor(value, **{k: getattr(cr, v) for k, v in kwargs.items()})
        theirs = torch.scalar_tensor(value, **{k: getattr(torch, v) for k, v in kwargs.items()})
        assert mine.shape == () and str(mine.dtype) == str(theirs.dtype).removeprefix("torch.")
        assert mine.item() == theirs.item()
    with pytest.raises(TypeError, match="scalar_tensor\\(\\): argument 's' must be a number"):
        cr.scalar_tensor([1])


@pytest.mark.parametrize("array", [np.array([object()]), np.array(["a"]), np.array([b"x"])])
def test_from_numpy_refuses_arrays_that_hold_no_numbers(array):
    with pytest.raises(TypeError, match="can't convert"):   # torch refuses them too
        torch.from_numpy(array)
    with pytest.raises(TypeError, match=rf"from_numpy: can't convert an array of dtype "
                                        rf"{array.dtype}"):
        cr.from_numpy(array)


def test_tensor_of_a_tensor_is_a_copy():
    a = cr.ones(3)
    b = cr.tensor(a)
    b[0] = 5
    assert a.numpy().tolist() == [1, 1, 1]
