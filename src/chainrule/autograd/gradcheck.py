"""Check backward against central differences, in float64: the test every op must pass.

gradcheck compares the full Jacobian that backward gives (one vector-Jacobian product per
output element) with (f(x + eps) - f(x - eps)) / 2eps per input element, and names the worst entry.
"""
from chainrule.autograd.engine import _as_tuple
from chainrule.autograd.engine import grad as autograd_grad
from chainrule.backend import xp
from chainrule.tensor import Tensor


class GradcheckError(AssertionError):
    pass


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """True if backward's Jacobian of fn matches central differences at `inputs`."""
    inputs = _as_tuple(inputs)
    differentiable = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    for i in differentiable:
        if inputs[i].dtype != xp.float64:
            raise GradcheckError(f"gradcheck: input {i} is {inputs[i].dtype}; finite differences "
                                 "need float64 inputs")
    outputs = _as_tuple(fn(*inputs))
    worst = None
    for out_index, out in enumerate(outputs):
        if not out.requires_grad:
            continue
        analytic = _analytic(out, inputs, differentiable)
        numeric = _numeric(fn, inputs, differentiable, out_index, out.numel(), eps)
        for i in differentiable:
            error = xp.abs(analytic[i] - numeric[i]) - (atol + rtol * xp.abs(numeric[i]))
            if error.size and error.max() > 0 and (worst is None or error.max() > worst[0]):
                row, col = xp.unravel_index(error.argmax(), error.shape)
                worst = (error.max(), i, out_index, row, col, analytic[i][row, col],
                         numeric[i][row, col])
    if worst is None:
        return True
    _, i, out_index, row, col, a, n = worst
    message = (f"gradcheck: Jacobian mismatch for input {i} (shape {inputs[i].shape}), element "
               f"{_where(inputs[i].shape, col)}, output {out_index} element "
               f"{_where(outputs[out_index].shape, row)}: backward gives {a:.10g}, "
               f"finite differences give {n:.10g} (atol={atol}, rtol={rtol})")
    if raise_exception:
        raise GradcheckError(message)
    return False


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True):
    """gradcheck of the gradient itself: checks that backward is differentiable (double backward)."""
    inputs = _as_tuple(inputs)
    differentiable = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    outputs = [o for o in _as_tuple(fn(*inputs)) if o.requires_grad]
    if grad_outputs is None:
        rng = xp.random.default_rng(0)
        grad_outputs = [Tensor(rng.standard_normal(o.shape), requires_grad=True) for o in outputs]
    grad_outputs = list(_as_tuple(grad_outputs))
    count = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:count], args[count:]
        outs = [o for o in _as_tuple(fn(*xs)) if o.requires_grad]
        wanted = [t for t in xs if isinstance(t, Tensor) and t.requires_grad]
        grads = autograd_grad(outs, wanted, vs, create_graph=True, allow_unused=True)
        return tuple(g if g is not None else Tensor._make(xp.zeros(t.shape))
                     for g, t in zip(grads, wanted))

    if not differentiable:
        return True
    return gradcheck(first_derivative, (*inputs, *grad_outputs), eps, atol, rtol, raise_exception)


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
                values.append(_as_tuple(fn(*args))[out_index].array.reshape(-1))
            jac[i][:, col] = (values[0] - values[1]) / (2 * eps)
    return jac


def _where(shape, flat_index):
    return tuple(int(k) for k in xp.unravel_index(flat_index, shape)) if shape else ()
