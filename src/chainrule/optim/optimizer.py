"""Optimizer, the base class: parameter groups, per-parameter state, the loop over parameters, and
saving and restoring. An algorithm (sgd.py, adam.py ...) writes only `update`, the rule for one
parameter, on arrays, in place."""
import copy
import functools
import warnings
from collections import defaultdict
from collections.abc import Mapping

from chainrule import backend
from chainrule.backend import xp
from chainrule.grad_mode import enable_grad
from chainrule.placement import flushing_denormals
from chainrule.tensor import Tensor


class Optimizer:
    """Base class of the optimizers, with torch.optim.Optimizer's interface.

    Args:
        params: an iterable of Tensors (such as model.parameters()), of (name, Tensor) pairs
            (model.named_parameters()), or of dicts, each one parameter group:
            {"params": [...], "lr": 0.01, ...}; options a group leaves out come from defaults.
        defaults: the algorithm's options (lr, momentum ...).

    A subclass validates its options, calls super().__init__(params, defaults), and writes
    `update(param, grad, state, group)`: param and grad are arrays (param is changed in place);
    state is the parameter's dict of Tensors, filled by `init_state(param, group)` before its
    first update; group holds the options. The base class skips parameters without a gradient,
    refuses (before any update) a gradient whose shape or dtype is not its parameter's, negates
    the gradient for maximize=True (unless the algorithm folds the sign into its update), and
    bumps the parameter's version counter. An algorithm that sees all parameters at once (LBFGS)
    overrides step instead.

    The updates run with denormal numbers flushed to zero (flush_denormal, a class attribute;
    see chainrule.set_flush_denormal): a state entry that decays below float32's smallest normal
    1.2e-38 (2.2e-308 in float64), such as the momentum of a weight whose gradient stays 0,
    becomes 0 instead of lingering as a denormal, on which x86 arithmetic is ~50x slower (torch
    keeps them). A step γ·b that small moves no parameter above ~1e-31 (half an ulp), so
    trajectories are unchanged unless parameters themselves are that small.
    """
    # each state tensor has its parameter's shape (or is a 0-d count): load_state_dict checks it
    _state_has_param_shapes = True
    # the algorithm's update reads group["maximize"] itself (no negated copy of the gradient)
    _folds_maximize = False
    flush_denormal = True

    def __init__(self, params, defaults):
        if isinstance(params, Tensor):
            raise TypeError("params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {type(params).__name__}")
        self.defaults = defaults
        self.state = defaultdict(dict)
        self.param_groups = []
        self._opt_called = False   # read by the schedulers (warn if they step first)
        groups = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def __init_subclass__(cls, **kwargs):
        # A subclass that overrides step (torch style) still tells the schedulers it has stepped.
        super().__init_subclass__(**kwargs)
        if "step" in cls.__dict__:
            cls.step = _marks_step(cls.step)

    # ----- the algorithm's part ---------------------------------------------------------------
    def init_state(self, param, group):
        """The state of one parameter (an array) before its first update: a dict of Tensors."""
        return {}

    def update(self, param, grad, state, group):
        """Update one parameter (an array) in place from its gradient (an array)."""
        raise NotImplementedError(f"{type(self).__name__} does not define update()")

    # ----- the loop ---------------------------------------------------------------------------
    def step(self, closure=None):
        """Update every parameter that has a gradient. closure, if given, recomputes the loss
        (with grad enabled) before the update; its result is returned."""
        self._opt_called = True
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        # every gradient is checked before any parameter moves: a refused step changes nothing
        name, updates, index = type(self).__name__, [], 0
        for group in self.param_groups:
            for param in group["params"]:
                if param._grad is not None:
                    updates.append((group, param, checked_grad(name, index, param)))
                index += 1
        negates, states = not self._folds_maximize, self.state
        # the closure above keeps the caller's error state and denormals
        with quiet_arithmetic(), flushing_denormals() if self.flush_denormal else _nothing:
            for group, param, grad in updates:
                state = states[param]
                if not state:
                    state.update(self.init_state(param.array, group))
                else:
                    _check_state_dtype(name, param, state)
                if negates and group.get("maximize", False):
                    grad = -grad
                self.update(param.array, grad, state, group)
                param._version[0] += 1   # an in-place change: graphs that saved param see it
        return loss

    def zero_grad(self, set_to_none=True):
        """Forget the gradients (set_to_none=True), or fill them with zeros."""
        for group in self.param_groups:
            for param in group["params"]:
                if param.grad is None:
                    continue
                if set_to_none:
                    param.grad = None
                else:
                    if param.grad.grad_fn is not None:
                        param.grad.detach_()
                    else:
                        param.grad.requires_grad_(False)
                    param.grad.zero_()

    # ----- groups -----------------------------------------------------------------------------
    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (e.g. a layer unfrozen for fine-tuning).

        Options the group leaves out are taken from the optimizer's defaults.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        if "params" not in param_group:   # torch raises a bare KeyError('params')
            raise KeyError(f"parameter group {len(self.param_groups)} has no 'params' entry; a "
                           f"group is a dict like {{'params': [...], 'lr': 0.01}}, got keys "
                           f"{sorted(map(str, param_group))}")
        group = dict(param_group)
        group["params"], names = _unpack_params(group["params"])
        if names:
            group["param_names"] = names
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        params = group["params"]
        if len(set(params)) != len(params):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; "
                          "in future, this will cause an error", stacklevel=3)
        for other in self.param_groups:
            if ("param_names" in other) != ("param_names" in group):
                raise ValueError("all optimizer param groups should be with/without names. "
                                 "cannot add param group "
                                 f"{'with' if names else 'without'} names to the optimizer")
            if not set(other["params"]).isdisjoint(params):
                raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    # ----- saving and restoring -----------------------------------------------------------------
    def state_dict(self):
        """{'state': {index: {name: value}}, 'param_groups': [{options, 'params': [index]}]}, as
        torch lays it out: each parameter is named by its position across the groups. As in
        torch, the state tensors are the live ones: save or deep-copy the dict for a snapshot."""
        index = {}
        groups = []
        start = 0
        for group in self.param_groups:
            for position, param in enumerate(group["params"], start):
                index.setdefault(id(param), position)
            packed = {key: value for key, value in group.items() if key != "params"}
            packed["params"] = [index[id(param)] for param in group["params"]]
            start += len(group["params"])
            groups.append(packed)
        state = {index[id(param)] if isinstance(param, Tensor) else param: values
                 for param, values in self.state.items() if values}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Continue from a state_dict(): the groups must match this optimizer's in number and size.
        State tensors are copied, floating ones cast to their parameter's dtype (but 'step')."""
        if not isinstance(state_dict, Mapping) or not {"state", "param_groups"} <= set(state_dict):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a dict with 'state' "
                            f"and 'param_groups' (from optimizer.state_dict()), got "
                            f"{_describe(state_dict)}")
        saved_groups = copy.deepcopy(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(saved["params"]) != len(group["params"])
               for saved, group in zip(saved_groups, self.param_groups)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        params = {index: param for saved, group in zip(saved_groups, self.param_groups)
                  for index, param in zip(saved["params"], group["params"])}
        self.state = defaultdict(dict)
        for key, values in state_dict["state"].items():
            param = params.get(key)
            if self._state_has_param_shapes:
                _check_state_shapes(values, param)
            self.state[key if param is None else param] = {
                name: _restored(value, param, name) for name, value in values.items()}
        for saved, group in zip(saved_groups, self.param_groups):
            saved["params"] = group["params"]
            if "param_names" in group and "param_names" not in saved:
                saved["param_names"] = group["param_names"]
            for name, default in self.defaults.items():
                saved.setdefault(name, default)   # a state dict from an older version
        self.param_groups = saved_groups

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {key}: {group[key]}" for key in sorted(group) if key != "params"]
        return "\n".join(lines) + "\n)"


# ----- helpers for the algorithms ---------------------------------------------------------------
def check_non_negative(**options):
    """Raise torch's ValueError for an option that must be >= 0 (nan included)."""
    labels = {"lr": "learning rate", "eps": "epsilon value"}
    for name, value in options.items():
        if isinstance(value, (str, bytes)) or value is None:
            raise TypeError(f"Invalid {labels.get(name, name + ' value')}: expected a number, "
                            f"got {value!r}")
        if not value >= 0.0:
            raise ValueError(f"Invalid {labels.get(name, name + ' value')}: {value}")


def check_betas(betas):
    """Raise torch's ValueError for a β outside [0, 1) (Adam's family)."""
    for index, beta in enumerate(betas):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")


def checked_grad(name, index, param):
    """param.grad's array, refused unless it has param's shape and dtype: a wrong shape would
    broadcast into the update, a wrong dtype would mix precisions into the state. (torch refuses
    such a .grad when it is assigned; chainrule's .grad is a plain attribute: the step checks.)"""
    grad = param.grad.array
    if grad.shape != param.array.shape:
        raise RuntimeError(f"{name}.step: parameter {index} has shape {tuple(param.array.shape)} "
                           f"but its .grad has shape {tuple(grad.shape)}; a gradient must have "
                           "its parameter's shape")
    if grad.dtype != param.array.dtype:
        raise RuntimeError(f"{name}.step: parameter {index} (shape {tuple(param.array.shape)}) "
                           f"is {param.dtype} but its .grad is {param.grad.dtype}; assign a "
                           "gradient of its parameter's dtype (grad.to(param.dtype))")
    return grad


def quiet_arithmetic():
    """NumPy's error state for an optimizer's arithmetic, entered once per step: an inf or nan
    gradient makes inf and nan in the state and the parameters silently, as in torch (NumPy
    would warn for every parameter). The user's closure runs outside it."""
    return xp.errstate(divide="ignore", invalid="ignore", over="ignore")


def zeros_state(param):
    """A state tensor of param's shape and dtype, filled with zeros."""
    return Tensor._make(xp.zeros_like(param))


def step_state():
    """The step counter: a 0-d float32 tensor, as torch keeps it in the state dict."""
    return Tensor._make(xp.zeros((), dtype=backend.float32))


def count_step(state):
    """Advance the parameter's step counter and return the new count (1 on the first update)."""
    counter = state["step"].array
    counter[()] = float(counter) + 1   # counter += 1 (rounded to float32), without a ufunc's cost
    return float(counter)


def add_scaled(target, array, scale):
    """target += scale · array, in place, in one pass where scale is ±1 (NumPy has no fused
    multiply-add: otherwise a product, then the sum)."""
    if scale == 1:
        return xp.add(target, array, out=target)
    if scale == -1:
        return xp.subtract(target, array, out=target)
    return xp.add(target, xp.multiply(array, scale), out=target)


def scaled(array, scale):
    """scale · array in a new array of array's dtype (NumPy would return a 0-d one as a scalar)."""
    return xp.multiply(array, scale, out=xp.empty_like(array))


def decay_weights(param, grad, group):
    """Weight decay as the group asks: decoupled (AdamW's θ ← θ(1 - lr λ), done here in place) or
    L2 (g + λθ, returned). Returns the gradient the update should use."""
    weight_decay = group["weight_decay"]
    if weight_decay == 0:
        return grad
    if group.get("decoupled_weight_decay"):
        param *= 1 - group["lr"] * weight_decay
        return grad
    return grad + weight_decay * param


def update_moments(state, grad, beta1, beta2, sign=1.0):
    """Adam's running moments, in place, in seven passes: m ← m + (1 - β1)(sign·g - m) (torch's
    lerp form), v ← β2 v + (1 - β2) g². Returns the arrays (m, v). (With denormals flushed, a m
    whose gradient stays 0 stops near 1e-37 in float32, where (1 - β1)m underflows: a normal
    number, and a step m/(√v + ε) too small to move a parameter.)"""
    exp_avg, exp_avg_sq = state["exp_avg"].array, state["exp_avg_sq"].array
    # sign·g - m as ±(g ∓ m): negation is exact, so either sign rounds as torch's -g - m
    towards = xp.subtract(grad, exp_avg) if sign == 1 else xp.add(grad, exp_avg)
    towards *= sign * (1 - beta1)
    exp_avg += towards
    exp_avg_sq *= beta2
    square = xp.multiply(grad, 1 - beta2)
    square *= grad
    exp_avg_sq += square
    return exp_avg, exp_avg_sq


# ----- internals --------------------------------------------------------------------------------
class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exception):
        return None


