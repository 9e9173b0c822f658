"""In-place forms (`x.name_(...)`) against torch: the tensor itself changes (same object, same
memory when nothing records), its version counter bumps, a node that saved it refuses backward,
and gradients through an in-place op on a non-leaf match torch's."""
import numpy as np
import pytest
import torch

import chainrule

DATA = np.array([[0.5, -1.2, 2.0, 0.3], [1.5, 0.7, -0.4, -2.2], [0.9, -0.1, 1.1, 0.6]])
POSITIVE = np.abs(DATA) + 0.5

# (method, data, args(L)): each run on chainrule and on torch
SAME_SHAPE = [
    ("exp_", DATA, lambda L: ()), ("log_", POSITIVE, lambda L: ()),
    ("sqrt_", POSITIVE, lambda L: ()), ("rsqrt_", POSITIVE, lambda L: ()),
    ("abs_", DATA, lambda L: ()), ("neg_", DATA, lambda L: ()),
    ("pow_", POSITIVE, lambda L: (1.5,)), ("sigmoid_", DATA, lambda L: ()),
    ("tanh_", DATA, lambda L: ()), ("relu_", DATA, lambda L: ()),
    ("square_", DATA, lambda L: ()), ("sign_", DATA, lambda L: ()),
    ("sin_", DATA, lambda L: ()), ("cos_", DATA, lambda L: ()),
    ("reciprocal_", POSITIVE, lambda L: ()), ("log1p_", POSITIVE, lambda L: ()),
    ("expm1_", DATA, lambda L: ()), ("clamp_min_", DATA, lambda L: (0.2,)),
    ("clamp_max_", DATA, lambda L: (0.2,)),
    ("lerp_", DATA, lambda L: (L.ones(3, 4, dtype=L.float64), 0.3)),
    ("masked_fill_", DATA, lambda L: (L.tensor(DATA > 1), -5.0)),
    ("index_fill_", DATA, lambda L: (1, L.tensor([0, 2]), 9.0)),
    ("index_add_", DATA, lambda L: (0, L.tensor([2, 0]), L.ones(2, 4, dtype=L.float64))),
    ("index_copy_", DATA, lambda L: (1, L.tensor([3]), L.zeros(3, 1, dtype=L.float64))),
    ("scatter_", DATA, lambda L: (1, L.tensor([[1], [0], [3]]), 7.0)),
    ("scatter_add_", DATA, lambda L: (0, L.tensor([[1, 0, 2, 1]]),
                                      L.ones(1, 4, dtype=L.float64))),
    ("scatter_reduce_", DATA, lambda L: (0, L.tensor([[1, 0, 2, 1]]),
                                         L.ones(1, 4, dtype=L.float64), "amax")),
    ("masked_scatter_", DATA, lambda L: (L.tensor(DATA < 0), L.arange(12.0, dtype=L.float64))),
    ("addcmul_", DATA, lambda L: (L.ones(4, dtype=L.float64), L.ones(3, 1, dtype=L.float64))),
    ("addcdiv_", DATA, lambda L: (L.ones(4, dtype=L.float64), L.ones(3, 1, dtype=L.float64) * 2)),
    ("addmm_", DATA, lambda L: (L.ones(3, 2, dtype=L.float64), L.ones(2, 4, dtype=L.float64))),
    ("nan_to_num_", DATA, lambda L: ()), ("copysign_", DATA, lambda L: (-1.0,)),
    ("put_", DATA, lambda L: (L.tensor([0, 5]), L.zeros(2, dtype=L.float64))),
    ("fill_diagonal_", DATA, lambda L: (3.0,)), ("floor_", DATA, lambda L: ()),
    ("true_divide_", DATA, lambda L: (2.0,)),
]
SHAPE_CHANGING = [
    ("t_", lambda L: ()), ("transpose_", lambda L: (0, 1)), ("unsqueeze_", lambda L: (1,)),
    ("squeeze_", lambda L: ()), ("swapdims_", lambda L: (1, 0)),
]


def pair(data, requires_grad=False):
    return (chainrule.tensor(data, requires_grad=requires_grad),
            torch.tensor(data, requires_grad=requires_grad))


