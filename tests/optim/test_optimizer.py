"""The Optimizer base class: the forms params may take, groups, zero_grad, the step loop, state
dicts laid out as torch's, float32, and the errors for bad arguments."""
import copy
import sys
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.optim  # noqa: F401  (binds cr.optim)
from tests.optim.trajectory import START, parameters

# One configuration per algorithm that fills every kind of state it keeps.
ALGORITHMS = {
    "SGD": dict(lr=0.1, momentum=0.9, nesterov=True),
    "Adam": dict(lr=0.01, amsgrad=True, weight_decay=0.1),
    "AdamW": dict(lr=0.01),
    "RMSprop": dict(lr=0.01, momentum=0.5, centered=True),
    "Adagrad": dict(lr=0.1, lr_decay=0.01),
    "Adadelta": dict(lr=0.5, weight_decay=0.1),
    "NAdam": dict(lr=0.01, decoupled_weight_decay=True, weight_decay=0.1),
    "RAdam": dict(lr=0.01, weight_decay=0.1),
}


def linear(dtype=cr.float64):
    cr.manual_seed(0)
    return cr.nn.Linear(3, 2).to(dtype)


def two_groups(L, name, params):
    return getattr(L.optim, name)([{"params": params[:1], "lr": 0.05}, {"params": params[1:]}],
                                  **ALGORITHMS[name])


def take_steps(optimizer, params, steps, seed=0):
    """Feed the same sequence of gradients to either library's parameters."""
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        for p in params:
            grad = rng.normal(size=p.shape).astype(p.detach().numpy().dtype)
            p.grad = torch.tensor(grad) if isinstance(p, torch.Tensor) else cr.tensor(grad)
        optimizer.step()


# ----- params ---------------------------------------------------------------------------------
def test_params_from_a_generator_a_list_or_named_pairs():
    model = linear()
    for params in (model.parameters(), list(model.parameters()), model.named_parameters()):
        group = cr.optim.SGD(params, lr=0.1).param_groups[0]
        assert [id(p) for p in group["params"]] == [id(model.weight), id(model.bias)]
        assert group["lr"] == 0.1 and group["momentum"] == 0
    named = cr.optim.SGD(model.named_parameters()).state_dict()["param_groups"][0]
    assert named["param_names"] == ["weight", "bias"]


def test_groups_take_their_own_options_and_the_defaults_for_the_rest():
    model = linear()
    optimizer = cr.optim.SGD([{"params": [model.weight]},
                              {"params": model.bias, "lr": 0.5, "momentum": 0.9}], lr=0.1)
    first, second = optimizer.param_groups
    assert (first["lr"], first["momentum"], second["lr"], second["momentum"]) == (0.1, 0, 0.5, 0.9)
    assert second["params"][0] is model.bias


def test_add_param_group_adds_a_trained_group():
    model, extra = linear(), cr.nn.Parameter(cr.tensor([1.0, 2.0]))
    optimizer = cr.optim.Adam(model.parameters(), lr=0.1)
    optimizer.add_param_group({"params": [extra], "lr": 1.0})
    assert optimizer.param_groups[1]["betas"] == (0.9, 0.999)
    extra.grad = cr.tensor([1.0, -1.0])
    optimizer.step()
    # Adam's first step moves each entry by lr, whatever the gradient's size
    np.testing.assert_allclose(extra.detach().numpy(), [0.0, 3.0], atol=1e-6)


@pytest.mark.parametrize("params, error, message", [
    ([], ValueError, "optimizer got an empty parameter list"),
    ((p for p in []), ValueError, "optimizer got an empty parameter list"),
    (cr.tensor([1.0]), TypeError, "should be an iterable of Tensors or dicts"),
    ([np.ones(2)], TypeError, "optimizer can only optimize Tensors"),
    ([{"params": {cr.nn.Parameter(cr.tensor([1.0]))}}], TypeError, "ordered collections"),
    ([cr.tensor([1.0], requires_grad=True) * 2], ValueError, "can't optimize a non-leaf Tensor"),
    ([("w", cr.nn.Parameter(cr.tensor([1.0]))), cr.nn.Parameter(cr.tensor([1.0]))], ValueError,
     "Some param names are missing"),
])
def test_bad_params_raise_as_torch(params, error, message):
    with pytest.raises(error, match=message):
        cr.optim.SGD(params, lr=0.1)


