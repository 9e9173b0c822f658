"""Transforms of a Python function of Tensors: vjp, jvp, jacobian, hessian, hvp and vhp, with the
signatures and return structures of torch.autograd.functional. Each runs the function on fresh
leaves and asks the reverse-mode engine; forward-mode products come from the double-backward trick.
"""
from chainrule.autograd.engine import grad as _engine_grad
from chainrule.grad_mode import enable_grad
from chainrule.backend import xp
from chainrule.ops.join import stack   # this module sits above the ops (tests/test_architecture.py)
from chainrule.tensor import Tensor

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), vᵀ·J): the vector-Jacobian product, one backward pass seeded with v.

    v has the outputs' shapes; it may be left out when func returns one single-element tensor.
    The product has the inputs' shapes (zeros for an input the outputs do not depend on).
    """
    caller = _name(func, "vjp")
    with enable_grad():
        inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", caller)
        inputs = _fresh(inputs, create_graph)
        outputs_are_tuple, outputs = _call(func, inputs, caller, strict)
        v = _vector(v, outputs, outputs_are_tuple, caller, "outputs of func", create_graph)
    products = _grad(outputs, inputs, v, create_graph)
    products = _zeros_for_unused(products, inputs, strict, create_graph, caller)
    return (_unpack(_detach(outputs, create_graph), outputs_are_tuple),
            _unpack(_detach(products, create_graph), inputs_are_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J·v): the Jacobian-vector product, by the double-backward trick.

    Backward maps a seed u to g(u) = uᵀJ, which is linear in u, so differentiating g(u)·v with
    respect to u gives J·v. The seed is a dummy zero tensor that requires grad; its value
    never matters. v has the inputs' shapes; the product has the outputs' shapes.
    """
    caller = _name(func, "jvp")
    with enable_grad():
        inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", caller)
        inputs = _fresh(inputs, create_graph)
        v = _vector(v, inputs, inputs_are_tuple, caller, "inputs", create_graph)
        outputs_are_tuple, outputs = _call(func, inputs, caller, strict)
        differentiable = [i for i, out in enumerate(outputs) if out.requires_grad]
        seeds = [_zeros(outputs[i], requires_grad=True) for i in differentiable]
        grad_inputs = _grad([outputs[i] for i in differentiable], inputs, seeds, create_graph=True)
        if strict:
            for index, g in enumerate(grad_inputs):
                if g is None or not g.requires_grad:
                    raise RuntimeError(f"{caller} (strict=True): the outputs of func do not "
                                       f"depend on input {index} (shape {inputs[index].shape})")
    found = _grad(grad_inputs, seeds, v, create_graph) if seeds else ()
    products = [None] * len(outputs)
    for i, g in zip(differentiable, found):
        products[i] = g
    products = _zeros_for_unused(products, outputs, False, create_graph, caller)
    return (_unpack(_detach(outputs, create_graph), outputs_are_tuple),
            _unpack(_detach(products, create_graph), outputs_are_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """J[i][j] = d outputs[i] / d inputs[j], of shape outputs[i].shape + inputs[j].shape.

    Reverse mode: one backward pass per output element, seeded with that element's unit vector,
    gives one row of J (backprop computes vector-Jacobian products, so rows come cheaply).
    A single tensor in and out gives one tensor; a tuple on either side gives a tuple; tuples
    on both sides give a tuple (per output) of tuples (per input). vectorize=True runs the same
    loop: there is no vmap here.
    """
    caller = _name(func, "jacobian")
    _check_strategy(strategy, caller, "strategy")
    with enable_grad():
        inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", caller)
        inputs = _fresh(inputs, create_graph)
        outputs_are_tuple, outputs = _call(func, inputs, caller, strict)
        result = tuple(_jacobian_of(out, index, inputs, strict, create_graph, caller)
                       for index, out in enumerate(outputs))
    result = tuple(_detach(row, create_graph) for row in result)
    if not inputs_are_tuple:
        result = tuple(row[0] for row in result)
    return result if outputs_are_tuple else result[0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """H[i][j] = d² func / d inputs[i] d inputs[j], of shape inputs[i].shape + inputs[j].shape,
    for a func that returns a single-element tensor: the Jacobian of its gradient."""
    caller = _name(func, "hessian")
    _check_strategy(outer_jacobian_strategy, caller, "outer_jacobian_strategy")
    inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", caller)

    def gradient(*args):
        out = _single_output(func, args, caller, strict)
        grads = _gradient_for_hessian(out, args, strict, caller)
        return _zeros_for_unused(grads, args, False, True, caller)

    result = jacobian(gradient, inputs, create_graph, strict, vectorize)
    return result if inputs_are_tuple else result[0][0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), vᵀ·H) for a func with one single-element output: a backward pass through
    the gradient (itself built with create_graph=True), seeded with v."""
    caller = _name(func, "vhp")
    with enable_grad():
        inputs_are_tuple, inputs, v, out, gradient = _at_gradient(func, inputs, v, create_graph,
                                                                  strict, caller)
    products = _grad(gradient, inputs, v, create_graph)
    return _hessian_product(out, products, inputs, inputs_are_tuple, create_graph, strict, caller)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H·v) for a func with one single-element output, by the double-backward
    trick applied to the gradient (as jvp is to func). Equal to vhp when H is symmetric."""
    caller = _name(func, "hvp")
    with enable_grad():
        inputs_are_tuple, inputs, v, out, gradient = _at_gradient(func, inputs, v, create_graph,
                                                                  strict, caller)
        seeds = [_zeros(t, requires_grad=True) for t in inputs]
        double_back = _grad(gradient, inputs, seeds, create_graph=True)
    products = _grad(double_back, seeds, v, create_graph)
    return _hessian_product(out, products, inputs, inputs_are_tuple, create_graph, strict, caller)


def _at_gradient(func, inputs, v, create_graph, strict, caller):
    """vhp's and hvp's start: fresh inputs, the checked vector v, func's output and its gradient
    (recorded, so that it can be differentiated again). Runs with grad enabled."""
    inputs_are_tuple, inputs = _as_tuple(inputs, "inputs", caller)
    inputs = _fresh(inputs, create_graph)
    v = _vector(v, inputs, inputs_are_tuple, caller, "inputs", create_graph)
    out = _single_output(func, inputs, caller, strict)
    return inputs_are_tuple, inputs, v, out, _gradient_for_hessian(out, inputs, strict, caller)


def _hessian_product(out, products, inputs, inputs_are_tuple, create_graph, strict, caller):
    """(func's output, the products), zeros for unused inputs, detached unless create_graph."""
    products = _zeros_for_unused(products, inputs, strict, create_graph, caller)
    return (_detach((out,), create_graph)[0],
            _unpack(_detach(products, create_graph), inputs_are_tuple))


# ----- the pieces they share ----------------------------------------------------------------------
def _as_tuple(value, what, caller):
    """(whether value was a tuple, value as a tuple of Tensors)."""
    is_tuple = isinstance(value, tuple)
    values = value if is_tuple else (value,)
    for index, t in enumerate(values):
        if not isinstance(t, Tensor):
            where = f"entry {index} of the {what}" if is_tuple else f"the {what}"
            raise TypeError(f"{caller}: the {what} must be a Tensor or a tuple of Tensors, but "
                            f"{where} is a {type(t).__name__}")
    return is_tuple, values


def _fresh(inputs, create_graph):
    # New Tensor objects, so that func's own use of the caller's tensors is not mistaken for the
    # inputs (pytorch#32576). With create_graph an input that requires grad stays connected
    # (x + 0), so the result can be differentiated with respect to the caller's tensor.
    return tuple(t + 0 if create_graph and t.requires_grad else t.detach().requires_grad_(True)
                 for t in inputs)


def _call(func, inputs, caller, strict):
    outputs_are_tuple, outputs = _as_tuple(func(*inputs), "outputs of func", caller)
    if strict:
        for index, out in enumerate(outputs):
            if not out.requires_grad:
                raise RuntimeError(f"{caller} (strict=True): output {index} of func (shape "
                                   f"{out.shape}) does not require grad: it was not computed "
                                   "from the inputs by recorded operations")
    return outputs_are_tuple, outputs


def _single_output(func, inputs, caller, strict):
    out = func(*inputs)
    if not isinstance(out, Tensor):
        raise RuntimeError(f"{caller}: func must return a single Tensor, got {type(out).__name__}")
    if out.numel() != 1:
        raise RuntimeError(f"{caller}: func must return a tensor with one element, got one of "
                           f"shape {out.shape}")
    if strict and not out.requires_grad:
        raise RuntimeError(f"{caller} (strict=True): the output of func does not require grad: "
                           "it was not computed from the inputs by recorded operations")
    return out


def _vector(v, like, like_is_tuple, caller, what, create_graph):
    """v as a tuple checked against the tensors it pairs with (the inputs or the outputs)."""
    shapes = [tuple(t.shape) for t in like]
    if v is None:
        if len(like) != 1 or like[0].numel() != 1:
            raise RuntimeError(f"{caller}: v may be left out only when the {what} are a single "
                               "tensor with one element; they have shapes "
                               f"{_show(shapes, like_is_tuple)}, so pass v with those shapes")
        return (Tensor._make(xp.ones_like(like[0].array)),)
    v_is_tuple, v = _as_tuple(v, "v", caller)
    if len(v) != len(like):
        raise RuntimeError(f"{caller}: v has {_count(len(v))} but the {what} are "
                           f"{_count(len(like))} of shape{'s' * (len(like) > 1)} "
                           f"{_show(shapes, like_is_tuple)}")
    for index, (t, shape) in enumerate(zip(v, shapes)):
        if tuple(t.shape) != shape:
            name = f"v[{index}]" if v_is_tuple else "v"
            which = f"entry {index} of the {what}" if like_is_tuple else f"the {what}"
            raise RuntimeError(f"{caller}: {name} has shape {tuple(t.shape)} but {which} "
                               f"{'has' if like_is_tuple else 'have'} shape {shape}")
    return tuple(t if create_graph else t.detach() for t in v)


def _grad(outputs, inputs, grad_outputs, create_graph, retain_graph=None):
    """engine.grad over the outputs that require grad; None for every input if there are none."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    pairs = [(out, g) for out, g in zip(outputs, grad_outputs)
             if out is not None and out.requires_grad]
    if not pairs:
        return (None,) * len(inputs)
    outputs, grad_outputs = zip(*pairs)
    return _engine_grad(outputs, inputs, grad_outputs, retain_graph=retain_graph,
                        create_graph=create_graph, allow_unused=True)


def _gradient_for_hessian(out, inputs, strict, caller):
    """d out / d inputs, itself differentiable: the inner Jacobian of a Hessian."""
    gradient = _grad((out,), inputs, None, create_graph=True)
    if strict:
        for index, g in enumerate(gradient):
            if g is None or not g.requires_grad:
                raise RuntimeError(
                    f"{caller} (strict=True): the gradient of func with respect to input {index} "
                    f"(shape {inputs[index].shape}) does not depend on the inputs (func is at "
                    "most linear in them), so its Hessian is identically zero")
    return gradient


def _zeros_for_unused(grads, refs, strict, create_graph, caller):
    """Zeros, the true derivative, where the engine found no path; under strict, an error."""
    result = []
    for index, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(f"{caller} (strict=True): the outputs of func do not depend "
                                   f"on input {index} (shape {ref.shape})")
            g = _zeros(ref)
        elif strict and create_graph and not g.requires_grad:
            raise RuntimeError(f"{caller} (strict=True, create_graph=True): the result for input "
                               f"{index} (shape {ref.shape}) does not depend on the inputs, so it "
                               "cannot be differentiated further")
        result.append(g)
    return tuple(result)


def _jacobian_of(out, index, inputs, strict, create_graph, caller):
    """One row per element of `out`: backward seeded with that element's unit vector."""
    rows = [[] for _ in inputs]
    for element in range(out.numel() if out.requires_grad else 0):
        seed = xp.zeros(out.numel(), dtype=out.dtype)
        seed[element] = 1
        grads = _grad((out,), inputs, (Tensor._make(seed.reshape(out.shape)),), create_graph,
                      retain_graph=True)
        for j, g in enumerate(grads):
            if strict and (g is None or create_graph and not g.requires_grad):
                raise RuntimeError(f"{caller} (strict=True{', create_graph=True' * create_graph}"
                                   f"): output {index} of func (shape {out.shape}) does not "
                                   f"depend on input {j} (shape {inputs[j].shape})")
            rows[j].append(g)
    return tuple(_stack_rows(rows_j, out.shape, t, create_graph) for rows_j, t in zip(rows, inputs))


def _stack_rows(rows, out_shape, like, create_graph):
    """The rows (each of like's shape; None for zeros) as one tensor, out_shape + like.shape."""
    shape = tuple(out_shape) + tuple(like.shape)
    if not any(row is not None for row in rows):
        return Tensor._make(xp.zeros(shape, dtype=like.dtype))
    rows = [_zeros(like) if row is None else row for row in rows]
    if not create_graph:
        return Tensor._make(xp.stack([row.array for row in rows]).reshape(shape))
    return stack(rows).reshape(shape)


def _check_strategy(strategy, caller, argument):
    if strategy == "forward-mode":
        raise NotImplementedError(f"{caller}: {argument}='forward-mode' is not implemented; "
                                  "chainrule differentiates in reverse mode only (use "
                                  "'reverse-mode', or jvp for Jacobian-vector products)")
    if strategy != "reverse-mode":
        raise ValueError(f"{caller}: {argument} must be 'reverse-mode' or 'forward-mode', got "
                         f"{strategy!r}")


def _zeros(like, requires_grad=False):
    t = Tensor._make(xp.zeros(like.shape, dtype=like.dtype))
    return t.requires_grad_(True) if requires_grad else t


def _detach(tensors, create_graph):
    return tuple(tensors) if create_graph else tuple(t.detach() for t in tensors)


def _unpack(values, is_tuple):
    return tuple(values) if is_tuple else values[0]


def _count(n):
    return f"{n} tensor" if n == 1 else f"{n} tensors"


def _show(shapes, is_tuple):
    return ", ".join(map(str, shapes)) if is_tuple else str(shapes[0])


def _name(func, caller):
    return f"{caller}({getattr(func, '__name__', type(func).__name__)})"
