"""dtypes: the differentiable cast and PyTorch's type promotion, against torch."""
import math
import warnings

import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks

UNARY = [((3, 4),), ((2, 1, 3),), ((),), ((0, 2),)]


class TestDtypes(OpChecks):
    cases = [
        # Finite differences through a float32 round trip carry ~1e-7 / 1e-6 relative noise, so
        # the checker's tolerances are wide; the second derivatives are torch's to float32 rounding.
        Case("to_float32", lambda L, a: a.to(L.float32), lambda a: a.astype(np.float32), UNARY,
             atol=0.1, rtol=0.1, second_rtol=1e-6),
        # the cast's own backward differentiated again: y = x32², d²y/dx² = 2 through two casts
        Case("to_float32_squared", lambda L, a: a.to(L.float32) * a.to(L.float32),
             lambda a: a.astype(np.float32) * a.astype(np.float32), UNARY, atol=0.1, rtol=0.1,
             second_rtol=1e-6),
        Case("to_float32_and_back", lambda L, a: a.to(L.float32).to(L.float64).exp(),
             lambda a: np.exp(a.astype(np.float32).astype(np.float64)), UNARY, atol=0.1, rtol=0.1,
             second_rtol=1e-6),
        # bfloat16 is float32 storage rounded to bfloat16; its values are torch's exactly. The
        # rounding is piecewise constant, so its gradient (dy, as a cast) is checked below.
        Case("to_bfloat16", lambda L, a: a.to(L.bfloat16).to(a.dtype),
             lambda a: bfloat16_values(a), UNARY, differentiable=False,
             torch_rtol={"float32": 0.0, "float64": 0.0}),
    ]


def bfloat16_values(a):
    """NumPy's float32 with the low 16 bits rounded away (to nearest, ties to even)."""
    bits = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
    return np.where(np.isnan(a), a, rounded.view(np.float32)).astype(a.dtype)


def test_promotion_follows_torch():
    """A dimensioned tensor outranks a 0-d one of its category; a higher category always wins."""
    pairs = [([1, 2], 1.5), ([1, 2], True), ([True], 2), ([True], 2.5)]
    for left, right in pairs:
        assert str((chainrule.tensor(left) + right).dtype) == \
            str((torch.tensor(left) + right).dtype).removeprefix("torch.")
    dtypes = ["float32", "float64", "int32", "int64", "bool", "float16"]
    for da in dtypes:
        for db in dtypes:
            for shape_a, shape_b in [((2,), ()), ((), (2,)), ((2,), (2,)), ((), ())]:
                ours = chainrule.ones(shape_a, dtype=da) * chainrule.ones(shape_b, dtype=db)
                theirs = (torch.ones(shape_a, dtype=getattr(torch, da))
                          * torch.ones(shape_b, dtype=getattr(torch, db)))
                expected = str(theirs.dtype).removeprefix("torch.")
                assert str(ours.dtype) == expected, (da, shape_a, db, shape_b)


def test_promoted_float_operand_keeps_its_gradient():
    scale = chainrule.tensor(2.0, dtype=chainrule.float64, requires_grad=True)
    x = chainrule.tensor([1.0, 3.0], requires_grad=True)
    y = x * scale
    assert y.dtype == chainrule.float32
    y.backward(chainrule.ones(2))
    assert scale.grad.dtype == chainrule.float64 and scale.grad.item() == 4.0
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])


# ----- float16, bfloat16, finfo, iinfo ------------------------------------------------------------
SPECIAL = [0.0, -0.0, 1.1, 3.14159, 1e-40, 65504.0, 3.4e38, -3.4e38, 1.0078125, 1.01171875,
           1.00390625, 1.01171875 + 2**-9, math.inf, -math.inf, math.nan, 1e-45, 7.0e-39]


@pytest.fixture
def quiet_bfloat16():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        yield


@pytest.mark.usefixtures("quiet_bfloat16")
def test_bfloat16_values_are_torchs_bfloat16_values():
    values = SPECIAL + list(np.random.default_rng(0).standard_normal(2000) * 10.0 ** np.arange(
        -20, 20, 0.02))
    expected = torch.tensor(values, dtype=torch.float32).to(torch.bfloat16).float().numpy()
    for ours in (chainrule.tensor(values).to(chainrule.bfloat16),
                 chainrule.tensor(values).bfloat16(),
                 chainrule.tensor(values, dtype=chainrule.bfloat16),
                 chainrule.tensor(values).to(dtype=chainrule.bfloat16)):
        assert ours.dtype == chainrule.float32   # the storage: NumPy has no bfloat16
        np.testing.assert_array_equal(ours.numpy(), expected)


