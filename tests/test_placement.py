"""placement.py: the one device check and the one floating-dtype check, and every layer reaching
them through its device= and dtype= keywords (torch's factory keywords); devices read and printed
as torch.device, an accelerator refused wherever a tensor is moved, and the process settings
(threads, deterministic algorithms, the default device, flushing denormal numbers)."""
import inspect
import subprocess
import sys

import pytest
import torch

import chainrule as cr
from chainrule import nn
from chainrule.placement import FLOATING_DTYPES, check_floating, flushing_denormals

# The arguments each layer taking device/dtype is built with here (small, fast). A layer added to
# chainrule.nn with device= or dtype= and missing from this table fails the coverage test below.
LAYERS = {
    "BatchNorm1d": (3,), "BatchNorm2d": (3,), "SyncBatchNorm": (3,),
    "InstanceNorm1d": (3,), "InstanceNorm2d": (3,), "InstanceNorm3d": (3,),
    "LayerNorm": (3,), "GroupNorm": (1, 3), "RMSNorm": (3,),
    "Linear": (2, 3), "Bilinear": (2, 3, 4),
    "Conv1d": (2, 4, 3), "Conv2d": (2, 4, 3), "Conv3d": (2, 4, 3),
    "ConvTranspose1d": (2, 4, 3), "ConvTranspose2d": (2, 4, 3), "ConvTranspose3d": (2, 4, 3),
    "Embedding": (5, 3), "EmbeddingBag": (5, 3),
    "RNNCellBase": (2, 3, True, 1), "RNNCell": (2, 3), "LSTMCell": (2, 3), "GRUCell": (2, 3),
    "RNNBase": ("LSTM", 2, 3), "RNN": (2, 3), "LSTM": (2, 3), "GRU": (2, 3),
    "MultiheadAttention": (4, 2),
    "TransformerEncoderLayer": (4, 2, 8), "TransformerDecoderLayer": (4, 2, 8),
    "Transformer": (4, 2, 1, 1, 8),
    "PReLU": (3,),
}
# Every layer with parameters or buffers gets some; these are built so that they have them.
KEYWORDS = {"BatchNorm1d": dict(affine=True), "InstanceNorm1d": dict(affine=True),
            "InstanceNorm2d": dict(track_running_stats=True),
            "InstanceNorm3d": dict(affine=True, track_running_stats=True)}


def layers_taking_factory_keywords():
    """The Module classes of chainrule.nn whose constructor takes device= or dtype=."""
    found = set()
    for name in dir(nn):
        value = getattr(nn, name)
        if inspect.isclass(value) and issubclass(value, nn.Module):
            parameters = inspect.signature(value.__init__).parameters
            if "device" in parameters or "dtype" in parameters:
                found.add(name)
    return found


def build(name, **factory):
    return getattr(nn, name)(*LAYERS[name], **KEYWORDS.get(name, {}), **factory)


def test_every_layer_taking_device_or_dtype_is_in_the_table():
    assert layers_taking_factory_keywords() == set(LAYERS)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_a_layer_takes_both_keywords(name):
    parameters = inspect.signature(getattr(nn, name).__init__).parameters
    assert "device" in parameters and "dtype" in parameters


@pytest.mark.parametrize("device", ["cpu", "cpu:0", cr.device("cpu"), torch.device("cpu")],
                         ids=["'cpu'", "'cpu:0'", "chainrule.device", "torch.device"])
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_a_layer_is_built_on_the_cpu(name, device):
    layer = build(name, device=device)
    assert list(layer.parameters()) or list(layer.buffers())


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_a_layer_refuses_an_accelerator_with_the_one_message(name):
    with pytest.raises(RuntimeError, match=rf"^{name}: chainrule computes on the CPU only, got "
                                           r"device 'cuda'; use device='cpu'"):
        build(name, device="cuda")


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_a_layer_makes_its_parameters_and_buffers_in_the_dtype_asked(name):
    layer = build(name, dtype=cr.float64)
    floating = [t for t in list(layer.parameters()) + list(layer.buffers())
                if t.dtype.is_floating_point]
    assert floating and all(t.dtype == cr.float64 for t in floating)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_a_layer_refuses_an_integer_dtype_with_the_one_message(name):
    with pytest.raises(RuntimeError, match=rf"^{name}: parameters need a floating-point dtype "
                                           rf"\({FLOATING_DTYPES}\), got int64$"):
        build(name, dtype=cr.int64)