def test_a_parameter_in_two_groups_is_refused():
    model = linear()
    with pytest.raises(ValueError, match="more than one parameter group"):
        cr.optim.SGD([{"params": model.parameters()}, {"params": [model.bias]}], lr=0.1)
    with pytest.raises(TypeError, match="param_group must be a dict"):
        cr.optim.SGD(model.parameters()).add_param_group([model.bias])


# ----- the step -------------------------------------------------------------------------------
def test_step_skips_parameters_without_a_gradient_and_bumps_versions():
    model = linear()
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    bias = model.bias.detach().numpy().copy()
    model.weight.grad = cr.ones_like(model.weight)
    versions = model.weight._version[0], model.bias._version[0]
    optimizer.step()
    assert model.weight._version[0] == versions[0] + 1 and model.bias._version[0] == versions[1]
    assert (model.bias.detach().numpy() == bias).all() and model.bias not in optimizer.state


def test_a_graph_that_saved_a_parameter_refuses_backward_after_the_step():
    model = linear()
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
    model(cr.ones(1, 3, dtype=cr.float64)).sum().backward()
    stale = model(cr.ones(1, 3, dtype=cr.float64)).sum()
    optimizer.step()
    with pytest.raises(RuntimeError, match="modified in place"):
        stale.backward()


def test_closure_runs_with_grad_enabled_and_its_loss_is_returned():
    model = linear()
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)

    def closure():
        optimizer.zero_grad()
        loss = model(cr.ones(2, 3, dtype=cr.float64)).pow(2).sum()
        loss.backward()
        return loss

    with cr.no_grad():
        loss = optimizer.step(closure)
    assert float(loss) > 0 and model.weight.grad is not None


def test_zero_grad_sets_none_or_zeros():
    model = linear()
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
    model(cr.ones(1, 3, dtype=cr.float64)).sum().backward()
    optimizer.zero_grad(set_to_none=False)
    assert (model.weight.grad.numpy() == 0).all()
    optimizer.zero_grad()
    assert model.weight.grad is None and model.bias.grad is None