@pytest.mark.usefixtures("quiet_bfloat16")
@pytest.mark.parametrize("make", [
    lambda lib: lib.full((3,), 1.1, dtype=lib.bfloat16),
    lambda lib: lib.arange(0, 1, 0.1, dtype=lib.bfloat16),
    lambda lib: lib.randn(50, generator=lib.Generator().manual_seed(0), dtype=lib.bfloat16),
])
def test_creation_with_dtype_bfloat16_rounds_as_torch(make):
    """Values are rounded to bfloat16 when a tensor is made or cast; arithmetic on them is
    float32's (torch computes linspace, and ops on bfloat16 tensors, in bfloat16)."""
    ours = make(chainrule).numpy()
    np.testing.assert_array_equal(ours, torch.tensor(ours).bfloat16().float().numpy())
    if make(torch).dtype == torch.bfloat16 and "randn" not in str(make.__code__.co_names):
        np.testing.assert_array_equal(ours, make(torch).float().numpy())


def test_bfloat16_warns_once_that_it_is_float32_storage():
    chainrule.backend._warned.discard("bfloat16")
    with pytest.warns(UserWarning, match="chainrule stores bfloat16 tensors as float32"):
        chainrule.zeros(2, dtype=chainrule.bfloat16)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chainrule.zeros(2).to(chainrule.bfloat16)   # once only