# ----- the creation functions: every public function taking device= checks it ------------------
# The arguments each is called with here. A public function added with device= and missing from
# this table fails the coverage test below.
FACTORIES = {
    "tensor": ([1.0],), "as_tensor": ([1.0],), "asarray": ([1.0],), "scalar_tensor": (1.0,),
    "Tensor": ([1.0],), "zeros": (2,), "ones": (2,), "empty": (2,), "full": ((2,), 1.0),
    "zeros_like": (cr.ones(2),), "ones_like": (cr.ones(2),), "empty_like": (cr.ones(2),),
    "full_like": (cr.ones(2), 3.0), "rand_like": (cr.ones(2),), "randn_like": (cr.ones(2),),
    "randint_like": (cr.ones(2), 5), "arange": (3,), "linspace": (0, 1, 3),
    "logspace": (0, 1, 3), "eye": (2,), "rand": (2,), "randn": (2,), "randint": (5, (2,)),
    "randperm": (3,), "normal": (0.0, 1.0, (2,)), "tril_indices": (3, 3),
    "triu_indices": (3, 3), "Generator": (),
    **{name: ([1],) for name in ("BFloat16Tensor", "BoolTensor", "ByteTensor", "CharTensor",
                                 "DoubleTensor", "FloatTensor", "HalfTensor", "IntTensor",
                                 "LongTensor", "ShortTensor")},
}
# Taking a device, but not a factory: set_default_device (tested below), fork_rng (devices=).
NOT_FACTORIES = {"set_default_device", "fork_rng"}


def public_functions_taking_device():
    found = set()
    for name in dir(cr):
        value = getattr(cr, name)
        if name.startswith("_") or not callable(value):
            continue
        try:
            parameters = inspect.signature(value).parameters
        except (TypeError, ValueError):
            continue
        if "device" in parameters or "devices" in parameters:
            found.add(name)
    return found - NOT_FACTORIES


def test_every_public_function_taking_device_is_in_the_table():
    assert public_functions_taking_device() == set(FACTORIES)


@pytest.mark.filterwarnings("ignore:chainrule stores bfloat16 tensors as float32")
@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_a_creation_function_refuses_an_accelerator_with_the_one_message(name):
    getattr(cr, name)(*FACTORIES[name], device="cpu")
    with pytest.raises(RuntimeError, match=rf"^{name}: chainrule computes on the CPU only, got "
                                           r"device 'cuda'; use device='cpu'"):
        getattr(cr, name)(*FACTORIES[name], device="cuda")


# ----- the one floating-dtype check, wherever a floating dtype is needed --------------------------
@pytest.mark.parametrize("call, error, prefix", [
    (lambda: cr.tensor([1, 2], requires_grad=True), RuntimeError,
     "requires_grad_: tensors that require grad"),
    (lambda: cr.arange(3).requires_grad_(), RuntimeError,
     "requires_grad_: tensors that require grad"),
    (lambda: cr.randn(2, dtype=cr.int64), RuntimeError, "randn: random draws"),
    (lambda: cr.rand(2, dtype=cr.int64), RuntimeError, "rand: random draws"),
    (lambda: nn.Linear(2, 3).to(cr.int64), TypeError, r"Linear.to: a module's parameters"),
    (lambda: nn.Linear(2, 3, dtype=cr.int64), RuntimeError, "Linear: parameters"),
    (lambda: nn.Parameter(cr.zeros(2, dtype=cr.int64)), RuntimeError,
     "requires_grad_: tensors that require grad"),
], ids=["tensor(requires_grad)", "requires_grad_", "randn", "rand", "Module.to", "Linear",
        "Parameter"])
def test_every_floating_dtype_check_is_worded_once(call, error, prefix):
    with pytest.raises(error, match=rf"^{prefix} need a floating-point dtype "
                                    rf"\({FLOATING_DTYPES}\), got int64$"):
        call()


@pytest.mark.parametrize("call, error", [
    (lambda L: L.nn.Linear(2, 3, dtype=L.int64), RuntimeError),
    (lambda L: L.zeros(2, dtype=L.int64).requires_grad_(), RuntimeError),
    (lambda L: setattr(L.zeros(2, dtype=L.int64), "requires_grad", True), RuntimeError),
    (lambda L: L.nn.Linear(2, 3).to(L.int64), TypeError),
], ids=["Linear(dtype)", "requires_grad_", "requires_grad =", "Module.to"])
def test_chainrule_raises_where_torch_does_and_the_same_error(call, error):
    with pytest.raises(error, match="floating point"):
        call(torch)
    with pytest.raises(error, match="need a floating-point dtype"):
        call(cr)


@pytest.mark.parametrize("dtype", [cr.float16, cr.float32, cr.float64, cr.bfloat16])
def test_floating_dtypes_pass(dtype):
    check_floating("test", dtype, "values")


@pytest.mark.parametrize("dtype", [cr.int64, cr.int32, cr.bool, cr.uint8, None])
def test_other_dtypes_are_refused(dtype):
    with pytest.raises(RuntimeError, match=rf"^test: values need a floating-point dtype \("
                                           rf"{FLOATING_DTYPES}\), got {dtype}$"):
        check_floating("test", dtype, "values")


# ----- devices: torch.device's reading, the refusal of an accelerator, the process settings -------
@pytest.mark.parametrize("args", [("cpu",), ("cpu:0",), ("cpu", 0), ("cuda",), ("cuda:1",),
                                  ("cuda", 2), ("mps",)])
def test_a_device_reads_and_prints_as_torchs(args):
    ours, theirs = cr.device(*args), torch.device(*args)
    assert (repr(ours), str(ours), ours.type, ours.index) == \
        (repr(theirs), str(theirs), theirs.type, theirs.index)
    assert cr.device(theirs) == ours   # a torch.device is read by its .type and .index


