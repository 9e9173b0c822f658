"""Devices and the GPU-facing shims (cuda, amp, backends, accelerator, distributed,
nn.parallel), each against what torch does on a machine without a GPU."""
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr


# ----- devices ------------------------------------------------------------------------------------
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


def test_a_tensor_is_on_the_cpu_as_torch_says():
    ours, theirs = cr.ones(2), torch.ones(2)
    for name in ("is_cuda", "is_xpu", "is_mps", "is_meta", "is_sparse", "is_quantized"):
        assert getattr(ours, name) is getattr(theirs, name) is False, name
    assert repr(ours.device) == repr(theirs.device) == "device(type='cpu')"
    assert ours.device == "cpu" and ours.device.type == "cpu" and ours.device.index is None


@pytest.mark.parametrize("move", [
    lambda lib, x: x.to("cpu"), lambda lib, x: x.to("cpu:0"), lambda lib, x: x.cpu(),
    lambda lib, x: x.to(lib.device("cpu")), lambda lib, x: x.to(torch.device("cpu")),
    lambda lib, x: x.to(lib.device("cpu"), lib.float64), lambda lib, x: x.to("cpu", lib.float16),
    lambda lib, x: x.to(device="cpu", dtype=lib.float64, non_blocking=True),
    lambda lib, x: x.to(lib.zeros(1, dtype=lib.float64)), lambda lib, x: x.to(lib.int64),
    lambda lib, x: x.to("cpu", copy=True), lambda lib, x: x.to(x.device),
])
def test_to_reads_devices_dtypes_and_tensors_as_torch(move):
    ours, theirs = move(cr, cr.tensor([1.5, 2.5])), move(torch, torch.tensor([1.5, 2.5]))
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    assert repr(ours.device) == repr(theirs.device)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_to_with_copy_makes_a_new_tensor_and_without_returns_itself():
    x = cr.ones(2)
    assert x.to("cpu") is x and x.to("cpu", copy=True) is not x


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


# ----- chainrule.cuda -----------------------------------------------------------------------------
def test_cuda_answers_as_torch_cuda_without_a_gpu():
    for name in ("is_available", "device_count", "is_bf16_supported", "memory_allocated",
                 "max_memory_allocated", "empty_cache"):
        assert getattr(cr.cuda, name)() == getattr(torch.cuda, name)(), name
    for name in ("manual_seed", "manual_seed_all"):
        assert getattr(cr.cuda, name)(0) is None is getattr(torch.cuda, name)(0)
    cr.cuda.synchronize()   # nothing to wait for (torch without CUDA raises here instead)


@pytest.mark.parametrize("name, args", [("current_device", ()), ("get_device_name", ()),
                                        ("set_device", (0,))])
def test_cuda_refuses_to_name_a_gpu_it_does_not_have(name, args):
    with pytest.raises((AssertionError, RuntimeError, AttributeError)):
        getattr(torch.cuda, name)(*args)
    with pytest.raises(RuntimeError, match=f"cuda.{name}: no CUDA device: chainrule computes on "
                                           "the CPU only"):
        getattr(cr.cuda, name)(*args)


# ----- amp ----------------------------------------------------------------------------------------
def _train(lib, scaler, autocast, closure_step=False):
    """Three steps of a linear fit with AMP's idiom; returns the losses and the final weight."""
    lib.manual_seed(0)
    model = lib.nn.Linear(3, 1)
    with lib.no_grad():
        model.weight.copy_(lib.tensor([[0.1, -0.2, 0.3]]))
        model.bias.fill_(0.5)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1)
    x = lib.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3))
    y = lib.tensor([[1.0], [0.0], [2.0], [1.0]])
    losses = []
    for _ in range(3):
        optimizer.zero_grad()
        with autocast:
            loss = ((model(x) - y) ** 2).mean()
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        if closure_step:
            scaler.step(optimizer, lambda: loss)
        else:
            scaler.step(optimizer)
        scaler.update()
        losses.append(loss.item())
    return losses, model.weight.detach().numpy().copy()


@pytest.mark.parametrize("make", [
    lambda lib: (lib.amp.GradScaler("cuda"), lib.autocast("cuda")),
    lambda lib: (lib.amp.GradScaler(), lib.amp.autocast("cuda", dtype=lib.float16)),
    lambda lib: (lib.cuda.amp.GradScaler(), lib.cuda.amp.autocast()),
    lambda lib: (lib.cuda.amp.GradScaler(enabled=False), lib.cuda.amp.autocast(enabled=False)),
])
@pytest.mark.parametrize("closure_step", [False, True])
def test_an_amp_training_loop_runs_as_torchs_does_without_cuda(make, closure_step):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")   # both warn that the scaler/autocast is disabled
        ours = _train(cr, *make(cr), closure_step)
        theirs = _train(torch, *make(torch), closure_step)
    np.testing.assert_allclose(ours[0], theirs[0], rtol=1e-6)
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6)