def test_a_model_trains():
    model = linear()
    optimizer = cr.optim.Adam(model.parameters(), lr=0.05)
    x, y = cr.ones(4, 3, dtype=cr.float64), cr.zeros(4, 2, dtype=cr.float64)
    losses = []
    for _ in range(50):
        optimizer.zero_grad()
        loss = ((model(x) - y) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 1e-2 * losses[0]


def test_a_subclass_must_define_update():
    class Nothing(cr.optim.Optimizer):
        pass

    optimizer = Nothing(linear().parameters(), {"lr": 0.1})
    optimizer.param_groups[0]["params"][0].grad = cr.ones(2, 3, dtype=cr.float64)
    with pytest.raises(NotImplementedError, match="Nothing does not define update"):
        optimizer.step()


@pytest.mark.parametrize("name", ALGORITHMS)
def test_float32_stays_float32_and_matches_torch(name):
    values = [v.astype(np.float32) for v in START]
    ours = [cr.nn.Parameter(cr.tensor(v)) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]
    optimizer = two_groups(cr, name, ours)
    take_steps(optimizer, ours, 30)
    take_steps(two_groups(torch, name, theirs), theirs, 30)
    for p, q in zip(ours, theirs):
        assert p.dtype == cr.float32
        np.testing.assert_allclose(p.detach().numpy(), q.detach().numpy(), rtol=1e-5, atol=1e-6)
    for values in optimizer.state.values():
        assert all(v.dtype == cr.float32 for v in values.values())


@pytest.mark.parametrize("name", ALGORITHMS)
def test_a_grad_of_the_wrong_shape_is_refused_naming_the_parameter(name):
    # torch refuses it at `p.grad = ...` ("assigned grad has data of a different size"), and so
    # does chainrule; the step checks again
    params = parameters(cr, START)
    optimizer = two_groups(cr, name, params)
    before = params[0].detach().numpy().copy()
    params[0].grad = cr.ones(4, 5, dtype=cr.float64)
    with pytest.raises(RuntimeError, match="assigned grad has data of a different size"):
        params[1].grad = cr.ones(1, 5, dtype=cr.float64)
    # the step still checks a gradient that got past the assignment (it would broadcast into a
    # (1, 5) update)
    params[1]._grad = cr.ones(1, 5, dtype=cr.float64)
    with pytest.raises(RuntimeError, match=rf"{name}.step: parameter 1 has shape \(5,\) but its "
                                           r"\.grad has shape \(1, 5\)"):
        optimizer.step()
    assert params[1].shape == (5,) and (params[0].detach().numpy() == before).all()


def test_a_grad_of_another_dtype_is_refused():
    # torch refuses it at `p.grad = ...` ("assigned grad has data of a different type"); a step
    # would otherwise mix precisions into the parameter's state
    params = [cr.nn.Parameter(cr.tensor(v.astype(np.float32))) for v in START]
    optimizer = cr.optim.Adam(params)
    before = params[2].detach().numpy().copy()
    with pytest.raises(RuntimeError, match="assigned grad has data of a different type"):
        params[2].grad = cr.ones(5, 2, dtype=cr.float64)
    params[2]._grad = cr.ones(5, 2, dtype=cr.float64)     # past the assignment's check
    with pytest.raises(RuntimeError, match=r"Adam.step: parameter 2 \(shape \(5, 2\)\) is "
                                           r"float32 but its \.grad is float64"):
        optimizer.step()
    assert (params[2].detach().numpy() == before).all() and params[2].dtype == cr.float32


# ----- state dicts ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ALGORITHMS)
def test_state_dict_has_torchs_layout(name):
    ours, theirs = parameters(cr, START), parameters(torch, START)
    mine, reference = two_groups(cr, name, ours), two_groups(torch, name, theirs)
    take_steps(mine, ours, 2)
    take_steps(reference, theirs, 2)
    got, want = mine.state_dict(), reference.state_dict()
    assert got["state"].keys() == want["state"].keys()
    for index, values in want["state"].items():
        assert got["state"][index].keys() == values.keys()
        for key, value in values.items():
            np.testing.assert_allclose(got["state"][index][key].numpy(), value.numpy(),
                                       rtol=1e-12)
    for group, reference_group in zip(got["param_groups"], want["param_groups"], strict=True):
        # torch's groups also hold its implementation switches (foreach, fused, capturable ...)
        assert {key: reference_group[key] for key in group} == group


def test_load_state_dict_copies_and_casts_the_state():
    source = cr.optim.Adam(parameters(cr, START), lr=0.01)
    take_steps(source, source.param_groups[0]["params"], 3)
    saved = source.state_dict()
    targets = [cr.nn.Parameter(cr.tensor(v.astype(np.float32))) for v in START]
    target = cr.optim.Adam(targets, lr=0.5)
    target.load_state_dict(saved)
    group = target.param_groups[0]
    assert group["lr"] == 0.01 and group["params"][0] is targets[0]
    state = target.state[targets[0]]
    assert state["exp_avg"].dtype == cr.float32 and state["step"].dtype == cr.float32
    before = state["exp_avg"].numpy().copy()
    take_steps(source, source.param_groups[0]["params"], 1)   # the source's live state moves on
    assert (state["exp_avg"].numpy() == before).all()


def test_load_state_dict_refuses_groups_that_do_not_match():
    model = linear()
    saved = cr.optim.SGD(model.parameters(), lr=0.1).state_dict()
    with pytest.raises(ValueError, match="different number of parameter groups"):
        cr.optim.SGD([{"params": [model.weight]}, {"params": [model.bias]}]).load_state_dict(saved)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        cr.optim.SGD([model.weight]).load_state_dict(saved)


def test_load_state_dict_refuses_what_is_not_an_optimizer_state():
    model = linear()
    optimizer = cr.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"SGD.load_state_dict: expected a dict with 'state' and "
                                        r"'param_groups' .*, got a list"):
        optimizer.load_state_dict([1, 2])
    with pytest.raises(TypeError, match=r"got a dict with keys \['bias', 'weight'\]"):
        optimizer.load_state_dict(model.state_dict())   # the model's, not the optimiser's


