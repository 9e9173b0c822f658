"""The backward pass, in three steps (run):

1. order: the nodes the roots' gradients can reach, each after every node that sends it a gradient
   (Kahn's algorithm on the reversed graph, iterative: no chain is too long for Python's stack);
2. propagate: in that order, each node takes the sum of the gradients sent to it, runs its hooks,
   hands one gradient to each parent through its backward, and is freed unless retain_graph;
3. accumulate: a leaf's node (AccumulateGrad, see function.py) only collects; what reached it
   goes, after the leaf's hooks, into the leaf's .grad (backward) or back to autograd.grad.

Named helpers beside run: retained gradients of non-leaves (_retain), `inputs=` pruning (only
nodes with a wanted tensor behind them run: _leading_to), freeing (Function.free), anomaly mode
(_check_finite).
"""
import os
import traceback
import warnings

from chainrule.autograd.function import AccumulateGrad, grad_accumulator
from chainrule.grad_mode import state
from chainrule.backend import xp
from chainrule.tensor import Tensor, post_accumulate_hooks


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False, inputs=None):
    """Accumulate the gradients of `tensors` into the .grad of the leaves (or only `inputs`)."""
    roots = _seed(tensors, grad_tensors, "backward")
    only = None if inputs is None else _as_tuple(inputs)
    run(roots, retain_graph, create_graph, only, accumulate=True)


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
        if not isinstance(t, Tensor) or not t._requires_grad:
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


# The whole pass runs in the grad mode create_graph asks for (backward formulas, hooks, leaf hooks
# and accumulation into .grad are recorded only then, as torch runs a leaf's hooks and its
# AccumulateGrad inside the pass), and with NumPy quiet: a gradient of inf or nan is a value, as in
# torch's backward (dy/x at x = 0, inf * 0 ...). The errstate is set once per backward call rather
# than once per formula, so it also covers what user code runs inside the pass: tensor hooks and
# the backward of custom Functions (autograd/custom.py), which torch runs without warnings too.
@xp.errstate(divide="ignore", invalid="ignore", over="ignore")
def run(roots, retain_graph, create_graph, inputs=None, accumulate=False):
    """Propagate from (tensor, grad) roots; return [(tensor, grad, owned)] for the leaves reached,
    or for `inputs` when given (leaves or not); owned: no one else holds the gradient's array.
    With accumulate (backward), each of those gradients is also added into its tensor's .grad.

    A plain backward (create_graph=False) carries arrays from node to node: each node's backward
    gets its gradient as a Tensor (Function.operands unwraps it), and what it returns is summed
    per input on arrays, in place once the engine owns the sum. Under create_graph the gradients
    are Tensors throughout, so their sums are recorded too."""
    if retain_graph is None:
        retain_graph = create_graph
    plain = not create_graph
    wanted = None if inputs is None else {_node_of(t): t for t in inputs}
    grads, owned = _seed_nodes(roots, plain)        # node -> the gradient waiting there
    order, must_run = _order(grads, wanted)
    # With post-accumulate hooks registered anywhere (DistributedDataParallel's), each leaf's
    # .grad is written as soon as its last consumer has run, so its hooks run during the pass
    early = accumulate and wanted is None and post_accumulate_hooks[0] > 0
    previous, state.enabled = state.enabled, create_graph
    _final_callbacks.append([])
    try:
        captured = _propagate(order, grads, owned, must_run=must_run, wanted=wanted,
                              retain_graph=retain_graph, plain=plain,
                              ready=_leaves_ready(order) if early else None)
        # what is left in grads: the sums that reached the leaves' AccumulateGrad nodes
        reached = _at_leaves(grads, owned, captured, wanted, plain)
        if accumulate:
            for t, g, is_owned in reached:
                _accumulate(t, g, is_owned, create_graph)
        for callback in _final_callbacks[-1]:
            callback()
        return reached   # (without the leaves written early: only backward, which ignores it)
    finally:
        _final_callbacks.pop()
        state.enabled = previous


# The callbacks queued during each backward pass running (a hook may start another): run, in
# order, once the pass's gradients are all accumulated
_final_callbacks = []


def queue_callback(callback):
    """Run callback() at the end of the backward pass now running, after every .grad is written
    (torch's Variable._execution_engine.queue_callback; DistributedDataParallel's last step)."""
    if not _final_callbacks:
        raise RuntimeError("queue_callback: final callbacks can only be installed during the "
                           "backward pass")
    _final_callbacks[-1].append(callback)


def _accumulate(t, g, owned, create_graph):
    accumulate_grad(t, g, owned, create_graph)
    if post_accumulate_hooks[0]:
        for hook in getattr(t, "_post_accumulate_hooks", None) or ():
            hook(t)


