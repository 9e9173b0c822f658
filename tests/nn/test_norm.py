"""BatchNorm1d, BatchNorm2d and LayerNorm against torch with copied parameters: outputs, every
gradient and the running statistics over several training steps, then evaluation; their
initialisation, state_dict names, repr and errors; gradcheck of batch_norm and layer_norm."""
import numpy as np
import pytest
import torch

import chainrule
import chainrule as cr
from chainrule.autograd import gradcheck, gradgradcheck
from chainrule.nn.functional.norm import batch_norm, layer_norm
from chainrule.nn.norm import BatchNorm1d, BatchNorm2d, LayerNorm

TOLERANCES = {"float64": 1e-10, "float32": 1e-5}
DTYPES = ["float32", "float64"]

# (name, our class, torch's class, constructor arguments, input shape)
BATCH_NORMS = [
    ("1d (N, C)", BatchNorm1d, torch.nn.BatchNorm1d, {"num_features": 3}, (6, 3)),
    ("1d (N, C, L)", BatchNorm1d, torch.nn.BatchNorm1d, {"num_features": 3}, (4, 3, 5)),
    ("2d", BatchNorm2d, torch.nn.BatchNorm2d, {"num_features": 2}, (3, 2, 4, 5)),
    ("momentum None", BatchNorm1d, torch.nn.BatchNorm1d, {"num_features": 3, "momentum": None},
     (5, 3, 2)),
    ("momentum 0.5, eps 1e-3", BatchNorm2d, torch.nn.BatchNorm2d,
     {"num_features": 3, "momentum": 0.5, "eps": 1e-3}, (2, 3, 3, 3)),
    ("no affine", BatchNorm2d, torch.nn.BatchNorm2d, {"num_features": 2, "affine": False},
     (3, 2, 2, 3)),
    ("no bias", BatchNorm1d, torch.nn.BatchNorm1d, {"num_features": 4, "bias": False}, (5, 4)),
    ("no running stats", BatchNorm1d, torch.nn.BatchNorm1d,
     {"num_features": 3, "track_running_stats": False}, (4, 3, 2)),
    ("no running stats 2d", BatchNorm2d, torch.nn.BatchNorm2d,
     {"num_features": 2, "track_running_stats": False, "momentum": None}, (2, 2, 3, 3)),
]

LAYER_NORMS = [
    ("last dim", {"normalized_shape": 4}, (3, 4)),
    ("last two dims", {"normalized_shape": (3, 4)}, (2, 3, 4)),
    ("no affine", {"normalized_shape": 5, "elementwise_affine": False}, (2, 3, 5)),
    ("no bias, eps 1e-3", {"normalized_shape": [4], "bias": False, "eps": 1e-3}, (3, 4)),
    ("unbatched", {"normalized_shape": 6}, (6,)),
]


def twins(ours_class, torch_class, kwargs, dtype, rng):
    """The layer in both libraries, with random parameters copied from torch's into ours."""
    theirs = torch_class(**kwargs).to(getattr(torch, dtype))
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, tuple(p.shape))))
    ours = ours_class(**kwargs, dtype=dtype)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def close(ours, theirs, dtype, what):
    expected = theirs.detach().numpy()
    rtol = TOLERANCES[dtype]
    np.testing.assert_allclose(ours.detach().numpy(), expected, rtol=rtol,
                               atol=rtol * max(1.0, float(np.abs(expected).max(initial=0))),
                               err_msg=what)


def step_and_compare(ours, theirs, shape, dtype, rng, what):
    """One forward and backward of both layers on the same input; outputs and gradients agree."""
    x = rng.normal(0.7, 2.0, shape)  # off-centre and wide, so normalising matters
    upstream = rng.standard_normal(shape)
    x_ours = cr.tensor(x, dtype=dtype, requires_grad=True)
    x_theirs = torch.tensor(x.astype(dtype), requires_grad=True)
    out_ours, out_theirs = ours(x_ours), theirs(x_theirs)
    close(out_ours, out_theirs, dtype, f"{what}: output")
    out_ours.backward(cr.tensor(upstream, dtype=dtype))
    out_theirs.backward(torch.tensor(upstream.astype(dtype)))
    close(x_ours.grad, x_theirs.grad, dtype, f"{what}: input gradient")
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        close(p.grad, q.grad, dtype, f"{what}: gradient of {name}")