def test_a_disabled_grad_scaler_reports_as_torchs():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ours, theirs = cr.amp.GradScaler("cuda"), torch.amp.GradScaler("cuda")
    assert ours.is_enabled() is theirs.is_enabled() is False
    assert ours.get_scale() == theirs.get_scale() == 1.0
    assert ours.state_dict() == theirs.state_dict() == {}
    loss = cr.tensor(2.0)
    assert ours.scale(loss) is loss and ours.scale([loss])[0] is loss
    assert ours.load_state_dict({}) is None and ours.update(3.0) is None
    assert (ours.get_growth_factor(), ours.get_backoff_factor(), ours.get_growth_interval()) \
        == (2.0, 0.5, 2000)   # torch's defaults (a disabled torch scaler raises here)
    with pytest.raises(TypeError, match="GradScaler.load_state_dict: expected a dict, got list"):
        ours.load_state_dict([])


def test_an_enabled_grad_scaler_warns_that_it_disables_itself():
    with pytest.warns(UserWarning, match="CUDA is not available.  Disabling"):
        torch.amp.GradScaler("cuda")
    with pytest.warns(UserWarning, match="chainrule computes in float32 .* Disabling"):
        cr.amp.GradScaler("cuda")


def test_autocast_is_a_context_manager_and_a_decorator_that_changes_nothing():
    @cr.autocast("cpu", dtype=cr.bfloat16)
    def forward(x):
        return x @ x

    x = cr.tensor([[1.1, 2.0], [0.5, -1.0]])
    assert forward(x).dtype == cr.float32 and forward.__name__ == "forward"
    with cr.autocast(device_type="cuda", enabled=True) as context:
        assert (x @ x).dtype == cr.float32 and context.device == "cuda"
    with pytest.raises(TypeError):
        torch.autocast()
    with pytest.raises(TypeError, match="device_type"):
        cr.autocast()
    with pytest.raises(RuntimeError, match="autocast: unknown device_type 'gpu'"):
        cr.autocast("gpu")
    assert cr.amp.autocast is cr.autocast and not cr.amp.is_autocast_available("cuda")


# ----- backends, accelerator, distributed ---------------------------------------------------------
def test_backend_flags_have_torchs_defaults_and_can_be_set():
    # torch's documented defaults, not its live flags: a ported program run earlier in the same
    # process (tests/ports) may have set torch.backends.cudnn.benchmark = True
    defaults = {"benchmark": False, "deterministic": False, "enabled": True, "allow_tf32": True}
    assert {name: getattr(cr.backends.cudnn, name) for name in defaults} == defaults
    assert cr.backends.cudnn.is_available() is torch.backends.cudnn.is_available() is False
    assert cr.backends.cuda.matmul.allow_tf32 is False   # torch's default since 1.12
    assert cr.backends.mps.is_available() is torch.backends.mps.is_available() is False
    try:
        cr.backends.cudnn.benchmark = True
        cr.backends.cuda.matmul.allow_tf32 = True
        assert cr.backends.cudnn.benchmark and cr.backends.cuda.matmul.allow_tf32
    finally:
        cr.backends.cudnn.benchmark = False
        cr.backends.cuda.matmul.allow_tf32 = False


def test_accelerator_answers_as_torchs_with_none():
    assert cr.accelerator.is_available() is torch.accelerator.is_available() is False
    assert cr.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert cr.accelerator.device_count() == torch.accelerator.device_count() == 0


def test_distributed_is_importable_but_not_yet_available():
    import chainrule.distributed as dist
    assert dist.is_available() is False and dist.is_initialized() is False
    with pytest.raises(RuntimeError, match="init_process_group: .*not yet: the data-parallel"):
        dist.init_process_group("gloo", rank=0, world_size=1)
    for name in ("get_rank", "get_world_size", "barrier", "destroy_process_group"):
        with pytest.raises(RuntimeError, match=f"{name}: the default process group has not "
                                               "been initialized"):
            getattr(dist, name)()


# ----- nn.parallel --------------------------------------------------------------------------------
def test_data_parallel_runs_its_module_as_torchs_does_without_a_gpu():
    ours = cr.nn.DataParallel(cr.nn.Linear(3, 2))
    theirs = torch.nn.DataParallel(torch.nn.Linear(3, 2))
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["module.weight",
                                                                     "module.bias"]
    assert isinstance(ours.module, cr.nn.Linear) and ours.device_ids == theirs.device_ids == []
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    np.testing.assert_allclose(ours(cr.tensor(x)).detach().numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6)
    assert cr.nn.parallel.DataParallel is cr.nn.DataParallel
    assert len(list(ours.parameters())) == 2


def test_data_parallel_refuses_gpus_and_non_modules():
    with pytest.raises(RuntimeError, match="DataParallel: device 0 is an accelerator's number"):
        cr.nn.DataParallel(cr.nn.Linear(1, 1), device_ids=[0])
    with pytest.raises(TypeError, match="DataParallel: expected an nn.Module, got function"):
        cr.nn.DataParallel(lambda x: x)


def test_distributed_data_parallel_is_refused_clearly():
    with pytest.raises(ValueError, match="process group has not been initialized"):
        torch.nn.parallel.DistributedDataParallel(torch.nn.Linear(1, 1))
    with pytest.raises(RuntimeError, match="DistributedDataParallel: .*not yet: the data-parallel"):
        cr.nn.parallel.DistributedDataParallel(cr.nn.Linear(1, 1))


# ----- the package's settings ---------------------------------------------------------------------
def test_version_is_the_installed_packages():
    from importlib import metadata
    assert cr.__version__ == metadata.version("chainrule")
    assert isinstance(torch.__version__, str)


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