_nothing = _Nothing()


def _unpack_params(params):
    """The group's tensors as a list, and their names if given as (name, tensor) pairs."""
    if isinstance(params, Tensor):
        params = [params]
    elif isinstance(params, set):
        raise TypeError("optimizer parameters need to be organized in ordered collections, but "
                        "the ordering of tensors in sets will change between runs. Please use a "
                        "list instead.")
    params = list(params)
    names = [item[0] for item in params if isinstance(item, tuple)]
    tensors = [item[1] if isinstance(item, tuple) else item for item in params]
    if names and len(names) != len(tensors):
        raise ValueError("all optimizer params should be with/without names. Some param names "
                         "are missing")
    for param in tensors:
        if not isinstance(param, Tensor):
            raise TypeError("optimizer can only optimize Tensors, but one of the params is "
                            f"{type(param).__name__}")
        if not (param.is_leaf or param.retains_grad):
            raise ValueError("can't optimize a non-leaf Tensor")
    return tensors, names


def _describe(value):
    if isinstance(value, Mapping):
        return f"a dict with keys {sorted(map(str, value))}"
    return f"a {type(value).__name__}"


def _check_state_shapes(values, param):
    for name, value in values.items():
        if isinstance(value, Tensor) and param is not None and value.ndim and (
                value.shape != param.shape):
            # torch loads it and fails at the next step() with a broadcasting error
            raise ValueError(f"load_state_dict: the saved state {name!r} has shape {value.shape} "
                             f"but the parameter it belongs to has shape {param.shape}; was the "
                             f"state saved from a different model?")


