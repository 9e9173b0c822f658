"""The amp package (autocast, GradScaler, and cuda.amp's older names for them) against torch's on a
machine without a GPU: an AMP training loop computes as torch's, a disabled scaler reports as
torch's, autocast changes nothing."""
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr


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