def _leaves_ready(order):
    """{position in order: the leaves' AccumulateGrad nodes whose last consumer is there}."""
    last = {}
    for index, fn in enumerate(order):
        if not fn.freed:
            for parent in fn.parents:
                if type(parent) is AccumulateGrad:
                    last[parent] = index
    ready = {}
    for node, index in last.items():
        ready.setdefault(index, []).append(node)
    return ready


# ----- 1. order ---------------------------------------------------------------------------------
def _order(grads, wanted):
    """The nodes to run, in order, from those holding the roots' gradients; and with `inputs`, the
    set of those that must run their backward: only nodes with a wanted tensor behind them run
    (and are freed), as in torch."""
    roots = [fn for fn in grads if type(fn) is not AccumulateGrad]
    order, consumers = _topological_order(roots, wanted is not None)
    return order, None if wanted is None else _leading_to(wanted, consumers)


def _topological_order(roots, with_consumers=False):
    """The nodes (AccumulateGrad left out: they run nothing) ordered so that each comes after every
    node that sends it a gradient; and, if asked, each node's consumers (AccumulateGrad included)."""
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
            if with_consumers:
                consumers.setdefault(parent, []).append(fn)
            if type(parent) is AccumulateGrad:
                continue
            if parent in pending:
                pending[parent] += 1
            else:
                pending[parent] = 1
                if parent not in seen:
                    seen.add(parent)
                    stack.append(parent)
    ready = [fn for fn in roots if fn not in pending]
    order = []
    while ready:
        fn = ready.pop()
        order.append(fn)
        if fn.freed:
            continue
        for parent in fn.parents:
            if parent is not None and type(parent) is not AccumulateGrad:
                count = pending[parent] - 1
                pending[parent] = count
                if count == 0:
                    ready.append(parent)
    return order, consumers


def _leading_to(wanted, consumers):
    """The nodes that have some wanted node (or leaf's AccumulateGrad) among their ancestors."""
    found, stack = set(), list(wanted)
    while stack:
        for fn in consumers.get(stack.pop(), ()):
            if fn not in found:
                found.add(fn)
                stack.append(fn)
    return found


# ----- 2. propagate -----------------------------------------------------------------------------
def _propagate(order, grads, owned, *, must_run, wanted, retain_graph, plain, ready=None):
    """Run each node in order on the sum of the gradients sent to it (popped from grads); return
    the gradients of wanted non-leaf tensors, caught as they pass their node. Runs inside run's
    grad mode (create_graph) and errstate.

    must_run: with `inputs=`, the nodes whose backward runs (None: all); wanted: node -> tensor
    for `inputs=` (None: the leaves); retain_graph: keep the nodes' saved values (else freed);
    plain: the gradients are arrays (create_graph=False), else Tensors; ready: leaves to
    accumulate as the pass goes (_leaves_ready)."""
    captured = {}
    sums = set()   # the nodes whose waiting gradient is a sum the engine made: added to in place
    for index, fn in enumerate(order):
        g = grads.pop(fn, None)
        if g is not None:
            if type(g) is SliceGradient:
                g = g.materialize()
            if fn._hooks is not None or fn.retained is not None or wanted is not None:
                g = _pass_node(fn, g, captured, wanted, plain)
            if must_run is None or fn in must_run:
                _call_backward(fn, g, grads, owned, sums, plain)
                if not retain_graph:
                    fn.free()
        if ready is not None and index in ready:
            _accumulate_ready(ready[index], grads, owned, plain)
    return captured


def _accumulate_ready(nodes, grads, owned, plain):
    """Write the .grad of leaves whose gradient is complete (run's `early`), before the pass
    ends; their post-accumulate hooks run now."""
    for node in nodes:
        g = grads.pop(node, None)
        if g is None:
            continue
        if plain:
            g = Tensor._make(g.materialize() if type(g) is SliceGradient else g)
        t, g, is_owned = _leaf_result(node, g, node in owned)
        _accumulate(t, g, is_owned, not plain)


def _pass_node(fn, g, captured, wanted, plain):
    """What happens to a gradient at its node before backward: the node's hooks, a retained
    gradient, and the catch of a wanted non-leaf's gradient (inputs=)."""
    t = Tensor._make(g) if plain else g
    if fn._hooks:
        t = _run_hooks(fn, t)
    if fn.retained is not None:
        _retain(fn.retained(), t, not plain)
    if wanted is not None and fn in wanted:
        captured[fn] = t
    return t.array if plain else t


