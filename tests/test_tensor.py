"""Tensor and the ways to make one: dtypes, conversions, leaves, and PyTorch's habits."""
import numpy as np
import pytest
import torch

import chainrule as cr


@pytest.mark.parametrize("data, dtype", [([1.0, 2.0], "float32"), ([1, 2], "int64"),
                                         ([True, False], "bool"), (3.5, "float32"),
                                         (np.array([1.0]), "float64"),
                                         (np.array([1], dtype=np.int32), "int32")])
def test_tensor_infers_dtypes_as_torch_does(data, dtype):
    assert str(cr.tensor(data).dtype) == dtype == str(torch.tensor(data).dtype)[6:]


def test_tensor_copies_and_from_numpy_shares():
    array = np.arange(3.0)
    copied, shared = cr.tensor(array), cr.from_numpy(array)
    array[0] = 7
    assert copied.numpy()[0] == 0 and shared.numpy()[0] == 7


@pytest.mark.parametrize("make", [
    lambda L: L.zeros(2, 3), lambda L: L.ones((2, 3)), lambda L: L.full((2,), 1.5),
    lambda L: L.full((2,), 7), lambda L: L.arange(5), lambda L: L.arange(1, 2, 0.25),
    lambda L: L.linspace(0, 1, 5), lambda L: L.eye(3), lambda L: L.zeros_like(L.ones(2, 2)),
    lambda L: L.ones_like(L.zeros(3, dtype=L.float64)), lambda L: L.eye(2, 3),
])
def test_factories_match_torch(make):
    ours, theirs = make(cr), make(torch)
    assert str(ours.dtype) == str(theirs.dtype)[6:]
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_random_draws_follow_manual_seed():
    cr.manual_seed(3)
    a = cr.randn(4, 5)
    cr.manual_seed(3)
    b = cr.randn(4, 5)
    assert np.array_equal(a.numpy(), b.numpy()) and a.dtype == cr.float32
    u = cr.rand(1000)
    assert 0 <= u.numpy().min() and u.numpy().max() < 1


def test_leaf_properties_and_detach():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.grad_fn is not None and x.grad_fn is None
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d.array is y.array
    assert x.data.array is x.array and not x.data.requires_grad


def test_conversions_and_python_scalars():
    t = cr.tensor([[1.5, -2.0]])
    assert t.shape == (1, 2) and t.ndim == 2 and t.size() == (1, 2) and t.size(-1) == 2
    assert t.numel() == 2 and t.dim() == 2 and len(t) == 1
    assert t.double().dtype == cr.float64 and t.long().dtype == cr.int64
    assert t.to(cr.float64).dtype == cr.float64 and t.type(torch.int64 if False else cr.int64).dtype == cr.int64
    s = cr.tensor(2.25)
    assert s.item() == 2.25 and float(s) == 2.25 and "{:+.2f}".format(s) == "+2.25"
    assert t.tolist() == [[1.5, -2.0]]


