"""Check backward against central differences, in float64: the test every op must pass.

gradcheck compares the full Jacobian that backward gives (one vector-Jacobian product per
output element) with (f(x + eps) - f(x - eps)) / 2eps per input element, and names the worst entry.

An output that does not require grad has no backward to compare. As in torch, gradcheck passes
over it when some other output requires grad (an index or a detached statistic returned beside the
result is not differentiated), and when none does, demands that its finite differences be 0: an
output that moves with the inputs lost its gradient. gradgradcheck is stricter than torch's: its
outputs are the first derivatives, and each one that does not require grad yet moves with the
inputs means a backward written outside the graph (whose second derivatives would silently be 0),
so it fails even beside gradients that are differentiable (torch's would pass it over).
"""
from chainrule.autograd.engine import _as_tuple
from chainrule.autograd.engine import grad as autograd_grad
from chainrule.backend import xp
from chainrule.tensor import Tensor


class GradcheckError(AssertionError):
    pass


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """True if backward's Jacobian of fn matches central differences at `inputs`."""
    return _check(fn, _as_tuple(inputs), eps, atol, rtol, raise_exception, _output_name,
                  "gradcheck")


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True):
    """gradcheck of the gradient itself: checks that backward is differentiable (double backward).

    The function checked maps (inputs, grad_outputs) to the gradients of fn's outputs · grad_outputs
    with respect to the inputs that require grad, taken with create_graph=True."""
    inputs = _as_tuple(inputs)
    wanted = _differentiable(inputs, "gradgradcheck")
    outputs = [o for o in _as_tuple(fn(*inputs)) if o.requires_grad]
    if not outputs:
        # Nothing to differentiate twice: the first-order check already demands constant
        # outputs; its messages name gradgradcheck, the function the user called.
        return _check(fn, inputs, eps, atol, rtol, raise_exception, _output_name,
                      "gradgradcheck")
    if grad_outputs is None:
        rng = xp.random.default_rng(0)
        grad_outputs = [Tensor(rng.standard_normal(o.shape), requires_grad=True) for o in outputs]
    grad_outputs = list(_as_tuple(grad_outputs))
    count = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:count], args[count:]
        outs = [o for o in _as_tuple(fn(*xs)) if o.requires_grad]
        grads = autograd_grad(outs, [xs[i] for i in wanted], vs, create_graph=True,
                              allow_unused=True)
        # An unused input's gradient is a constant 0, which the check then demands it stays.
        return tuple(g if g is not None else Tensor._make(xp.zeros(xs[i].shape))
                     for g, i in zip(grads, wanted))

    def gradient_name(out_index):
        return f"the gradient of input {wanted[out_index]}"

    return _check(first_derivative, (*inputs, *grad_outputs), eps, atol, rtol, raise_exception,
                  gradient_name, "gradgradcheck")


def _check(fn, inputs, eps, atol, rtol, raise_exception, name, caller):
    """The shared check: the worst Jacobian entry of any output, or a lost gradient, fails."""
    differentiable = _differentiable(inputs, caller)
    for i in differentiable:
        if inputs[i].dtype != xp.float64:
            raise GradcheckError(f"{caller}: input {i} is {inputs[i].dtype}; finite differences "
                                 "need float64 inputs")
    outputs = _as_tuple(fn(*inputs))
    # torch's rule for gradcheck (see the module docstring); every output for gradgradcheck
    skip_constant = caller == "gradcheck" and any(o.requires_grad for o in outputs)
    worst = None
    for out_index, out in enumerate(outputs):
        if skip_constant and not out.requires_grad:
            continue
        numeric = _numeric(fn, inputs, differentiable, out_index, out.numel(), eps)
        if not out.requires_grad:
            message = _lost_gradient(inputs, outputs, out_index, numeric, name, caller)
            if message is None:
                continue
            return _fail(message, raise_exception)
        analytic = _analytic(out, inputs, differentiable)
        for i in differentiable:
            error = xp.abs(analytic[i] - numeric[i]) - (atol + rtol * xp.abs(numeric[i]))
            if error.size and error.max() > 0 and (worst is None or error.max() > worst[0]):
                row, col = xp.unravel_index(error.argmax(), error.shape)
                worst = (error.max(), i, out_index, row, col, analytic[i][row, col],
                         numeric[i][row, col])
    if worst is None:
        return True
    _, i, out_index, row, col, a, n = worst
    message = (f"{caller}: Jacobian mismatch for input {i} (shape {inputs[i].shape}), element "
               f"{_where(inputs[i].shape, col)}, {name(out_index)} element "
               f"{_where(outputs[out_index].shape, row)}: backward gives {a:.10g}, "
               f"finite differences give {n:.10g} (atol={atol}, rtol={rtol})")
    return _fail(message, raise_exception)