def compare_buffers(ours, theirs, dtype, what):
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    for name in ours_state:
        close(ours_state[name], theirs_state[name], dtype, f"{what}: {name}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,ours_class,torch_class,kwargs,shape", BATCH_NORMS,
                         ids=[case[0] for case in BATCH_NORMS])
def test_batch_norm_matches_torch_in_training_then_evaluation(name, ours_class, torch_class,
                                                              kwargs, shape, dtype):
    rng = np.random.default_rng(0)
    ours, theirs = twins(ours_class, torch_class, kwargs, dtype, rng)
    for step in range(3):
        ours.zero_grad()
        theirs.zero_grad()
        step_and_compare(ours, theirs, shape, dtype, rng, f"{name}, training step {step}")
        compare_buffers(ours, theirs, dtype, f"{name}, after training step {step}")
    ours.eval()
    theirs.eval()
    ours.zero_grad()
    theirs.zero_grad()
    step_and_compare(ours, theirs, shape, dtype, rng, f"{name}, evaluation")
    compare_buffers(ours, theirs, dtype, f"{name}, after evaluation")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,kwargs,shape", LAYER_NORMS, ids=[case[0] for case in LAYER_NORMS])
def test_layer_norm_matches_torch(name, kwargs, shape, dtype):
    rng = np.random.default_rng(0)
    ours, theirs = twins(LayerNorm, torch.nn.LayerNorm, kwargs, dtype, rng)
    step_and_compare(ours, theirs, shape, dtype, rng, f"{name}, training")
    ours.eval()
    theirs.eval()
    ours.zero_grad()
    theirs.zero_grad()
    step_and_compare(ours, theirs, shape, dtype, rng, f"{name}, evaluation")


def test_momentum_none_keeps_the_plain_average_of_batch_statistics():
    layer = BatchNorm1d(2, momentum=None, dtype="float64")
    batches = [np.random.default_rng(seed).normal(seed, 1 + seed, (5, 2)) for seed in range(4)]
    for x in batches:
        layer(cr.tensor(x))
    np.testing.assert_allclose(layer.running_mean.numpy(), np.mean([b.mean(0) for b in batches], 0))
    np.testing.assert_allclose(layer.running_var.numpy(),
                               np.mean([b.var(0, ddof=1) for b in batches], 0))
    assert layer.num_batches_tracked.item() == 4


def test_running_statistics_are_updated_in_place_outside_the_graph():
    layer = BatchNorm2d(2)
    running_mean, running_var = layer.running_mean, layer.running_var
    x = cr.randn(3, 2, 2, 2, requires_grad=True)
    layer(x).sum().backward()
    assert layer.running_mean is running_mean and layer.running_var is running_var
    assert not running_mean.requires_grad and running_mean.grad_fn is None
    assert layer.state_dict()["running_mean"].numpy().any()


def test_evaluation_neither_updates_statistics_nor_needs_a_batch():
    layer = BatchNorm1d(3).eval()
    before = {k: v.numpy().copy() for k, v in layer.state_dict().items()}
    layer(cr.randn(1, 3))  # one sample is fine: the running statistics normalise
    for name, value in layer.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), before[name])


@pytest.mark.parametrize("ours,theirs", [
    (BatchNorm1d(3), torch.nn.BatchNorm1d(3)),
    (BatchNorm2d(4, eps=1e-3, momentum=None, affine=False),
     torch.nn.BatchNorm2d(4, eps=1e-3, momentum=None, affine=False)),
    (BatchNorm1d(2, track_running_stats=False, bias=False),
     torch.nn.BatchNorm1d(2, track_running_stats=False, bias=False)),
    (LayerNorm((2, 3)), torch.nn.LayerNorm((2, 3))),
    (LayerNorm(4, elementwise_affine=False), torch.nn.LayerNorm(4, elementwise_affine=False)),
    (LayerNorm(4, bias=False), torch.nn.LayerNorm(4, bias=False)),
], ids=repr)
def test_initial_state_names_and_repr_are_torchs(ours, theirs):
    assert repr(ours) == repr(theirs)
    assert [name for name, _ in ours.named_parameters()] == \
        [name for name, _ in theirs.named_parameters()]
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    for name, value in theirs_state.items():
        np.testing.assert_array_equal(ours_state[name].numpy(), value.numpy(), err_msg=name)
        assert str(ours_state[name].dtype) == str(value.dtype).removeprefix("torch."), name
    for attribute in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
        missing = getattr(theirs, attribute, None) is None
        assert (getattr(ours, attribute, None) is None) == missing, attribute


