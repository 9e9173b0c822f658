"""The backward pass: walk the recorded graph in reverse topological order, iteratively.

Each node runs once, after every gradient flowing into it has been summed (Kahn's algorithm on
the graph reversed), so a chain of any length never touches Python's recursion limit.
"""
import os
import traceback
import warnings

from chainrule.autograd.function import Function
from chainrule.grad_mode import state
from chainrule.backend import xp
from chainrule.tensor import Tensor


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of `tensors` into the .grad of the leaves (or only `inputs`)."""
    roots = _seed(tensors, grad_tensors, "backward")
    only = None if inputs is None else _as_tuple(inputs)
    grads = run(roots, retain_graph, create_graph, only)
    for leaf, grad, owned in grads:
        if create_graph:
            if leaf.grad is None:   # a differentiable copy, unless the array is the leaf's alone
                leaf.grad = grad if owned else grad.clone()
            else:
                leaf.grad = leaf.grad + grad
        elif leaf.grad is None:
            # .grad is later changed in place (zero_, +=, clipping), so it must own its memory:
            # an array that something else may hold (see _add_leaf_grad) is copied.
            leaf.grad = Tensor._make(grad.array if owned else grad.array.copy())
        else:
            xp.add(leaf.grad.array, grad.array, out=leaf.grad.array, casting="unsafe")
            leaf.grad._version[0] += 1


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """Return d(outputs)/d(inputs) (weighted by grad_outputs) without touching any .grad.
    torch's signature: only_inputs is deprecated and ignored; materialize_grads gives zeros
    for inputs the outputs do not depend on (and so implies allow_unused)."""
    if not only_inputs:
        warnings.warn("grad: only_inputs is deprecated and ignored (it is always True); use "
                      "backward() to accumulate gradients into other tensors", FutureWarning,
                      stacklevel=2)
    if is_grads_batched:
        raise NotImplementedError("grad: is_grads_batched needs vmap, which chainrule does not "
                                  "have; loop over the rows of grad_outputs instead")
    if materialize_grads and allow_unused is False:
        raise ValueError("grad: allow_unused must be True or not given when "
                         "materialize_grads=True")
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    for index, t in enumerate(inputs):
        if not isinstance(t, Tensor) or not t.requires_grad:
            raise RuntimeError(f"grad: input {index} does not require grad")
    roots = _seed(outputs, None if grad_outputs is None else _as_tuple(grad_outputs), "grad")
    found = dict((id(t), g) for t, g, _ in run(roots, retain_graph, create_graph, inputs))
    result = []
    for index, t in enumerate(inputs):
        g = found.get(id(t))
        if g is None and not allow_unused:
            raise RuntimeError(f"grad: input {index} (shape {t.shape}) was not used to compute "
                               "the outputs; pass allow_unused=True if that is intended")
        if g is None and materialize_grads:
            g = Tensor._make(xp.zeros(t.shape, t.array.dtype))
        result.append(g)
    return tuple(result)


def run(roots, retain_graph, create_graph, inputs=None):
    """Propagate from (tensor, grad) roots; return [(tensor, grad, owned)] for the leaves, or
    for `inputs` when given (leaves or not); owned: no one else holds the gradient's array."""
    if retain_graph is None:
        retain_graph = create_graph
    wanted = None if inputs is None else {_owner(t): t for t in inputs}
    node_grads, leaf_grads = {}, {}
    for t, g in roots:
        if t.grad_fn is not None:
            _add_node_grad(node_grads, t.grad_fn, g)
        else:
            _add_leaf_grad(leaf_grads, t, g, owned=False)  # the caller's seed
    order, consumers = _topological_order([t.grad_fn for t, _ in roots if t.grad_fn is not None],
                                          wanted is not None)
    # With `inputs`, only nodes with a wanted tensor behind them run (and are freed), as in torch.
    must_run = None if wanted is None else _leading_to(wanted, consumers)
    captured = {}
    previous, state.enabled = state.enabled, create_graph
    try:
        for fn in order:
            g = node_grads.pop(fn, None)
            if g is None:
                continue
            g = _run_hooks(fn, g)
            if fn.retained is not None and fn.retained() is not None:
                _store_retained(fn.retained(), g, create_graph)
            if wanted is not None and fn in wanted:
                captured[fn] = g
            if must_run is not None and fn not in must_run:
                continue
            if fn.freed:
                raise RuntimeError(
                    f"backward through {type(fn).__name__} a second time: the graph was freed "
                    "after the first backward; pass retain_graph=True to the first call")
            _propagate(fn, g, node_grads, leaf_grads)
            if not retain_graph:
                fn.free()
    finally:
        state.enabled = previous
    if wanted is None:
        return [_leaf_result(leaf, g, owned) for leaf, g, owned in leaf_grads.values()]
    captured.update({key: _run_hooks(leaf, g) for key, (leaf, g, _) in leaf_grads.items()
                     if key in wanted})
    return [(wanted[key], g, False) for key, g in captured.items() if key in wanted]


def _leaf_result(leaf, g, owned):
    """(leaf, its gradient after the leaf's hooks, whether that gradient's array is owned)."""
    hooked = _run_hooks(leaf, g)
    return leaf, hooked, owned and hooked is g