@pytest.mark.usefixtures("quiet_bfloat16")
def test_the_gradient_through_a_bfloat16_cast_is_torchs():
    ours = chainrule.tensor([1.1, -2.3], requires_grad=True)
    theirs = torch.tensor([1.1, -2.3], requires_grad=True)
    (ours.to(chainrule.bfloat16) * 3.0).sum().backward()
    (theirs.to(torch.bfloat16) * 3.0).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("convert", [
    lambda lib, x: x.half(), lambda lib, x: x.to(lib.float16), lambda lib, x: x.to(lib.half),
    lambda lib, x: lib.tensor(x.tolist(), dtype=lib.float16), lambda lib, x: x.type(lib.float16),
])
def test_float16_converts_as_torch(convert):
    values = [1.1, 3.14159, 65504.0, 70000.0, 1e-8, -2.5]
    ours = convert(chainrule, chainrule.tensor(values))
    theirs = convert(torch, torch.tensor(values))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.") == "float16"
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(ours.float().numpy(), theirs.float().numpy())


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
def test_finfo_matches_torch(name):
    ours, theirs = chainrule.finfo(getattr(chainrule, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(ours, field) == pytest.approx(getattr(theirs, field), rel=1e-6), field
    assert chainrule.finfo().eps == torch.finfo().eps


@pytest.mark.parametrize("name", ["int32", "int64", "int8", "uint8", "int16"])
def test_iinfo_matches_torch(name):
    ours, theirs = chainrule.iinfo(name), torch.iinfo(getattr(torch, name))
    assert (ours.bits, ours.min, ours.max) == (theirs.bits, theirs.min, theirs.max)


def test_finfo_and_iinfo_refuse_the_other_kind():
    with pytest.raises(TypeError, match="finfo: expected a floating dtype, got int32; use iinfo"):
        chainrule.finfo(chainrule.int32)
    with pytest.raises(TypeError, match="iinfo: expected an integer dtype, got .*; use finfo"):
        chainrule.iinfo(chainrule.float32)


def test_is_floating_point_as_torch():
    for name in ("float16", "float32", "float64", "int32", "int64", "bool"):
        ours, theirs = chainrule.ones(2, dtype=name), torch.ones(2, dtype=getattr(torch, name))
        assert ours.is_floating_point() == theirs.is_floating_point()
        assert chainrule.is_floating_point(ours) == torch.is_floating_point(theirs)
    assert chainrule.bfloat16.is_floating_point and chainrule.bfloat16.itemsize == 2


def test_an_unknown_dtype_is_refused_by_name():
    with pytest.raises(TypeError, match="'floaty' is not a dtype chainrule knows"):
        chainrule.zeros(2, dtype="floaty")


@pytest.mark.parametrize("name", ["float16", "float32", "float64", "int32", "int64", "bool"])
def test_a_dtype_answers_what_torch_code_asks_of_it(name):
    ours = chainrule.ones(1, dtype=name).dtype
    theirs = torch.ones(1, dtype=getattr(torch, name)).dtype
    for field in ("is_floating_point", "is_complex", "is_signed", "itemsize"):
        assert getattr(ours, field) == getattr(theirs, field), field
    assert isinstance(ours, chainrule.dtype) and isinstance(theirs, torch.dtype)
    assert str(ours) == str(theirs).removeprefix("torch.") and repr(ours) == f"chainrule.{ours}"
    assert ours is getattr(chainrule, name) and ours == getattr(chainrule, name)


def test_a_dtype_is_the_numpy_dtype_it_wraps():
    dtype = chainrule.float32
    assert dtype == np.float32 and dtype == np.dtype("float32") and dtype == "float32"
    assert np.dtype("float32") == dtype and dtype != chainrule.float64
    assert not dtype == None  # noqa: E711  (NumPy reads None as float64; chainrule does not)
    assert np.zeros(2, dtype=dtype).dtype == np.float32 and np.ones(2).astype(dtype).dtype == dtype
    assert {np.dtype("float32"): 1}[dtype] == 1 and {dtype: 1}[np.dtype("float32")] == 1
    assert dtype.kind == "f" and dtype.name == "float32" and dtype.itemsize == 4
    import pickle
    assert pickle.loads(pickle.dumps(dtype)) is dtype


# ----- operands that are not tensors ------------------------------------------------------------
@pytest.mark.parametrize("other", ["a", None, {}, [1.0, 2.0], (1.0, 2.0), object()],
                         ids=lambda v: type(v).__name__)
@pytest.mark.parametrize("op, name", [(lambda x, o: x + o, "add"), (lambda x, o: x * o, "mul"),
                                      (lambda x, o: x - o, "sub"), (lambda x, o: x / o, "div"),
                                      (lambda x, o: x ** o, "pow")])
def test_an_operand_that_is_not_a_number_is_refused_as_in_torch(op, name, other):
    with pytest.raises(TypeError):
        op(torch.ones(2), other)
    with pytest.raises(TypeError, match=rf"{name}: unsupported operand type\(s\): 'Tensor' and "
                                        rf"'{type(other).__name__}'"):
        op(chainrule.ones(2), other)


@pytest.mark.parametrize("dtype", ["float32", "int64", "bool"])
@pytest.mark.parametrize("array", [np.array(2.0), np.ones(2), np.array(3, dtype=np.int32),
                                   np.ones(2, dtype=np.float32), np.ones(2, dtype=bool),
                                   np.float32(2.5), np.float64(2.5), np.int64(2)],
                         ids=lambda a: f"{type(a).__name__}-{a.dtype}-{np.ndim(a)}d")
def test_numpy_operands_give_torchs_dtype(dtype, array):
    """torch hands `tensor * ndarray` to NumPy's promotion; NumPy scalars act as Python ones."""
    if dtype == "bool" and array.dtype == bool and np.ndim(array):
        pytest.skip("torch turns NumPy's bool product into uint8 on the way back; chainrule "
                    "keeps bool, as bool * bool is for tensors")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # torch's __array_wrap__
        theirs = torch.ones(2, dtype=getattr(torch, dtype)) * array
    ours = chainrule.ones(2, dtype=getattr(chainrule, dtype)) * array
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_allclose(ours.numpy(), np.asarray(theirs))


# ----- what torch code asks about dtypes and storage --------------------------------------------
_NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]


@pytest.mark.parametrize("first", _NAMES)
def test_promote_types_and_can_cast_are_torchs(first):
    for second in _NAMES:
        mine = chainrule.promote_types(getattr(chainrule, first), getattr(chainrule, second))
        theirs = torch.promote_types(getattr(torch, first), getattr(torch, second))
        assert str(mine) == str(theirs).removeprefix("torch."), (first, second)
        assert chainrule.can_cast(getattr(chainrule, first), getattr(chainrule, second)) == \
            torch.can_cast(getattr(torch, first), getattr(torch, second)), (first, second)


@pytest.mark.parametrize("a, b", [(lambda L: L.ones(2, dtype=L.int64), 2.5),
                                  (lambda L: L.ones(2), lambda L: L.tensor(1.0).double()),
                                  (lambda L: L.ones(2, dtype=L.uint8), -1),
                                  (lambda L: L.tensor(1), lambda L: L.ones(2, dtype=L.int16))])
def test_result_type_is_torchs(a, b):
    def make(L, v):
        return v(L) if callable(v) else v
    mine = chainrule.result_type(make(chainrule, a), make(chainrule, b))
    theirs = torch.result_type(make(torch, a), make(torch, b))
    assert str(mine) == str(theirs).removeprefix("torch.")


@pytest.mark.parametrize("method", ["byte", "char", "short", "int", "long", "half", "double"])
def test_conversion_methods_give_torchs_dtypes(method):
    mine = getattr(chainrule.tensor([1.0, 2.0]), method)()
    theirs = getattr(torch.tensor([1.0, 2.0]), method)()
    assert str(mine.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert chainrule.short is chainrule.int16 and str(chainrule.uint8) == "uint8"


def test_is_nonzero_is_torchs():
    for L in (torch, chainrule):
        assert L.is_nonzero(L.tensor([1.5])) and not L.tensor(0).is_nonzero()
        for bad in (L.ones(2), L.ones(0)):
            with pytest.raises(RuntimeError, match="Boolean value of Tensor with"):
                L.is_nonzero(bad)


@pytest.mark.parametrize("dtype, value", [("uint8", -1), ("int8", 300), ("uint8", 256)])
def test_a_python_int_outside_a_small_integer_dtype_wraps_as_in_torch(dtype, value):
    mine = chainrule.ones(2, dtype=getattr(chainrule, dtype)) + value
    theirs = torch.ones(2, dtype=getattr(torch, dtype)) + value
    assert str(mine.dtype) == dtype and mine.tolist() == theirs.tolist()


@pytest.mark.parametrize("make", [
    lambda L: L.zeros(2, dtype=float), lambda L: L.tensor([1.0], dtype=float),
    lambda L: L.ones(2).to(float), lambda L: L.zeros(2, dtype=int), lambda L: L.zeros(2, dtype=bool),
])
def test_python_types_as_dtypes_are_torchs(make):
    # Python's float is float64 in torch, not the default float32
    assert str(make(chainrule).dtype) == str(make(torch).dtype).removeprefix("torch.")


@pytest.mark.parametrize("name, want", [("float", "float32"), ("double", "float64"),
                                        ("half", "float16"), ("long", "int64"), ("int", "int32"),
                                        ("torch.float32", "float32")])
def test_dtype_names_mean_what_they_mean_in_torch(name, want):
    # NumPy reads "float" as float64 and "int" as int64; torch.float is float32, torch.int int32
    assert str(chainrule.zeros(2, dtype=name).dtype) == want
    assert str(chainrule.ones(2).sum(dtype=name).dtype) == want
    assert str(getattr(torch, name.removeprefix("torch."))).removeprefix("torch.") == want


@pytest.mark.parametrize("move", [
    lambda lib, x: x.to("cpu"), lambda lib, x: x.to("cpu:0"), lambda lib, x: x.cpu(),
    lambda lib, x: x.to(lib.device("cpu")), lambda lib, x: x.to(torch.device("cpu")),
    lambda lib, x: x.to(lib.device("cpu"), lib.float64), lambda lib, x: x.to("cpu", lib.float16),
    lambda lib, x: x.to(device="cpu", dtype=lib.float64, non_blocking=True),
    lambda lib, x: x.to(lib.zeros(1, dtype=lib.float64)), lambda lib, x: x.to(lib.int64),
    lambda lib, x: x.to("cpu", copy=True), lambda lib, x: x.to(x.device),
])
def test_to_reads_devices_dtypes_and_tensors_as_torch(move):
    ours, theirs = move(chainrule, chainrule.tensor([1.5, 2.5])), move(torch, torch.tensor([1.5, 2.5]))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert repr(ours.device) == repr(theirs.device)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_to_with_copy_makes_a_new_tensor_and_without_returns_itself():
    x = chainrule.ones(2)
    assert x.to("cpu") is x and x.to("cpu", copy=True) is not x