@pytest.mark.parametrize("name, data, args", SAME_SHAPE, ids=[c[0] for c in SAME_SHAPE])
def test_changes_the_tensor_in_place_as_torch(name, data, args):
    ours, theirs = pair(data)
    memory, version = ours.array, ours._version[0]
    result = getattr(ours, name)(*args(chainrule))
    getattr(theirs, name)(*args(torch))
    assert result is ours
    assert ours.array is memory          # written into the same memory: views see it
    assert ours._version[0] == version + 1
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, data, args", SAME_SHAPE, ids=[c[0] for c in SAME_SHAPE])
def test_gradient_through_in_place_on_a_non_leaf_matches_torch(name, data, args):
    grads = []
    for lib, leaf in zip((chainrule, torch), pair(data, requires_grad=True)):
        x = leaf * 1.5
        getattr(x, name)(*args(lib))
        (x * lib.tensor(DATA + 2)).sum().backward()
        grads.append(leaf.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, args", SHAPE_CHANGING, ids=[c[0] for c in SHAPE_CHANGING])
def test_shape_changing_forms_match_torch(name, args):
    data = DATA[:, :1]
    ours, theirs = pair(data)
    version = ours._version[0]
    assert getattr(ours, name)(*args(chainrule)) is ours
    getattr(theirs, name)(*args(torch))
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert ours._version[0] == version + 1 == theirs._version
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    grads = []
    for lib, leaf in zip((chainrule, torch), pair(data, requires_grad=True)):
        x = leaf * 2
        getattr(x, name)(*args(lib))
        (x * lib.tensor(np.arange(x.numel(), dtype=np.float64).reshape(tuple(x.shape)))
         ).sum().backward()
        grads.append(leaf.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


def test_a_node_that_saved_the_tensor_refuses_backward_as_torch():
    for lib in (chainrule, torch):
        leaf = lib.tensor(DATA, requires_grad=True)
        x = leaf * 1
        y = x * x                       # saves x
        x.exp_()
        with pytest.raises(RuntimeError, match="modified"):
            y.sum().backward()


@pytest.mark.parametrize("name", ["exp_", "t_", "sigmoid_"])
def test_a_leaf_that_requires_grad_is_refused_as_torch(name):
    for lib in (chainrule, torch):
        with pytest.raises(RuntimeError, match="leaf"):
            getattr(lib.tensor(DATA, requires_grad=True), name)()


def test_in_place_on_a_view_reaches_the_base_when_not_recording():
    base = chainrule.tensor(DATA.copy())
    base[0].exp_()
    np.testing.assert_allclose(base.numpy()[0], np.exp(DATA[0]))
    np.testing.assert_allclose(base.numpy()[1:], DATA[1:])


@pytest.mark.parametrize("shape, wrap", [((3, 4), False), ((7, 3), False), ((7, 3), True),
                                         ((3, 3, 3), False)])
def test_fill_diagonal_matches_torch(shape, wrap):
    ours, theirs = chainrule.zeros(*shape), torch.zeros(*shape)
    ours.fill_diagonal_(2.0, wrap=wrap)
    theirs.fill_diagonal_(2.0, wrap=wrap)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_one_hot_by_scatter_and_integer_results_keep_the_dtype():
    x = chainrule.zeros(2, 3, dtype=chainrule.int64)
    x.scatter_(1, chainrule.tensor([[2], [0]]), 1)
    assert x.dtype == chainrule.int64
    np.testing.assert_array_equal(x.numpy(), [[0, 0, 1], [1, 0, 0]])
    with pytest.raises(RuntimeError, match="exp_"):
        chainrule.tensor([1, 2]).exp_()   # a float result cannot be written into int64 (torch too)


def test_apply_and_map_match_torch():
    results = []
    for lib in (chainrule, torch):
        x = lib.tensor(DATA.copy())
        assert x.apply_(lambda v: v * 2 + 1) is x
        x.map_(lib.tensor(DATA[0]), lambda a, b: a - b)
        results.append(x.numpy())
    np.testing.assert_allclose(results[0], results[1])


@pytest.mark.parametrize("name, args", [
    ("relu_", ()), ("sigmoid_", ()), ("exp_", ()), ("clamp_", (-0.5, 0.5)), ("fill_", (2.0,)),
    ("zero_", ()), ("abs_", ()), ("nan_to_num_", ()), ("round_", ()), ("tanh_", ()),
])
def test_function_forms_change_their_argument_as_torch(name, args):
    ours, theirs = pair(DATA)
    assert getattr(chainrule, name)(ours, *args) is ours
    getattr(torch, name)(theirs, *args)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


def test_every_function_form_is_torchs_and_refuses_non_tensors():
    from chainrule.ops import inplace
    for name in inplace.__all__:
        assert hasattr(torch, name), name
        assert hasattr(chainrule.Tensor, name), name
    with pytest.raises(TypeError, match="relu_"):
        chainrule.relu_(DATA)