def test_load_state_dict_refuses_state_of_another_shape():
    # torch loads it and fails at step() with a broadcasting error
    small, big = cr.nn.Parameter(cr.ones(3)), cr.nn.Parameter(cr.ones(4))
    first = cr.optim.Adam([small])
    small.grad = cr.ones(3)
    first.step()
    with pytest.raises(ValueError, match=r"saved state 'exp_avg' has shape \(3,\) but the "
                                         r"parameter it belongs to has shape \(4,\)"):
        cr.optim.Adam([big]).load_state_dict(first.state_dict())


def test_a_group_without_params_and_a_non_numeric_option_are_named():
    with pytest.raises(KeyError, match=r"parameter group 0 has no 'params' entry.*\['lr'\]"):
        cr.optim.SGD([{"lr": 0.1}], lr=0.1)
    with pytest.raises(TypeError, match="Invalid learning rate: expected a number, got '0.1'"):
        cr.optim.Adam(linear().parameters(), lr="0.1")


def test_state_dict_survives_a_deep_copy_and_repr_lists_the_options():
    optimizer = cr.optim.RMSprop(parameters(cr, START), lr=0.01)
    take_steps(optimizer, optimizer.param_groups[0]["params"], 1)
    saved = copy.deepcopy(optimizer.state_dict())
    assert saved["state"][2]["square_avg"].shape == (5, 2)
    assert "Parameter Group 0" in repr(optimizer) and "    lr: 0.01" in repr(optimizer)


def test_a_model_converted_after_its_optimizer_was_built_is_named():
    model = cr.nn.Linear(3, 2)
    optimizer = cr.optim.Adam(model.parameters())
    model(cr.ones(1, 3)).sum().backward()
    optimizer.step()
    model.double()
    model(cr.ones(1, 3, dtype=cr.float64)).sum().backward()
    with pytest.raises(RuntimeError, match=r"Adam.step: the state 'exp_avg' is float32 but its "
                                           r"parameter .* is now float64"):
        optimizer.step()


# ----- zero_grad(set_to_none=False): the gradient becomes a zero leaf, outside any graph --------
@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_zero_grad_to_zeros_detaches_a_gradient_made_with_create_graph_as_torch():
    for L in (torch, cr):
        p = L.tensor([1.0, 2.0, -1.0], dtype=L.float64, requires_grad=True)
        (p ** 3).sum().backward(create_graph=True)
        grad = p.grad
        assert grad.grad_fn is not None, L.__name__   # the premise: the gradient is in a graph
        L.optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
        assert p.grad is grad, L.__name__   # zeroed in place, the same tensor
        assert grad.grad_fn is None and not grad.requires_grad and grad.is_leaf, L.__name__
        np.testing.assert_array_equal(grad.numpy(), np.zeros(3))
        (p ** 2).sum().backward()   # later gradients accumulate into it, still outside a graph
        assert p.grad is grad and grad.grad_fn is None and not grad.requires_grad, L.__name__
        np.testing.assert_array_equal(grad.numpy(), [2.0, 4.0, -2.0])


def test_zero_grad_to_zeros_stops_an_assigned_gradient_from_requiring_grad_as_torch():
    for L in (torch, cr):
        p = L.tensor([1.0, 2.0], requires_grad=True)
        p.grad = L.tensor([3.0, 4.0], requires_grad=True)
        L.optim.Adam([p]).zero_grad(set_to_none=False)
        assert not p.grad.requires_grad and p.grad.grad_fn is None, L.__name__
        assert p.grad.tolist() == [0.0, 0.0]


# ----- step(closure) returns the closure's loss, for every optimizer ------------------------------
CLOSURE_OPTIMIZERS = {
    "SGD": dict(lr=0.1, momentum=0.9), "Adam": {}, "AdamW": {}, "Adamax": {}, "ASGD": {},
    "Adagrad": {}, "Adadelta": {}, "NAdam": {}, "RAdam": {}, "RMSprop": {}, "Rprop": {},
    "LBFGS": dict(max_iter=3),
}