def test_dtype_and_to_convert_parameters_and_running_statistics():
    layer = BatchNorm1d(3, dtype="float64")
    assert layer.weight.dtype == cr.float64 and layer.running_var.dtype == cr.float64
    layer.float()
    assert layer.weight.dtype == cr.float32 and layer.running_mean.dtype == cr.float32
    assert layer.num_batches_tracked.dtype == cr.int64


# ----- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("layer,shape,error,pieces", [
    (BatchNorm1d(3), (2, 3, 4, 5), ValueError, ["BatchNorm1d(3,", "(N, C) or (N, C, L)",
                                                "got (2, 3, 4, 5)"]),
    (BatchNorm1d(3), (2, 4), RuntimeError, ["BatchNorm1d(3,", "C = 3", "got (2, 4)"]),
    (BatchNorm2d(3), (2, 3, 4), ValueError, ["BatchNorm2d(3,", "(N, C, H, W)", "got (2, 3, 4)"]),
    (BatchNorm2d(3), (2, 2, 4, 4), RuntimeError, ["BatchNorm2d(3,", "C = 3", "got (2, 2, 4, 4)"]),
    (BatchNorm1d(3), (1, 3), ValueError, ["more than 1 value per channel when training", "(1, 3)"]),
    (BatchNorm2d(3), (1, 3, 1, 1), ValueError, ["more than 1 value per channel"]),
    (LayerNorm(3), (2, 4), RuntimeError, ["LayerNorm((3,),", "(*, 3)", "got (2, 4)"]),
    (LayerNorm((2, 3)), (3, 2), RuntimeError, ["LayerNorm((2, 3),", "(*, 2, 3)", "got (3, 2)"]),
])
def test_a_wrong_input_shape_names_the_layer_and_the_expected_shape(layer, shape, error, pieces):
    with pytest.raises(error) as raised:
        layer(cr.randn(*shape))
    for piece in pieces:
        assert piece in str(raised.value)


def test_functional_errors():
    x = cr.randn(4, 3)
    with pytest.raises(RuntimeError, match="running_mean and running_var must be given"):
        batch_norm(x, None, None, training=False)
    with pytest.raises(RuntimeError, match=r"running_mean should have shape \(3,\)"):
        batch_norm(x, cr.zeros(4), cr.ones(4), training=True)
    with pytest.raises(RuntimeError, match=r"weight should have shape \(3,\)"):
        batch_norm(x, None, None, weight=cr.ones(2), training=True)
    with pytest.raises(ValueError, match="eps must be positive"):
        batch_norm(x, None, None, training=True, eps=0.0)
    with pytest.raises(RuntimeError, match=r"layer_norm: expected input of shape \(\*, 4\)"):
        layer_norm(x, [4])


@pytest.mark.parametrize("kwargs, message", [
    ({"weight": (1,)}, r"layer_norm: expected weight to be of same shape as normalized_shape, but "
                       r"got weight of shape \(1,\) and normalized_shape = \(4,\)"),
    ({"bias": (3,)}, r"layer_norm: expected bias .* got bias of shape \(3,\)"),
])
def test_layer_norm_refuses_a_weight_or_bias_that_would_broadcast(kwargs, message):
    # torch refuses it too; broadcasting a (1,) weight would silently share one scale
    for lib in (torch, cr):
        tensors = {key: lib.ones(*shape) for key, shape in kwargs.items()}
        with pytest.raises(RuntimeError, match=message if lib is cr else "normalized_shape"):
            lib.nn.functional.layer_norm(lib.ones(2, 4), (4,), **tensors)