def _propagate(fn, grad, node_grads, leaf_grads):
    """Run one node's backward and pass each input's gradient on to the node that made it."""
    fn.check_versions()
    in_grads = fn.backward(grad)
    if not isinstance(in_grads, tuple):
        in_grads = (in_grads,)
    if state.anomaly:
        _check_finite(fn, in_grads)
    handed = set()
    for parent, g in zip(fn.parents, in_grads):
        if parent is None or g is None:
            continue
        # a leaf's shape and dtype are its array's; a node keeps its output's (Function.apply)
        is_leaf = isinstance(parent, Tensor)
        expected = parent.array if is_leaf else parent
        if g.array.shape != expected.shape:
            raise RuntimeError(f"{type(fn).__name__}.backward returned a gradient of shape "
                               f"{g.shape} for an input of shape {parent.shape}")
        if g.array.dtype != expected.dtype:   # a gradient has its input's dtype, as in PyTorch
            g = g.to(expected.dtype)
        if is_leaf:
            # Owned: a new array that no one else holds. Not owned: the incoming gradient passed
            # through (Add), one tensor handed to two inputs, a view, or a read-only broadcast.
            owned = (g is not grad and id(g) not in handed and g.array.base is None
                     and g.array.flags.writeable)
            _add_leaf_grad(leaf_grads, parent, g, owned)
        else:
            _add_node_grad(node_grads, parent, g)
        handed.add(id(g))


def _add_node_grad(grads, fn, g):
    old = grads.get(fn)
    grads[fn] = g if old is None else old + g


def _add_leaf_grad(grads, leaf, g, owned):
    # keyed by id: a Tensor's == is elementwise, and leaves are few
    old = grads.get(id(leaf))
    if old is not None:
        g, owned = old[1] + g, True
    grads[id(leaf)] = (leaf, g, owned)


def _topological_order(roots, with_consumers=False):
    """Nodes ordered so that each comes after every node that sends it a gradient; and, if asked,
    each node's (or leaf id's) consumers."""
    pending = {}            # node -> number of its consumers not yet processed
    consumers = {} if with_consumers else None
    stack, seen = list(roots), set(roots)
    while stack:
        fn = stack.pop()
        if fn.freed:        # reported only if a gradient actually reaches it
            continue
        for parent in fn.parents:
            if parent is None:
                continue
            is_leaf = isinstance(parent, Tensor)
            if with_consumers:
                consumers.setdefault(id(parent) if is_leaf else parent, []).append(fn)
            if is_leaf:
                continue
            if parent in pending:
                pending[parent] += 1
            else:
                pending[parent] = 1
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    ready = [fn for fn in dict.fromkeys(roots) if fn not in pending]
    order = []
    while ready:
        fn = ready.pop()
        order.append(fn)
        if fn.freed:
            continue
        for parent in fn.parents:
            if parent is not None and not isinstance(parent, Tensor):
                count = pending[parent] - 1
                pending[parent] = count
                if count == 0:
                    ready.append(parent)
    return order, consumers


def _leading_to(wanted, consumers):
    """The nodes that have some wanted node or leaf among their ancestors."""
    found, stack = set(), [key for key in wanted]
    while stack:
        for fn in consumers.get(stack.pop(), ()):
            if fn not in found:
                found.add(fn)
                stack.append(fn)
    return found


def _seed(tensors, grad_tensors, caller):
    tensors = _as_tuple(tensors)
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"{caller}: got {len(tensors)} tensors but {len(grad_tensors)} gradients")
    roots = []
    for index, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t.requires_grad:
            raise RuntimeError(f"{caller}: tensor {index} (shape {t.shape}) does not require grad "
                               "and has no grad_fn; nothing to differentiate")
        if g is None:
            if t.numel() != 1:
                raise RuntimeError(
                    f"{caller}: a gradient can be implied only for a scalar output; this output "
                    f"has shape {t.shape}, so pass gradient= (a tensor of shape {t.shape})")
            g = Tensor._make(xp.ones_like(t.array))
        elif not isinstance(g, Tensor):
            g = Tensor(g, dtype=t.dtype)
        if g.array.shape != t.array.shape:
            raise RuntimeError(f"{caller}: the gradient has shape {g.shape} but the output it "
                               f"belongs to has shape {t.shape}")
        if g.dtype != t.dtype:
            g = g.to(t.dtype)
        roots.append((t, g))
    return roots


def _owner(t):
    """The key under which a tensor's gradient is collected: its node, or itself for a leaf."""
    return t.grad_fn if t.grad_fn is not None else id(t)


def _run_hooks(owner, g):
    for hook in owner._hooks or ():
        result = hook(g)
        if result is not None:
            _check_hook_result(hook, g, result)
            g = result
    return g


def _check_hook_result(hook, g, result):
    # a gradient of another shape would broadcast, or fail deep inside a backward formula
    name = getattr(hook, "__name__", type(hook).__name__)
    if not isinstance(result, Tensor):
        raise TypeError(f"hook '{name}' returned a {type(result).__name__}; a gradient hook "
                        f"returns None or a Tensor of the gradient's shape {g.shape}")
    if result.shape != g.shape:
        raise RuntimeError(f"hook '{name}' has changed the size of value: it returned a gradient "
                           f"of shape {result.shape} for one of shape {g.shape}")


def _store_retained(t, g, create_graph):
    # a copy: g may be the caller's seed or shared with other tensors' gradients
    g = g.clone() if create_graph else Tensor._make(g.array.copy())
    t.grad = g if t.grad is None else t.grad + g


def _check_finite(fn, in_grads):
    for index, g in enumerate(in_grads):
        if g is not None and not xp.all(xp.isfinite(g.array)):
            name = type(fn).__name__
            raise RuntimeError(f"detect_anomaly: {name}.backward produced NaN or Inf in the "
                               f"gradient of input {index} (shape {g.shape}). The {name} was "
                               f"created at:\n{_user_frames(fn)}")


def _user_frames(fn):
    """The creation stack of fn without chainrule's own frames: where the user made it."""
    if not hasattr(fn, "created_at"):
        return "  (unknown: it was created before detect_anomaly was turned on)\n"
    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frames = [f for f in fn.created_at if not os.path.abspath(f.filename).startswith(package)]
    return "".join(traceback.format_list(frames[-3:]))


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)