def test_every_optimizer_is_in_the_closure_table():
    optimizers = {name for name in dir(cr.optim) if isinstance(getattr(cr.optim, name), type)
                  and issubclass(getattr(cr.optim, name), cr.optim.Optimizer)}
    assert optimizers - {"Optimizer", "SparseAdam"} == set(CLOSURE_OPTIMIZERS)


def closure_step(L, name):
    """One step(closure); returns what step returned, the losses the closure returned (in
    order), and the parameters after the step."""
    params = parameters(L, START)
    optimizer = getattr(L.optim, name)(params, **CLOSURE_OPTIMIZERS[name])
    returned_losses = []

    def closure():
        optimizer.zero_grad()
        value = sum((p * p).sum() for p in params) + (params[0] ** 3).sum()
        value.backward()
        returned_losses.append(value)
        return value

    result = optimizer.step(closure)
    return result, returned_losses, [p.detach().numpy().copy() for p in params]


@pytest.mark.parametrize("name", sorted(CLOSURE_OPTIMIZERS))
def test_step_with_a_closure_returns_the_closures_loss_as_torch(name):
    ours, our_losses, our_params = closure_step(cr, name)
    theirs, their_losses, their_params = closure_step(torch, name)
    assert theirs is their_losses[0]   # torch: the first loss the closure returned, itself
    assert ours is our_losses[0]
    assert len(our_losses) == len(their_losses)
    assert ours.item() == pytest.approx(theirs.item(), rel=1e-12)
    for got, want in zip(our_params, their_params):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(set(CLOSURE_OPTIMIZERS) - {"LBFGS"}))
def test_step_without_a_closure_returns_none_as_torch(name):
    for L in (torch, cr):
        params = parameters(L, START)
        optimizer = getattr(L.optim, name)(params, **CLOSURE_OPTIMIZERS[name])
        sum((p * p).sum() for p in params).backward()
        assert optimizer.step() is None, L.__name__


# ----- inf and nan gradients: torch's values, and no NumPy warning -------------------------------
# An inf, a -inf and a nan gradient, then finite ones: the state they spoil carries on.
NONFINITE_GRADS = [[1.0, np.inf, -np.inf, np.nan, 0.5], [2.0, 3.0, 1.0, -1.0, 0.0],
                   [-1.0, 0.5, 2.0, 1.0, -2.0]]


def steps_on_nonfinite_grads(L, name):
    p = L.tensor([1.0, 2.0, 3.0, -1.0, 0.0], dtype=L.float64, requires_grad=True)
    optimizer = getattr(L.optim, name)([p], **ALGORITHMS.get(name, CLOSURE_OPTIMIZERS[name]))
    for grad in NONFINITE_GRADS:
        p.grad = L.tensor(grad, dtype=L.float64)
        optimizer.step()
    return p.detach().numpy()


@pytest.mark.parametrize("name", sorted(set(CLOSURE_OPTIMIZERS) - {"LBFGS"}))
def test_steps_on_inf_and_nan_gradients_are_silent_and_give_torchs_values(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)   # NumPy's "invalid value encountered"
        ours = steps_on_nonfinite_grads(cr, name)
    # nan and inf in the same places (assert_allclose compares them exactly), the rest close
    np.testing.assert_allclose(ours, steps_on_nonfinite_grads(torch, name), rtol=1e-12)


def lbfgs_from(L, start, line_search_fn):
    """An L-BFGS step from start, where an inf coordinate makes an inf and nan gradient."""
    p = L.tensor(start, dtype=L.float64, requires_grad=True)
    optimizer = L.optim.LBFGS([p], max_iter=4, line_search_fn=line_search_fn)

    def closure():
        optimizer.zero_grad()
        loss = (L.sqrt(p.abs()) + p * p).sum()
        loss.backward()
        return loss

    optimizer.step(closure)
    return p.detach().numpy()