# ----- gradients of the functional forms, by central differences ---------------------------------
def small(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return cr.tensor(rng.normal(0.3, 1.5, shape), dtype="float64", requires_grad=True)


def test_batch_norm_training_gradcheck_and_double_backward():
    x, weight, bias = small(4, 2), small(2, seed=1), small(2, seed=2)

    def fn(x, weight, bias):
        return batch_norm(x, None, None, weight, bias, training=True, eps=1e-3)
    assert gradcheck(fn, (x, weight, bias))
    assert gradgradcheck(fn, (x, weight, bias))
    assert gradcheck(lambda x: batch_norm(x, None, None, training=True), (small(3, 2, 2),))


def test_batch_norm_evaluation_gradcheck():
    running_mean, running_var = cr.tensor([0.2, -0.5], dtype="float64"), cr.tensor(
        [0.8, 1.7], dtype="float64")
    assert gradcheck(lambda x, w, b: batch_norm(x, running_mean, running_var, w, b),
                     (small(3, 2, 2), small(2, seed=1), small(2, seed=2)))


def test_layer_norm_gradcheck_and_double_backward():
    inputs = (small(2, 3), small(3, seed=1), small(3, seed=2))
    assert gradcheck(lambda x, w, b: layer_norm(x, (3,), w, b, eps=1e-3), inputs)
    assert gradgradcheck(lambda x, w, b: layer_norm(x, (3,), w, b, eps=1e-3), inputs)
    assert gradcheck(lambda x: layer_norm(x, (2, 2)), (small(2, 2, 2),))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_normalize_matches_torch_and_passes_gradcheck(dim):
    x = np.random.default_rng(0).standard_normal((3, 4))
    x[0] = 0.0   # a zero vector: eps keeps it finite
    ours = chainrule.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out, expected = chainrule.nn.functional.normalize(ours, dim=dim), \
        torch.nn.functional.normalize(theirs, dim=dim)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-10)
    weights = np.random.default_rng(1).standard_normal((3, 4))
    (out * chainrule.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-8, atol=1e-10)
    y = chainrule.tensor(x[1:], requires_grad=True)
    assert chainrule.autograd.gradcheck(
        lambda t: chainrule.nn.functional.normalize(t, dim=dim), (y,))


@pytest.mark.parametrize("groups, channels, shape, affine", [
    (2, 4, (3, 4, 5), True), (1, 3, (2, 3, 2, 2), True), (3, 3, (2, 3), False),
    (2, 6, (1, 6, 2, 3), True)])
def test_group_norm_matches_torch(groups, channels, shape, affine):
    from tests.nn.helpers import assert_matches_torch
    ours = chainrule.nn.GroupNorm(groups, channels, affine=affine)
    theirs = torch.nn.GroupNorm(groups, channels, affine=affine)
    with torch.no_grad():   # not the initial 1 and 0, so that the affine part is tested
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape))
    x = np.random.default_rng(0).standard_normal(shape)
    assert_matches_torch(ours, theirs, [x])
    assert repr(ours) == repr(theirs)


def test_group_norm_passes_gradcheck_and_names_bad_shapes():
    x = chainrule.tensor(np.random.default_rng(1).standard_normal((2, 4, 3)), requires_grad=True)
    w = chainrule.tensor(np.random.default_rng(2).standard_normal(4), requires_grad=True)
    assert gradgradcheck(lambda x, w: chainrule.nn.functional.group_norm(x, 2, w, w * 0.5), (x, w))
    with pytest.raises(ValueError, match=r"num_channels \(5\) must be divisible by num_groups"):
        chainrule.nn.GroupNorm(2, 5)
    with pytest.raises(RuntimeError, match=r"GroupNorm\(2, 4.*expected input of shape \(N, 4, \*\)"):
        chainrule.nn.GroupNorm(2, 4)(chainrule.ones(2, 3, 5))