def _call_backward(fn, grad, grads, owned, sums, plain):
    """Run one node's backward and send each input's gradient on to the node that made it."""
    if fn.freed:
        raise RuntimeError(
            f"backward through {type(fn).__name__} a second time: the graph was freed "
            "after the first backward; pass retain_graph=True to the first call")
    fn.check_versions()
    in_grads = fn.backward(Tensor._make(grad) if plain else grad)
    if type(in_grads) is not tuple:
        in_grads = (in_grads,)
    if state.anomaly:
        _check_finite(fn, in_grads)
    incoming = grad if plain else grad.array
    handed = []
    for parent, g in zip(fn.parents, in_grads):
        if parent is None or g is None:
            continue
        # a node keeps its output's shape and dtype (Function.apply); AccumulateGrad its leaf's
        leaf = type(parent) is AccumulateGrad
        expected = parent.variable.array if leaf else parent
        if type(g) is SliceGradient:   # kept lazy until a node or a leaf takes it
            if g.dtype == expected.dtype:
                _check_shape(fn, g.shape, expected.shape)
                if leaf:   # made whole (a new array: owned) in _at_leaves, if no sum made it so
                    _add_leaf_grad(grads, owned, sums, parent, g, plain, True)
                else:
                    _add_grad(grads, sums, parent, g, plain)
                continue
            g = g.materialize()
        # a plain backward carries arrays (a formula on Tensors gives Tensors: unwrapped), a
        # recorded one Tensors (a constant array from a backward: wrapped)
        if plain:
            if type(g) is not xp.ndarray:
                g = g.array if isinstance(g, Tensor) else xp.asarray(g)
            array = g
        else:
            if not isinstance(g, Tensor):
                g = Tensor._make(g)
            array = g.array
        _check_shape(fn, array.shape, expected.shape)
        if array.dtype != expected.dtype:   # a gradient has its input's dtype, as in PyTorch
            if plain:
                g = array = array.astype(expected.dtype)
            else:
                g = g.to(expected.dtype)
                array = g.array
        if leaf:
            # Owned: a new array that no one else holds. Not owned: the incoming gradient passed
            # through (Add), one array handed to two inputs, a view, or a read-only broadcast.
            _add_leaf_grad(grads, owned, sums, parent, g, plain,
                           array is not incoming and id(array) not in handed
                           and array.base is None and array.flags.writeable)
        else:
            _add_grad(grads, sums, parent, g, plain)
        handed.append(id(array))


def _check_shape(fn, shape, expected):
    if shape != expected:
        raise RuntimeError(f"{type(fn).__name__}.backward returned a gradient of shape "
                           f"{tuple(shape)} for an input of shape {expected}")


def _add_grad(grads, sums, fn, g, plain):
    """Add g to the gradient waiting at fn: a new sum the first time, then (arrays) in place."""
    old = grads.get(fn)
    if old is None:
        grads[fn] = g
    elif plain and fn in sums:
        _add_into(old, g)
    elif plain and (type(old) is SliceGradient or type(g) is SliceGradient):
        total = old.materialize() if type(old) is SliceGradient else xp.array(old)
        _add_into(total, g)
        grads[fn] = total
        sums.add(fn)
    else:
        grads[fn] = old + g
        if plain and type(grads[fn]) is xp.ndarray:
            sums.add(fn)


def _add_into(total, g):
    """total += g, in place into an array the engine owns (g an array or a SliceGradient)."""
    if type(g) is SliceGradient:
        total[g.index] += g.values
    else:
        xp.add(total, g, out=total)


class SliceGradient:
    """A gradient that is zero but for one region, total[index] = values: what a slice's plain
    backward hands on (ops.index.Slice). The engine adds it into the sum waiting at the node that
    made the sliced tensor without making it whole: the pieces of a split, or a tensor's slices
    used apart, cost one array of the full shape, not one each and the sums of them all."""

    __slots__ = ("dtype", "index", "shape", "values")

    def __init__(self, shape, index, values):
        self.shape, self.dtype, self.index, self.values = shape, values.dtype, index, values

    def materialize(self):
        total = xp.zeros(self.shape, self.dtype)
        total[self.index] = self.values
        return total


def _add_leaf_grad(grads, owned, sums, node, g, plain, is_owned):
    """As _add_grad, remembering in `owned` the AccumulateGrad nodes whose gradient array is theirs
    alone (a sum always is), so that .grad may take it without a copy."""
    if node in grads:
        _add_grad(grads, sums, node, g, plain)
        owned.add(node)
    else:
        grads[node] = g
        if is_owned:
            owned.add(node)


def _retain(t, g, create_graph):
    """A non-leaf tensor that called retain_grad() keeps (a copy of) its gradient in .grad;
    t is None if that tensor is gone."""
    if t is not None:
        # a copy: g may be the caller's seed or shared with other tensors' gradients
        g = g.clone() if create_graph else Tensor._make(g.array.copy())
        t.grad = g if t.grad is None else t.grad + g