@pytest.mark.parametrize("line_search_fn", [None, "strong_wolfe"])
@pytest.mark.parametrize("start", [[np.inf, 1.0, 2.0], [np.nan, 1.0, 2.0]])
def test_lbfgs_on_inf_and_nan_gradients_is_silent_and_gives_torchs_values(start,
                                                                          line_search_fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        ours = lbfgs_from(cr, start, line_search_fn)
    np.testing.assert_allclose(ours, lbfgs_from(torch, start, line_search_fn), rtol=1e-10)


@pytest.mark.parametrize("name", ["SGD", "LBFGS"])
def test_the_closure_runs_in_the_callers_numpy_error_state(name):
    """The step silences its own arithmetic only: the user's code in the closure keeps the
    error state the caller chose."""
    params = parameters(cr, START)
    optimizer = getattr(cr.optim, name)(params, **CLOSURE_OPTIMIZERS[name])
    seen = []

    def closure():
        seen.append(np.geterr())
        optimizer.zero_grad()
        loss = sum((p * p).sum() for p in params)
        loss.backward()
        return loss

    with np.errstate(divide="raise", invalid="warn", over="print"):
        optimizer.step(closure)
    assert seen and all((s["divide"], s["invalid"], s["over"]) == ("raise", "warn", "print")
                        for s in seen)


def decayed_state(L, name, steps=1100):
    """A float32 parameter with one gradient of 1, then zeros: its state decays geometrically
    (μ = β₁ = 0.9) through float32's denormal range (below 1.2e-38) within ~980 steps."""
    p = L.tensor(np.ones(4, dtype=np.float32), requires_grad=True)
    optimizer = getattr(L.optim, name)([p], lr=1e-3, **({"momentum": 0.9} if name == "SGD" else {}))
    for step in range(steps):
        p.grad = L.tensor(np.full(4, 1.0 if step == 0 else 0.0, dtype=np.float32))
        optimizer.step()
    state = optimizer.state[p]
    values = [np.asarray(state[key].detach().numpy()) for key in ("momentum_buffer", "exp_avg")
              if key in state]
    return p.detach().numpy(), values


def is_denormal(array):
    return (array != 0) & (np.abs(array) < np.finfo(np.float32).tiny)


@pytest.mark.skipif(not cr.set_flush_denormal(False), reason="flushing needs glibc (x86, ARM64)")
@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW"])
def test_a_step_flushes_denormal_state_to_zero_within_the_step_only(name, monkeypatch):
    """torch keeps the momentum at the smallest denormal (0.9·x rounds to x there), and every
    later step multiplies denormals, ~50x slower on x86; chainrule's step flushes them to zero
    (SGD's buffer becomes 0; Adam's lerp stops at a normal ~1e-37), which moves no parameter:
    the parameters stay torch's."""
    ours, state = decayed_state(cr, name)
    theirs, torch_state = decayed_state(torch, name)
    assert not any(is_denormal(s).any() for s in state)
    assert all(is_denormal(s).all() for s in torch_state)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert sys.float_info.min * 0.5 > 0.0     # the caller's arithmetic does not flush
    monkeypatch.setattr(cr.optim.Optimizer, "flush_denormal", False)
    ours, state = decayed_state(cr, name)
    assert all(is_denormal(s).all() for s in state)


# Every option that changes which arrays an update writes (maximize, weight decay, Nesterov,
# dampening), and a 0-d parameter, where NumPy returns scalars instead of arrays.
IN_PLACE_CASES = [("SGD", dict(lr=0.1)), ("SGD", dict(lr=0.1, momentum=0.9, maximize=True)),
                  ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.1)),
                  ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, maximize=True)),
                  ("Adam", dict(maximize=True, amsgrad=True)), ("Adam", dict(weight_decay=0.1)),
                  ("AdamW", dict(maximize=True))] + [(name, {}) for name in ALGORITHMS]


@pytest.mark.parametrize("name, options", IN_PLACE_CASES)
def test_a_step_never_writes_into_the_gradient_it_reads(name, options):
    """Updates run in place (no temporaries where NumPy allows), on param and state only: a
    gradient may be shared (by another parameter's .grad, or kept by the caller)."""
    params = [cr.nn.Parameter(cr.tensor(value)) for value in (START[0], np.array(0.5))]
    optimizer = getattr(cr.optim, name)(params, **options)
    for step in range(3):
        grads = [np.full(p.shape, 0.25 * (step + 1)) for p in params]
        for p, grad in zip(params, grads):
            p.grad = cr.tensor(grad)
        optimizer.step()
        for p, grad in zip(params, grads):
            np.testing.assert_array_equal(p.grad.numpy(), grad)