# ----- InstanceNorm -------------------------------------------------------------------------------
INSTANCE_NORMS = [
    ("1d", "InstanceNorm1d", {"num_features": 3}, (4, 3, 5)),
    ("1d unbatched", "InstanceNorm1d", {"num_features": 3}, (3, 6)),
    ("2d", "InstanceNorm2d", {"num_features": 2}, (3, 2, 4, 5)),
    ("2d unbatched", "InstanceNorm2d", {"num_features": 2}, (2, 3, 3)),
    ("3d", "InstanceNorm3d", {"num_features": 2}, (2, 2, 3, 2, 3)),
    ("affine", "InstanceNorm2d", {"num_features": 3, "affine": True}, (2, 3, 3, 4)),
    ("affine, no bias", "InstanceNorm1d", {"num_features": 3, "affine": True, "bias": False},
     (2, 3, 4)),
    ("running stats", "InstanceNorm2d", {"num_features": 2, "track_running_stats": True},
     (3, 2, 3, 3)),
    ("running stats, affine, momentum 0.3", "InstanceNorm1d",
     {"num_features": 3, "track_running_stats": True, "affine": True, "momentum": 0.3,
      "eps": 1e-3}, (4, 3, 5)),
    ("running stats unbatched", "InstanceNorm3d",
     {"num_features": 2, "track_running_stats": True, "affine": True}, (2, 2, 3, 2)),
    ("running stats, momentum None", "InstanceNorm1d",
     {"num_features": 2, "track_running_stats": True, "momentum": None}, (3, 2, 4)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,layer,kwargs,shape", INSTANCE_NORMS,
                         ids=[case[0] for case in INSTANCE_NORMS])
def test_instance_norm_matches_torch_in_training_then_evaluation(name, layer, kwargs, shape,
                                                                 dtype):
    rng = np.random.default_rng(0)
    ours, theirs = twins(getattr(chainrule.nn, layer), getattr(torch.nn, layer), kwargs, dtype,
                         rng)
    for step in range(3):
        ours.zero_grad()
        theirs.zero_grad()
        step_and_compare(ours, theirs, shape, dtype, rng, f"{name}, training step {step}")
        compare_buffers(ours, theirs, dtype, f"{name}, after training step {step}")
    ours.eval()
    theirs.eval()
    ours.zero_grad()
    theirs.zero_grad()
    step_and_compare(ours, theirs, shape, dtype, rng, f"{name}, evaluation")
    compare_buffers(ours, theirs, dtype, f"{name}, after evaluation")


@pytest.mark.parametrize("layer, kwargs, shape", [
    ("InstanceNorm2d", {"num_features": 3, "affine": True}, (2, 3, 4, 4)),
    ("InstanceNorm1d", {"num_features": 2, "track_running_stats": True, "affine": True},
     (3, 2, 5)),
])
def test_instance_norm_with_the_shared_layer_check(layer, kwargs, shape):
    from tests.nn.helpers import assert_matches_torch
    ours, theirs = getattr(chainrule.nn, layer)(**kwargs), getattr(torch.nn, layer)(**kwargs)
    with torch.no_grad():
        for p in theirs.parameters():
            p.copy_(torch.randn(p.shape))
    assert_matches_torch(ours, theirs, [np.random.default_rng(0).normal(0.5, 2.0, shape)])


@pytest.mark.parametrize("kwargs", [
    {}, {"affine": True}, {"track_running_stats": True},
    {"affine": True, "bias": False, "eps": 1e-3, "momentum": None}], ids=str)
@pytest.mark.parametrize("layer", ["InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"])
def test_instance_norm_initial_state_names_and_repr_are_torchs(layer, kwargs):
    ours, theirs = getattr(chainrule.nn, layer)(4, **kwargs), getattr(torch.nn, layer)(4, **kwargs)
    assert repr(ours) == repr(theirs)
    ours_state, theirs_state = ours.state_dict(), theirs.state_dict()
    assert list(ours_state) == list(theirs_state)
    for name, value in theirs_state.items():
        np.testing.assert_array_equal(ours_state[name].numpy(), value.numpy(), err_msg=name)
        assert str(ours_state[name].dtype) == str(value.dtype).removeprefix("torch."), name


def test_instance_norm_leaves_num_batches_tracked_at_zero_as_torch():
    layer = chainrule.nn.InstanceNorm1d(2, track_running_stats=True)
    for _ in range(3):
        layer(cr.randn(4, 2, 5))
    assert layer.num_batches_tracked.item() == 0 and layer.running_mean.numpy().any()


def test_instance_norm_functional_gradcheck_and_double_backward():
    x, weight, bias = small(3, 2, 4), small(2, seed=1), small(2, seed=2)

    def fn(x, weight, bias):
        return chainrule.nn.functional.instance_norm(x, weight=weight, bias=bias, eps=1e-3)
    assert gradcheck(fn, (x, weight, bias))
    assert gradgradcheck(fn, (x, weight, bias))
    running_mean, running_var = cr.tensor([0.2, -0.5], dtype="float64"), cr.tensor(
        [0.8, 1.7], dtype="float64")
    assert gradcheck(lambda x: chainrule.nn.functional.instance_norm(
        x, running_mean, running_var, use_input_stats=False), (small(2, 2, 3),))


@pytest.mark.parametrize("layer, shape, error, message", [
    (chainrule.nn.InstanceNorm1d(3), (2, 3, 4, 5), ValueError,
     r"InstanceNorm1d\(3, .*\): expected 2D or 3D input \(N, C, L\) or \(C, L\), "
     r"got shape \(2, 3, 4, 5\)"),
    (chainrule.nn.InstanceNorm2d(3), (3, 4), ValueError, r"expected 3D or 4D input"),
    (chainrule.nn.InstanceNorm3d(3, affine=True), (2, 2, 2, 2, 2), ValueError,
     r"expected input's size at dim=1 to match num_features \(3\), got input of shape "
     r"\(2, 2, 2, 2, 2\)"),
    (chainrule.nn.InstanceNorm1d(3), (2, 3, 1), ValueError,
     r"instance_norm: expected more than 1 spatial element when training, got input of shape "
     r"\(2, 3, 1\)"),
])
def test_instance_norm_refuses_bad_inputs(layer, shape, error, message):
    with pytest.raises(error, match=message):
        layer(cr.randn(*shape))


def test_instance_norm_warns_when_unused_num_features_differs_as_torch():
    with pytest.warns(UserWarning, match="expected input's size at dim=1 to match num_features"):
        out = chainrule.nn.InstanceNorm1d(5)(cr.randn(2, 3, 4))
    assert out.shape == (2, 3, 4)


def test_instance_norm_functional_errors():
    x = cr.randn(2, 3, 4)
    instance_norm = chainrule.nn.functional.instance_norm
    with pytest.raises(RuntimeError, match="must be given when use_input_stats is False"):
        instance_norm(x, use_input_stats=False)
    with pytest.raises(RuntimeError, match=r"weight should have shape \(3,\)"):
        instance_norm(x, weight=cr.ones(2))
    with pytest.raises(RuntimeError, match="give both running_mean and running_var"):
        instance_norm(x, running_mean=cr.zeros(3))


@pytest.mark.parametrize("args, kwargs, shape", [
    ((4,), {}, (2, 3, 4)),
    (((3, 4),), dict(eps=1e-6), (2, 3, 4)),
    ((5,), dict(elementwise_affine=False), (3, 5)),
    ((6,), dict(eps=0.1), (6,)),
])
def test_rms_norm_matches_torch(args, kwargs, shape):
    from chainrule.nn.norm import RMSNorm
    from tests.nn.helpers import assert_matches_torch
    ours, theirs = RMSNorm(*args, **kwargs), torch.nn.RMSNorm(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    if theirs.weight is not None:
        with torch.no_grad():
            theirs.weight.uniform_(0.5, 1.5)
    assert_matches_torch(ours, theirs, [np.random.default_rng(2).standard_normal(shape)])


@pytest.mark.parametrize("args, shape", [
    ((2,), (2, 5, 4, 3)), ((3, 1e-2, 0.5, 2.0), (3, 6, 7)), ((4,), (1, 4, 2, 3, 2)),
    ((1,), (2, 3, 4))])
def test_local_response_norm_matches_torch(args, shape):
    from chainrule.nn.norm import LocalResponseNorm
    from tests.nn.helpers import assert_matches_torch
    ours, theirs = LocalResponseNorm(*args), torch.nn.LocalResponseNorm(*args)
    assert repr(ours) == repr(theirs)
    assert_matches_torch(ours, theirs, [np.random.default_rng(3).standard_normal(shape)])


def test_rms_norm_and_local_response_norm_gradcheck_and_errors():
    from chainrule.nn.functional.norm import local_response_norm, rms_norm
    x = cr.tensor(np.random.default_rng(4).standard_normal((2, 3, 4)), requires_grad=True)
    weight = cr.tensor(np.random.default_rng(5).standard_normal(4), requires_grad=True)
    assert gradgradcheck(lambda x, w: rms_norm(x, (4,), w), (x, weight))
    assert gradgradcheck(lambda x: local_response_norm(x, 2, alpha=0.5), (x,))
    with pytest.raises(RuntimeError, match=r"rms_norm: expected input of shape \(\*, 5\)"):
        rms_norm(x, 5)
    with pytest.raises(RuntimeError, match=r"rms_norm: .*weight of shape \(3,\) .* = \(4,\)"):
        rms_norm(x, 4, cr.ones(3))
    with pytest.raises(ValueError, match=r"local_response_norm: expected 3D or higher.*\(3, 4\)"):
        local_response_norm(cr.ones(3, 4), 2)


def test_group_norm_with_no_groups_and_layer_norm_over_no_dims_are_named():
    for lib in (torch, cr):   # torch refuses them too, with the same types
        with pytest.raises(ZeroDivisionError, match="num_groups must be positive" if lib is cr
                           else None):
            lib.nn.GroupNorm(0, 4)
        with pytest.raises(RuntimeError, match="xpected normalized_shape to be at least "
                                               "1-dimensional"):
            lib.nn.LayerNorm([])(lib.ones(2, 3))
    with pytest.raises(ValueError, match="GroupNorm: num_groups must be positive, got -2"):
        cr.nn.GroupNorm(-2, 4)