def test_repr_reads_like_torch():
    assert repr(cr.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    x = cr.tensor([1.0], requires_grad=True)
    assert repr(x) == "tensor([1.], requires_grad=True)"
    assert "grad_fn=<MulBackward>" in repr(x * 2)
    assert "dtype=float64" in repr(cr.tensor([1.0], dtype=cr.float64))


def test_numpy_on_a_tensor_that_requires_grad_points_to_detach():
    with pytest.raises(RuntimeError, match=r"detach\(\)\.numpy\(\)"):
        cr.tensor([1.0], requires_grad=True).numpy()


@pytest.mark.parametrize("make, value, message", [
    (lambda L: L.tensor([1, 2]), True, "floating"),                 # an int tensor cannot
    (lambda L: L.tensor([1.0], requires_grad=True) * 2, False,       # a computed one: its graph's
     "only change requires_grad flags of leaf variables. If you want to use a computed variable"),
    (lambda L: L.tensor([1.0], requires_grad=True) * 2, True,
     "only change requires_grad flags of leaf variables.$"),
    (lambda L: L.tensor([1.0]), 1, "must be a bool"),
])
def test_assigning_requires_grad_is_checked_as_torch_checks_it(make, value, message):
    for L in (torch, cr):
        t = make(L)
        with pytest.raises(RuntimeError, match=message):
            t.requires_grad = value
    x = cr.tensor([1.0, 2.0])
    x.requires_grad = True     # a float leaf: as requires_grad_()
    assert x.requires_grad and x.is_leaf
    (x * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    x.requires_grad = False
    assert not x.requires_grad and not (x * 3).requires_grad


def test_requires_grad_false_on_a_computed_tensor_is_refused_in_torchs_words():
    for L in (torch, cr):
        with pytest.raises(RuntimeError, match=r"only change requires_grad flags of leaf variables"
                                               r"\. If you want .* var\.detach\(\)"):
            (L.tensor([1.0], requires_grad=True) * 2).requires_grad_(False)
    y = cr.tensor([1.0], requires_grad=True) * 2
    assert y.requires_grad_(True) is y and y.requires_grad   # as torch: already so, accepted


def test_slice_assignment_into_a_buffer():
    pe = cr.zeros(3, 4)
    position = cr.tensor([[0.0], [1.0], [2.0]])
    pe[:, 0::2] = position * 2
    pe[:, 1::2] = 1.0
    np.testing.assert_allclose(pe.numpy(), [[0, 1, 0, 1], [2, 1, 2, 1], [4, 1, 4, 1]])


def test_fill_zero_and_copy():
    t = cr.ones(2, 2)
    t.fill_(3)
    assert t.numpy().tolist() == [[3, 3], [3, 3]]
    t.copy_(cr.tensor([1.0, 2.0]))
    assert t.numpy().tolist() == [[1, 2], [1, 2]]
    t.zero_()
    assert not t.numpy().any()


def test_in_place_update_must_keep_the_shape_and_a_castable_dtype():
    t = cr.zeros(2)
    with pytest.raises(RuntimeError, match=r"add_: the result has shape \(2, 2\)"):
        t += cr.ones(2, 2)
    i = cr.zeros(2, dtype=cr.int64)
    with pytest.raises(RuntimeError, match="add_: cannot write a float32 result"):
        i += 0.5


def test_numpy_reads_a_tensor_as_an_array_as_torch_allows():
    t = cr.tensor([[1.0, 2.0]])
    assert np.asarray(t).shape == (1, 2) and np.array(t, dtype=np.float64).dtype == np.float64
    with pytest.raises(RuntimeError, match="requires grad"):
        np.asarray(cr.tensor([1.0], requires_grad=True))


@pytest.mark.parametrize("make", [
    lambda L, x: x.new_zeros(2, 3), lambda L, x: x.new_zeros((2, 3)), lambda L, x: x.new_ones(3),
    lambda L, x: x.new_ones([2], dtype=L.int32), lambda L, x: x.new_full((2,), 1.5),
    lambda L, x: x.new_full((2, 2), 7, dtype=L.float32), lambda L, x: x.new_tensor([1, 2]),
    lambda L, x: x.new_tensor(np.array([1.5, 2.5])), lambda L, x: x.new_empty(3).fill_(0),
    lambda L, x: x.new_zeros(2, device="cpu", requires_grad=False),
])
@pytest.mark.parametrize("dtype", ["float64", "int64", "float32"])
def test_new_factories_take_the_tensors_dtype_as_torch(make, dtype):
    ours = make(cr, cr.ones(1, dtype=dtype))
    theirs = make(torch, torch.ones(1, dtype=getattr(torch, dtype)))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_new_tensor_copies_and_can_require_grad():
    x = cr.ones(1, dtype=cr.float64)
    source = np.zeros(2)
    made = x.new_tensor(source, requires_grad=True)
    source[0] = 5.0
    assert made.requires_grad and made.is_leaf and made[0].item() == 0.0
    with pytest.raises(RuntimeError, match="new_zeros|zeros: chainrule computes on the CPU"):
        x.new_zeros(2, device="cuda")


def test_nelement_is_numel():
    assert cr.ones(2, 3).nelement() == torch.ones(2, 3).nelement() == 6
    assert cr.ones(0, 3).nelement() == torch.ones(0, 3).nelement() == 0


# ----- torch.Size, grad assignment, printing, is_tensor/numel -----------------------------------
def test_shape_and_size_are_a_size_as_in_torch():
    x, t = cr.ones(2, 3), torch.ones(2, 3)
    for mine, theirs in ((x.shape, t.shape), (x.size(), t.size())):
        assert isinstance(mine, cr.Size) and isinstance(mine, tuple)
        assert mine == theirs == (2, 3) and mine.numel() == theirs.numel() == 6
        assert repr(mine) == repr(theirs).replace("torch.", "chainrule.")
    assert str(x.shape) == "(2, 3)"   # messages keep the short form
    assert cr.Size([]).numel() == torch.Size([]).numel() == 1
    assert isinstance(cr.Size([2]) + (1,), cr.Size) and np.zeros(x.shape).shape == (2, 3)
    with pytest.raises(TypeError, match="Size: expected a sequence of ints"):
        cr.Size([2.5])


def test_size_survives_pickling():
    import pickle
    size = pickle.loads(pickle.dumps(cr.ones(4, 1).shape))
    assert isinstance(size, cr.Size) and size == (4, 1)


@pytest.mark.parametrize("grad, error, message", [
    (lambda L: L.ones(3), RuntimeError, "assigned grad has data of a different size"),
    (lambda L: L.ones(2, 3, dtype=L.float64), RuntimeError,
     "assigned grad has data of a different type"),
    (lambda L: np.ones((2, 3), dtype=np.float32), TypeError,
     "assigned grad expected to be a Tensor or None"),
], ids=["shape", "dtype", "ndarray"])
def test_assigning_a_wrong_grad_is_refused_as_in_torch(grad, error, message):
    theirs = torch.ones(2, 3, requires_grad=True)
    with pytest.raises(error):
        theirs.grad = grad(torch)
    mine = cr.ones(2, 3, requires_grad=True)
    with pytest.raises(error, match=message):
        mine.grad = grad(cr)
    assert mine.grad is None


def test_assigning_a_matching_grad_or_none_works():
    x = cr.ones(2, 3, requires_grad=True)
    x.grad = cr.full((2, 3), 2.0)
    assert x.grad.numpy().sum() == 12
    x.grad = None
    assert x.grad is None


def test_set_printoptions_is_honoured_as_in_torch():
    values = [1.123456, 2e-5, 300.0]
    try:
        for options in ({"precision": 2}, {"sci_mode": False}, {"precision": 2, "sci_mode": True},
                        {"profile": "short"}):
            torch.set_printoptions(**options)
            cr.set_printoptions(**options)
            assert repr(cr.tensor(values)) == repr(torch.tensor(values))
        torch.set_printoptions(profile="default", threshold=5, edgeitems=2)
        cr.set_printoptions(profile="default", threshold=5, edgeitems=2)
        # the elided middle: torch writes ",  ...," (two spaces), NumPy ", ...,"
        assert repr(cr.arange(10.0)) == repr(torch.arange(10.0)).replace(",  ...", ", ...")
    finally:
        torch.set_printoptions(profile="default")
        cr.set_printoptions(profile="default")
    assert repr(cr.arange(10.0)) == repr(torch.arange(10.0))
    with pytest.raises(ValueError, match="profile must be one of"):
        cr.set_printoptions(profile="long")


def test_is_tensor_and_numel_as_in_torch():
    for L in (torch, cr):
        assert L.is_tensor(L.ones(2)) and L.is_tensor(L.nn.Parameter(L.ones(2)))
        assert not L.is_tensor([1.0]) and L.numel(L.ones(2, 5)) == 10
        with pytest.raises(TypeError, match="must be Tensor, not list"):
            L.numel([1.0])


@pytest.mark.parametrize("fill, message", [
    (lambda x: x.normal_(0, -1), "normal_: expects std >= 0.0, but found std -1"),
    (lambda x: x.uniform_(1, 0), "uniform_: expects to return a \\[from, to\\) range"),
])
def test_random_fills_refuse_bad_bounds_as_torch(fill, message):
    with pytest.raises(RuntimeError):
        fill(torch.ones(2))
    with pytest.raises(RuntimeError, match=message):
        fill(cr.ones(2))


@pytest.mark.parametrize("fill", [lambda x: x.fill_(1.0), lambda x: x.normal_(),
                                  lambda x: x.uniform_(), lambda x: x.zero_()],
                         ids=["fill_", "normal_", "uniform_", "zero_"])
def test_filling_a_leaf_that_requires_grad_is_refused_while_recording(fill):
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        fill(torch.ones(2, requires_grad=True))
    with pytest.raises(RuntimeError, match="a leaf tensor that requires grad .*no_grad"):
        fill(cr.ones(2, requires_grad=True))
    leaf = cr.ones(2, requires_grad=True)
    with cr.no_grad():
        fill(leaf)   # as nn.init does
    assert leaf.requires_grad


def test_random_fills_take_a_generator():
    a = cr.zeros(3).normal_(generator=cr.Generator().manual_seed(3))
    b = cr.zeros(3).normal_(generator=cr.Generator().manual_seed(3))
    assert a.tolist() == b.tolist()
    c = cr.zeros(3).uniform_(-1, 1, generator=cr.Generator().manual_seed(3))
    assert c.tolist() == cr.zeros(3).uniform_(-1, 1, generator=cr.Generator().manual_seed(3)).tolist()


@pytest.mark.parametrize("args", [(2, 3), ([1, 2],), ((1, 2),), (), ("size",)],
                         ids=["sizes", "list", "tuple", "empty", "Size"])
def test_the_legacy_new_reads_its_arguments_as_torch_does(args):
    def call(L):
        x = L.ones(2, 5, dtype=L.float64)
        return x.new(x.shape) if args == ("size",) else x.new(*args)
    mine, theirs = call(cr), call(torch)
    assert mine.shape == tuple(theirs.shape) and str(mine.dtype) == "float64"
    if args and args != ("size",) and not isinstance(args[0], int):
        assert mine.tolist() == theirs.tolist()


def test_copy_from_a_source_that_does_not_broadcast_names_both_shapes():
    with pytest.raises(RuntimeError):   # torch refuses it too
        torch.zeros(3).copy_(torch.ones(4))
    with pytest.raises(RuntimeError, match=r"copy_: the source of shape \(4,\) cannot be broadcast "
                                           r"to this tensor's shape \(3,\)"):
        cr.zeros(3).copy_(cr.ones(4))
    assert cr.zeros(2, 3).copy_(cr.ones(3)).tolist() == [[1.0] * 3] * 2


@pytest.mark.parametrize("value", ["a", None])
def test_fill_with_a_value_that_is_not_a_number_is_named(value):
    with pytest.raises(TypeError):   # torch refuses it too
        torch.zeros(3).fill_(value)
    with pytest.raises(TypeError, match="fill_: expected a number or a 0-d tensor as the value, "
                                        "got"):
        cr.zeros(3).fill_(value)
    with pytest.raises(TypeError, match="fill_"):
        cr.nn.init.constant_(cr.zeros(3), value)


@pytest.mark.parametrize("method, layer", [
    ("backward", "chainrule.autograd"), ("new_zeros", "chainrule.creation"),
    ("new", "chainrule.creation"), ("multinomial", "chainrule.creation"),
    ("uniform_", "chainrule.creation"), ("normal_", "chainrule.creation"),
    ("__setitem__", "chainrule.ops.index"), ("__getitem__", "chainrule.ops.index"),
    ("logit", "chainrule.special"), ("norm", "chainrule.linalg.norms"),
    ("add_", "chainrule.tensor"), ("size", "chainrule.tensor"),
])
def test_each_method_comes_from_the_layer_tensor_py_names(method, layer):
    """tensor.py's docstring says which layer binds which methods; the binding agrees."""
    assert getattr(cr.Tensor, method).__module__ == layer


def test_recorded_in_place_keeps_the_dtype_or_refuses():
    x = cr.ones(3, requires_grad=True)
    y = x * 2
    y.add_(cr.ones(3, dtype=cr.float64, requires_grad=True))
    assert y.dtype == cr.float32
    a = cr.zeros(3, dtype=cr.int64)
    with pytest.raises(RuntimeError, match="add_: cannot write a float32 result into a int64"):
        a.add_(cr.ones(3, requires_grad=True))


def test_recorded_in_place_into_a_view_of_a_live_base_is_refused():
    b = cr.zeros(4)
    v = b[:2]
    with pytest.raises(RuntimeError, match="is a view of another live tensor"):
        v.add_(cr.ones(2, requires_grad=True))
    a = cr.ones(3, requires_grad=True)
    y = a * 2
    v = y[:2]
    y.mul_(3)   # the base may change: the view keeps its value and its history, consistently
    y.sum().backward(retain_graph=True)
    assert a.grad.numpy().tolist() == [6.0, 6.0, 6.0]
    assert v.detach().numpy().tolist() == [2.0, 2.0]


def test_a_tensor_is_on_the_cpu_as_torch_says():
    ours, theirs = cr.ones(2), torch.ones(2)
    for name in ("is_cuda", "is_xpu", "is_mps", "is_meta", "is_sparse", "is_quantized"):
        assert getattr(ours, name) is getattr(theirs, name) is False, name
    assert repr(ours.device) == repr(theirs.device) == "device(type='cpu')"
    assert ours.device == "cpu" and ours.device.type == "cpu" and ours.device.index is None


# ----- register_post_accumulate_grad_hook ------------------------------------------------------
@pytest.mark.parametrize("make, words", [
    (lambda L: L.ones(2), "cannot register a hook on a tensor that"),
    (lambda L: L.ones(2, requires_grad=True) * 2,
     "post accumulate grad hooks cannot be registered on non-leaf tensors")])
def test_a_post_accumulate_grad_hook_is_refused_where_torch_refuses_it(make, words):
    with pytest.raises(RuntimeError, match=words):
        make(torch).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match=words):
        make(cr).register_post_accumulate_grad_hook(lambda t: None)


def test_removing_a_post_accumulate_grad_hook_stops_it_and_restores_the_count():
    from chainrule.tensor import post_accumulate_hooks
    before = post_accumulate_hooks[0]
    x, calls = cr.ones(2, requires_grad=True), []
    handles = [x.register_post_accumulate_grad_hook(calls.append) for _ in range(2)]
    assert post_accumulate_hooks[0] == before + 2
    (x * 2).sum().backward()
    assert len(calls) == 2 and all(t is x for t in calls)
    handles[0].remove()
    handles[0].remove()   # a second remove does nothing, as torch's handle
    assert post_accumulate_hooks[0] == before + 1
    (x * 2).sum().backward()
    assert len(calls) == 3
    handles[1].remove()
    assert post_accumulate_hooks[0] == before
    (x * 2).sum().backward()
    assert len(calls) == 3 and x.grad.tolist() == [6.0, 6.0]


def test_post_accumulate_hooks_stop_counting_when_their_tensor_is_gone():
    from chainrule.tensor import post_accumulate_hooks
    before = post_accumulate_hooks[0]
    leaf = cr.ones(2, requires_grad=True)
    leaf.register_post_accumulate_grad_hook(lambda t: None)
    handle = leaf.register_post_accumulate_grad_hook(lambda t: None)
    handle.remove()
    assert post_accumulate_hooks[0] == before + 1
    del leaf   # reference counting frees it at once
    assert post_accumulate_hooks[0] == before