# ----- 3. accumulate ----------------------------------------------------------------------------
def _at_leaves(grads, owned, captured, wanted, plain):
    """(tensor, gradient after the leaf's hooks, owned) for each AccumulateGrad reached, or with
    `inputs`, for the wanted tensors only (their arrays then never taken without a copy)."""
    if plain:
        grads = {node: Tensor._make(g.materialize() if type(g) is SliceGradient else g)
                 for node, g in grads.items()}
    if wanted is None:
        return [_leaf_result(node, g, node in owned) for node, g in grads.items()]
    captured.update({node: _run_hooks(node.variable, g) for node, g in grads.items()
                     if node in wanted})
    return [(wanted[key], g, False) for key, g in captured.items()]


def _leaf_result(node, g, owned):
    """(leaf, its gradient after the leaf's hooks, whether that gradient's array is owned)."""
    leaf = node.variable
    if leaf._hooks is None:
        return leaf, g, owned
    hooked = _run_hooks(leaf, g)
    return leaf, hooked, owned and hooked is g


def accumulate_grad(t, grad, owned, create_graph):
    """What AccumulateGrad does with the gradient that reached it: add it into t.grad (its leaf's;
    or a wanted non-leaf's, with backward(inputs=...)). A leaf that stopped requiring grad after
    the graph was built keeps its .grad as it is (its hooks have run), as torch's AccumulateGrad."""
    if not t._requires_grad:
        return
    if create_graph:
        if t.grad is None:   # a differentiable copy, unless the array is the leaf's alone
            t.grad = grad if owned else grad.clone()
        else:
            t.grad = t.grad + grad
    elif t.grad is None:
        # .grad is later changed in place (zero_, +=, clipping), so it must own its memory:
        # an array that something else may hold (see _call_backward) is copied.
        t.grad = Tensor._make(grad.array if owned else grad.array.copy())
    else:
        xp.add(t.grad.array, grad.array, out=t.grad.array, casting="unsafe")
        t.grad._version[0] += 1


# ----- the roots ------------------------------------------------------------------------------
def _seed_nodes(roots, plain):
    """The gradients waiting at the roots' nodes (arrays in a plain backward), and which of them
    own their arrays (none: each is the caller's seed)."""
    grads, owned = {}, set()
    sums = set()   # never added to in place: a second root's gradient makes a new sum
    for t, g in roots:
        if plain:
            g = g.array
        if t.grad_fn is not None:
            _add_grad(grads, sums, t.grad_fn, g, plain)
        else:
            _add_leaf_grad(grads, owned, sums, grad_accumulator(t), g, plain, False)
    return grads, owned


def _node_of(t):
    """The node under which a tensor's gradient is collected: its grad_fn, or its AccumulateGrad."""
    return t.grad_fn if t.grad_fn is not None else grad_accumulator(t)


def _seed(tensors, grad_tensors, caller):
    tensors = _as_tuple(tensors)
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    if len(grad_tensors) != len(tensors):
        raise RuntimeError(f"{caller}: got {len(tensors)} tensors but {len(grad_tensors)} gradients")
    roots = []
    for index, (t, g) in enumerate(zip(tensors, grad_tensors)):
        if not t._requires_grad:
            raise RuntimeError(f"{caller}: tensor {index} (shape {t.shape}) does not require grad "
                               "and has no grad_fn; nothing to differentiate")
        array = t.array
        if g is None:
            if array.size != 1:
                raise RuntimeError(
                    f"{caller}: a gradient can be implied only for a scalar output; this output "
                    f"has shape {t.shape}, so pass gradient= (a tensor of shape {t.shape})")
            roots.append((t, Tensor._make(xp.ones(array.shape, array.dtype))))
            continue
        if not isinstance(g, Tensor):
            g = Tensor(g, dtype=t.dtype)
        if g.array.shape != array.shape:
            raise RuntimeError(f"{caller}: the gradient has shape {g.shape} but the output it "
                               f"belongs to has shape {t.shape}")
        if g.array.dtype != array.dtype:
            g = g.to(t.dtype)
        roots.append((t, g))
    return roots


# ----- hooks and anomaly mode ------------------------------------------------------------------
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


def _check_finite(fn, in_grads):
    for index, g in enumerate(in_grads):
        if g is None:
            continue
        array = g.array if isinstance(g, Tensor) else g.values if type(g) is SliceGradient \
            else xp.asarray(g)   # a plain backward's array
        if not xp.all(xp.isfinite(array)):
            name = type(fn).__name__
            raise RuntimeError(f"detect_anomaly: {name}.backward produced NaN or Inf in the "
                               f"gradient of input {index} (shape {array.shape}). The {name} was "
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