def _restored(value, param, name):
    if isinstance(value, (list, tuple)):          # LBFGS keeps lists of tensors; torch casts them
        return type(value)(_restored(item, param, name) for item in value)
    if not isinstance(value, Tensor):
        return copy.deepcopy(value)
    array = value.array
    if (name != "step" and param is not None and backend.is_floating(param.dtype)
            and array.dtype != param.dtype):
        return Tensor._make(array.astype(param.dtype))
    return Tensor._make(array.copy())


def _marks_step(step):
    @functools.wraps(step)
    def marked(self, *args, **kwargs):
        self._opt_called = True
        return step(self, *args, **kwargs)
    return marked


_SCALAR_STATE = ("step", "eta", "mu", "mu_product")


def _check_state_dtype(name, param, state):
    """A model converted after its optimizer was built (model.double()) would silently mix
    precisions; PyTorch raises too."""
    dtype = param.array.dtype
    for key, value in state.items():
        if key in _SCALAR_STATE:   # float32 counters whatever the parameter's dtype (torch too)
            continue
        if (isinstance(value, Tensor) and value.array.dtype != dtype
                and value.array.shape == param.array.shape):
            raise RuntimeError(f"{name}.step: the state {key!r} is {value.dtype} but its parameter "
                               f"(shape {param.shape}) is now {param.dtype}; build the optimizer "
                               "after converting the model (model.to(dtype))")


def check_plain_options(name, differentiable=False, capturable=False):
    """Refuse torch's options for differentiating through a step or capturing it in a CUDA
    graph: chainrule's updates are in place, outside autograd, on the CPU. (foreach and fused
    choose torch's kernels only: chainrule accepts and ignores them, the numbers are the same.)"""
    if differentiable:
        raise NotImplementedError(f"{name}(differentiable=True): chainrule's optimizers update "
                                  "parameters in place outside autograd; a step cannot be "
                                  "differentiated. Leave differentiable=False")
    if capturable:
        raise NotImplementedError(f"{name}(capturable=True): CUDA graph capture needs an "
                                  "accelerator; chainrule runs on the CPU. Leave "
                                  "capturable=False")
