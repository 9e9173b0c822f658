"""The legacy typed constructors (torch.FloatTensor and its kin) against torch: data, sizes,
isinstance by dtype, and torch.cuda's types named but refused."""
import numpy as np
import pytest
import torch

import chainrule as cr

NAMES = ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor", "ShortTensor",
         "CharTensor", "ByteTensor", "BoolTensor"]


@pytest.mark.parametrize("name", NAMES)
def test_data_and_sizes_make_torchs_tensors(name):
    ours, theirs = getattr(cr, name), getattr(torch, name)
    for args in (([1, 0, 2],), ((2, 3)), (3,), ()):
        args = args if isinstance(args, tuple) else (args,)
        a, b = ours(*args), theirs(*args)
        assert tuple(a.shape) == tuple(b.shape), args
        assert str(a.dtype) == str(b.dtype).removeprefix("torch."), args
        if args and isinstance(args[0], list):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")


def test_isinstance_asks_for_the_dtype():
    for L in (cr, torch):
        assert isinstance(L.ones(2), L.FloatTensor)
        assert not isinstance(L.ones(2, dtype=L.float64), L.FloatTensor)
        assert isinstance(L.ones(2, dtype=L.float64), L.DoubleTensor)
        assert isinstance(L.arange(3), L.LongTensor) and not isinstance([1], L.LongTensor)


def test_the_old_tensor_alias_idiom_runs():
    """`Tensor = torch.cuda.FloatTensor if cuda else torch.FloatTensor`, then Tensor(x)."""
    for L in (cr, torch):
        Tensor = L.cuda.FloatTensor if L.cuda.is_available() else L.FloatTensor
        x = Tensor(np.ones((2, 2)))
        assert str(x.dtype).endswith("float32") and x.shape == (2, 2)


def test_cuda_types_are_named_but_refused():
    with pytest.raises(TypeError, match="torch.cuda.FloatTensor not available"):
        torch.cuda.FloatTensor([1.0])
    with pytest.raises(TypeError, match=r"torch.cuda.FloatTensor not available: chainrule "
                                        r"computes on the CPU only"):
        cr.cuda.FloatTensor([1.0])


def test_a_tensor_of_another_dtype_is_refused_as_in_torch():
    with pytest.raises(TypeError):
        torch.FloatTensor(torch.ones(2, dtype=torch.float64))
    with pytest.raises(TypeError, match=r"FloatTensor: expected a tensor of dtype float32, got "
                                        r"float64"):
        cr.FloatTensor(cr.ones(2, dtype=cr.float64))
    x = cr.ones(2)
    assert cr.FloatTensor(x) is x


def test_bad_sizes_name_the_type():
    with pytest.raises(RuntimeError, match=r"LongTensor: negative dimension in size \(2, -1\)"):
        cr.LongTensor(2, -1)
    with pytest.raises(TypeError, match="FloatTensor: expected data"):
        cr.FloatTensor(2, "a")


def test_tensor_type_names_and_casts_as_torch():
    for L in (torch, cr):
        x = L.ones(2)
        assert x.type() == "torch.FloatTensor" and L.arange(2).type() == "torch.LongTensor"
        assert str(x.type(L.LongTensor).dtype).endswith("int64")
        assert str(x.type("torch.DoubleTensor").dtype).endswith("float64")
        assert str(x.type(L.float16).dtype).endswith("float16")
    with pytest.raises(TypeError, match="type: invalid type 'torch.NoSuchTensor'"):
        cr.ones(2).type("torch.NoSuchTensor")
    with pytest.raises(RuntimeError, match="CPU only"):
        cr.ones(2).type(cr.cuda.FloatTensor)


@pytest.mark.parametrize("args", [(), (2, 3), (5,), (0,)])
def test_the_legacy_tensor_constructor_takes_sizes(args):
    """`nn.Parameter(torch.Tensor(out, in))` then an init: the idiom of older custom layers."""
    ours, theirs = cr.Tensor(*args), torch.Tensor(*args)
    assert tuple(ours.shape) == tuple(theirs.shape) and str(ours.dtype) == "float32"
    assert tuple(cr.Tensor(cr.Size(args)).shape) == tuple(torch.Tensor(torch.Size(args)).shape)


def test_the_legacy_tensor_constructor_makes_lists_float_as_torch():
    for data in ([1, 2, 3], [[1.5], [2.0]], [7.0]):
        ours, theirs = cr.Tensor(data), torch.Tensor(data)
        assert str(ours.dtype) == "float32" and ours.shape == tuple(theirs.shape)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(RuntimeError, match=r"Tensor: negative dimension in size \(2, -1\)"):
        cr.Tensor(2, -1)
    with pytest.raises(TypeError, match="Tensor: expected data or sizes"):
        cr.Tensor([1.0], "float64")