def _differentiable(inputs, caller):
    """Indices of the inputs that require grad; torch refuses a check with none of them."""
    found = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not found:
        raise ValueError(f"{caller} expects at least one input tensor to require gradient, but "
                         f"none of its {len(inputs)} inputs has requires_grad=True")
    return found


def _lost_gradient(inputs, outputs, out_index, numeric, name, caller):
    """The message for an output that does not require grad yet moves with an input, or None."""
    for i, jac in numeric.items():
        if jac.size and xp.abs(jac).max() > 0:
            row, col = xp.unravel_index(xp.abs(jac).argmax(), jac.shape)
            if name is not _output_name:   # a gradient, in gradgradcheck's second-order check
                why = ("backward computed it outside the graph, so its second derivatives "
                       "would silently be 0")
            else:
                why = "its gradient is lost (a detached output, or one computed outside the graph)"
            return (f"{caller}: {name(out_index)} (shape {outputs[out_index].shape}) does not "
                    f"require grad, yet finite differences give {jac[row, col]:.10g} at its "
                    f"element {_where(outputs[out_index].shape, row)} for input {i} element "
                    f"{_where(inputs[i].shape, col)}: {why}")
    return None


def _fail(message, raise_exception):
    if raise_exception:
        raise GradcheckError(message)
    return False


def _output_name(out_index):
    return f"output {out_index}"


def _analytic(out, inputs, differentiable):
    """Rows of the Jacobian from one backward pass per output element."""
    jac = {i: xp.zeros((out.numel(), inputs[i].numel())) for i in differentiable}
    flat = xp.zeros(out.numel())
    for row in range(out.numel()):
        flat[:] = 0
        flat[row] = 1
        seed = Tensor._make(flat.reshape(out.shape).astype(out.dtype))
        grads = autograd_grad(out, [inputs[i] for i in differentiable], seed,
                              retain_graph=True, allow_unused=True)
        for i, g in zip(differentiable, grads):
            if g is not None:
                jac[i][row] = g.array.reshape(-1)
    return jac


def _numeric(fn, inputs, differentiable, out_index, out_size, eps):
    """Columns of the Jacobian by central differences, one input element at a time."""
    # Evaluated with grad mode on: under gradgradcheck, fn itself takes a gradient.
    jac = {}
    for i in differentiable:
        base = inputs[i].array
        jac[i] = xp.zeros((out_size, base.size))
        for col in range(base.size):
            values = []
            for step in (eps, -eps):
                shifted = base.copy()
                shifted.reshape(-1)[col] += step
                args = inputs[:i] + (Tensor(shifted, requires_grad=True),) + inputs[i + 1:]
                # as float64: an integer or bool output (indices, a mask) differences too
                out = _as_tuple(fn(*args))[out_index].array
                values.append(out.reshape(-1).astype(xp.float64))
            jac[i][:, col] = (values[0] - values[1]) / (2 * eps)
    return jac


def _where(shape, flat_index):
    return tuple(int(k) for k in xp.unravel_index(flat_index, shape)) if shape else ()