def test_devices_compare_as_torchs_do():
    assert cr.device("cpu") == cr.device("cpu") and cr.device("cpu") != cr.device("cpu:0")
    assert (torch.device("cpu") == torch.device("cpu:0")) is False


def test_a_misspelt_device_is_refused_naming_it():
    with pytest.raises(RuntimeError, match="gpu"):
        torch.device("gpu")
    with pytest.raises(RuntimeError, match="device: expected one of cpu, cuda.* got 'gpu'"):
        cr.device("gpu")
    with pytest.raises(RuntimeError, match="device: invalid device index in 'cpu:x'"):
        cr.device("cpu:x")
    with pytest.raises(TypeError, match=r"device: expected a string .* got 1.5 \(float\)"):
        cr.device(1.5)


@pytest.mark.parametrize("move, where", [
    (lambda x: x.to("cuda"), "'cuda'"), (lambda x: x.to("cuda:1"), "'cuda:1'"),
    (lambda x: x.to("mps"), "'mps'"), (lambda x: x.to(device="cuda"), "'cuda'"),
    (lambda x: x.to(cr.device("cuda"), cr.float64), "'cuda'"), (lambda x: x.cuda(), "'cuda'"),
    (lambda x: x.cuda(1), "device 1 is an accelerator's number"),
    (lambda x: x.to(0), "device 0 is an accelerator's number"),
])
def test_moving_to_an_accelerator_is_refused_clearly(move, where):
    with pytest.raises(RuntimeError, match=f"chainrule computes on the CPU only|{where}") as info:
        move(cr.ones(2))
    assert where in str(info.value) and "Tensor." in str(info.value)


def test_threads_and_determinism_settings_are_accepted():
    before = cr.get_num_threads()
    assert isinstance(before, int) and before >= 1
    cr.set_num_threads(3)
    assert cr.get_num_threads() == 3
    cr.set_num_threads(before)
    with pytest.raises(ValueError, match="set_num_threads: expected a positive int, got 0"):
        cr.set_num_threads(0)
    cr.use_deterministic_algorithms(True, warn_only=True)
    assert cr.are_deterministic_algorithms_enabled()
    cr.use_deterministic_algorithms(False)
    assert not cr.are_deterministic_algorithms_enabled()


def test_the_default_device_is_the_cpu():
    cr.set_default_device("cpu")
    cr.set_default_device(None)
    assert repr(cr.get_default_device()) == repr(torch.get_default_device())
    with pytest.raises(RuntimeError, match="set_default_device: chainrule computes on the CPU "
                                           "only, got device 'cuda'"):
        cr.set_default_device("cuda")


# ----- denormal numbers --------------------------------------------------------------------------
SMALLEST_NORMAL = sys.float_info.min   # a product by 0.5 is denormal: 0 once flushed


def test_set_flush_denormal_answers_as_torch_and_flushes_this_threads_arithmetic():
    try:
        answer = cr.set_flush_denormal(True)
        assert answer is torch.set_flush_denormal(True)
        assert (SMALLEST_NORMAL * 0.5 == 0.0) is answer
        assert cr.set_flush_denormal(False) is answer
        assert SMALLEST_NORMAL * 0.5 > 0.0
    finally:
        torch.set_flush_denormal(False)
        cr.set_flush_denormal(False)


@pytest.mark.skipif(not cr.set_flush_denormal(False), reason="flushing needs glibc (x86, ARM64)")
def test_flushing_denormals_holds_within_a_block_and_restores_the_mode_before_it():
    assert SMALLEST_NORMAL * 0.5 > 0.0
    with flushing_denormals():
        assert SMALLEST_NORMAL * 0.5 == 0.0
        with flushing_denormals():
            assert SMALLEST_NORMAL * 0.5 == 0.0
        assert SMALLEST_NORMAL * 0.5 == 0.0
    assert SMALLEST_NORMAL * 0.5 > 0.0
    try:
        cr.set_flush_denormal(True)
        with flushing_denormals():
            pass
        assert SMALLEST_NORMAL * 0.5 == 0.0     # the user's own setting is kept
    finally:
        cr.set_flush_denormal(False)


def test_an_audit_hook_refusing_native_calls_leaves_steps_unflushed_not_failing():
    # a graded lab's kernel refuses ctypes once armed (chainrule.labs.guard); an audit hook
    # cannot be removed, so this runs in a process of its own
    program = """
import sys
import chainrule as cr
p = cr.nn.Parameter(cr.ones(3))
optimizer = cr.optim.SGD([p], lr=0.1, momentum=0.9)
p.sum().backward(); optimizer.step()              # the control is found before the hook
def refuse(event, args):
    if event.startswith("ctypes"):
        raise PermissionError(event)
sys.addaudithook(refuse)
p.grad = None; p.sum().backward(); optimizer.step()
print(p.tolist(), cr.set_flush_denormal(True))
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[0.7099999785423279,", "0.7099999785423279,",
                                   "0.7099999785423279]", "False"]
