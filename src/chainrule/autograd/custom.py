"""Functions written as in PyTorch: `forward(ctx, *args)` and `backward(ctx, *grads)` staticmethods
on Tensors, called through `MyFunction.apply(...)` (or torch 2's forward without ctx plus
`setup_context(ctx, inputs, output)`).

chainrule's own ops keep their array-style Function.apply (the hot path of every op): a class is
recognised as PyTorch-style once, when it is defined (Function.__init_subclass__), and only then
gets this module's `apply`. The node recorded in the graph is also the `ctx` forward saw, as in
PyTorch: one class per Function, shown as `<MyFunctionBackward>`.
"""
import inspect
import traceback

from chainrule.autograd.function import Function, grad_accumulator, type_name
from chainrule.grad_mode import no_grad, state
from chainrule.backend import xp
from chainrule.tensor import Tensor, share_memory


class FunctionCtx:
    """What forward (or setup_context) may tell backward; any other attribute may be set too."""

    to_save = ()
    dirty_tensors = ()
    non_differentiable = ()
    materialize_grads = True

    def save_for_backward(self, *tensors):
        """Keep tensors (inputs, outputs or None) for backward; read them back as saved_tensors."""
        for index, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward can only save tensors, but argument {index} "
                                f"is of type {type_name(t)}")
        self.to_save = tensors

    def mark_dirty(self, *tensors):
        """Declare the inputs that forward changed in place (and returns as outputs)."""
        self.dirty_tensors = tensors

    def mark_non_differentiable(self, *tensors):
        """Declare outputs that get no gradient (indices, masks): backward receives zeros for them."""
        self.non_differentiable = tensors

    def set_materialize_grads(self, value):
        """False: backward receives None, not zeros, for an output that got no gradient."""
        self.materialize_grads = bool(value)


class CustomNode(FunctionCtx, Function):
    """The ctx of one call and its node in the graph; subclassed once per PyTorch-style Function."""

    save_inputs = False          # saved tensors are checked when backward reads them
    needs_input_grad = ()        # an attribute here (Function's is a property over parents)
    _forward_cls = None
    _saved = None
    slots = None                 # gradients of each output, when there are several

    @property
    def saved_tensors(self):
        if self._saved is None:   # read inside forward or setup_context
            return tuple(self.to_save)
        for index, (t, version) in enumerate(self._saved):
            if t is not None and t._version[0] != version:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by "
                    f"an inplace operation: saved tensor {index} of {self.name()} (shape "
                    f"{list(t.shape)}, {t.dtype}) is at version {t._version[0]}; expected version "
                    f"{version} instead. Clone it before changing it, or change it after backward")
        return tuple(t for t, _ in self._saved)

    saved_variables = saved_tensors   # the old name

    def name(self):
        return f"{type(self).__name__}Backward"

    def __repr__(self):
        return f"<{self.name()}>"

    def backward(self, grad):
        """Gather one gradient per forward output, call the user's backward, check its result."""
        cls = self._forward_cls
        user_backward = cls._user_backward
        if user_backward is None:
            raise NotImplementedError(
                f"{cls.__name__}: you must implement either the backward or vjp method for your "
                "custom autograd.Function to use it with backward mode AD")
        grads = self._gather(grad)
        return self._checked(user_backward(self, *grads))

    def _gather(self, grad):
        if self.slots is None:
            grads = [None] * len(self.outputs_meta)
            grads[self.out_index] = grad
        else:
            grads, self.slots = self.slots, [None] * len(self.slots)
        if self.materialize_grads:
            for index, meta in enumerate(self.outputs_meta):
                if grads[index] is None and meta is not None:
                    grads[index] = Tensor._make(xp.zeros(*meta))
        return grads

    def _checked(self, result):
        """One gradient per forward input, each None or a Tensor of its input's shape."""
        if not isinstance(result, tuple):
            result = (result,)
        expected = len(self.parents)
        if len(result) > expected and all(g is None for g in result[expected:]):
            result = result[:expected]   # trailing Nones are allowed, as in PyTorch
        if len(result) != expected:
            raise RuntimeError(f"function {self.name()} returned an incorrect number of gradients "
                               f"(expected {expected}, got {len(result)})")
        return tuple([self._checked_one(index, g) for index, g in enumerate(result)])

    def _checked_one(self, index, g):
        if g is None:
            return None
        shape = self.input_shapes[index]
        if shape is None:
            raise RuntimeError(f"function {self.name()} returned a gradient different than None "
                               f"at position {index + 1}, but the corresponding forward input "
                               f"was not a Tensor (it is {self.input_types[index]})")
        if not isinstance(g, Tensor):
            raise RuntimeError(f"function {self.name()} returned a {type_name(g)} as the gradient "
                               f"of input {index}: expected a Tensor or None")
        if self.parents[index] is None:    # this input does not want a gradient: dropped
            return None
        if g.array.shape != shape:
            if not _expandable(shape, g.array.shape):
                raise RuntimeError(
                    f"Function {self.name()} returned an invalid gradient at index {index} - got "
                    f"{list(g.shape)} but expected shape compatible with {list(shape)}")
            g = g.sum_to_size(shape)   # a Tensor method, bound by the ops (a layer above)
        if not state.enabled:
            # the user's backward may return a tensor it keeps (a constant, a saved value): a
            # view tells the engine the array is not its own, so .grad gets a copy, never it
            return g.array.view()
        return g


class OutputNode(Function):
    """The grad_fn of one output of a Function with several: it hands its gradient to the node."""

    save_inputs = False

    def backward(self, grad):
        node = self.parents[0]
        old = node.slots[self.index]
        node.slots[self.index] = grad if old is None else old + grad
        # the node itself then runs once, after every output's gradient has arrived
        return Tensor._make(xp.zeros((), node.dtype))

    def __getattr__(self, name):
        # torch gives every output the same grad_fn, the ctx: its attributes read through
        node = self.__dict__.get("node")
        if node is None or name.startswith("__"):
            raise AttributeError(f"{type(self).__name__}Backward has no attribute {name!r}")
        return getattr(node, name)

    def __repr__(self):
        return f"<{type(self).__name__}Backward>"


def install(cls):
    """Make cls a PyTorch-style Function: its own node classes and the Tensor-level apply."""
    names = {"__module__": cls.__module__, "__qualname__": f"{cls.__qualname__}Backward"}
    # named like the Function, so that a tensor prints grad_fn=<MyFunctionBackward>, as in torch
    cls._node_class = type(cls.__name__, (CustomNode,), dict(names, _forward_cls=cls))
    cls._output_class = type(cls.__name__, (OutputNode,), dict(names))
    cls._setup_context = inspect.getattr_static(cls, "setup_context", None) is not None
    # torch 2 style binds apply's arguments to forward's signature: read it once, not per call
    cls._forward_signature = inspect.signature(cls.forward) if cls._setup_context else None
    backward = inspect.getattr_static(cls, "backward", None)
    vjp = inspect.getattr_static(cls, "vjp", None)
    if backward is not None and vjp is not None:
        raise TypeError(f"{cls.__name__}: implementing both 'backward' and 'vjp' for a custom "
                        "Function is not allowed; 'vjp' is an alias of 'backward'")
    cls._user_backward = staticmethod(_unwrap(backward if vjp is None else vjp))
    cls.apply = classmethod(apply)
    cls.__call__ = _refuse_instance_call


def _unwrap(method):
    if method is None:
        return None
    return method.__func__ if isinstance(method, (staticmethod, classmethod)) else method


def _refuse_instance_call(self, *args, **kwargs):
    name = type(self).__name__
    raise RuntimeError(f"{name} is a custom autograd.Function: call {name}.apply(...) on the "
                       "class, not on an instance (its methods are all static)")


def apply(cls, *args, **kwargs):
    """Run forward under no_grad on the Tensors themselves; record one node for backward."""
    node = _new(cls._node_class)
    if cls._setup_context:   # torch 2 style: inputs are the arguments bound to forward's signature
        try:
            bound = cls._forward_signature.bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{cls.__name__}.apply: {error}") from None
        bound.apply_defaults()
        inputs = args = bound.args
        kwargs = {}
    else:
        inputs = args + tuple(kwargs.values())
    record = state.enabled and any(isinstance(a, Tensor) and a._requires_grad for a in inputs)
    node.needs_input_grad = tuple([record and isinstance(a, Tensor) and a._requires_grad
                                   for a in inputs])
    if record:   # taken before forward: a dirty input is about to get this node as its grad_fn
        node.parents = tuple([_edge(a) for a in inputs])
        node.input_shapes = tuple([a.array.shape if isinstance(a, Tensor) else None
                                   for a in inputs])
        node.input_types = tuple([type_name(a) for a in inputs])
    with no_grad():
        if cls._setup_context:
            output = cls.forward(*args)
            cls.setup_context(node, inputs, output)
        else:
            output = cls.forward(node, *args, **kwargs)
    return _wrap_outputs(cls, node, inputs, output, record)


def _edge(a):
    """The parent for one argument: the node that made it, a leaf's AccumulateGrad, or None."""
    if not isinstance(a, Tensor) or not a._requires_grad:
        return None
    return a.grad_fn or grad_accumulator(a)


def _wrap_outputs(cls, node, inputs, output, record):
    """The outputs as apply returns them, connected to node when recording."""
    is_tuple = isinstance(output, tuple)
    outputs = list(output) if is_tuple else [output]
    dirty = {id(t) for t in node.dirty_tensors}
    input_ids = {id(a) for a in inputs if isinstance(a, Tensor)}
    for index, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            continue
        if id(out) in dirty:
            if record and out._requires_grad and out.grad_fn is None:
                raise RuntimeError(f"{cls.__name__}: a leaf Variable that requires grad (shape "
                                   f"{list(out.shape)}) has been used in an in-place operation "
                                   "(mark_dirty); clone it before passing it in")
        elif id(out) in input_ids:   # an input returned as it is: a new tensor on its memory
            outputs[index] = _alias(out)
    if record:
        _connect(cls, node, outputs)
        if state.anomaly:   # where it was made, for detect_anomaly's report
            node.created_at = traceback.extract_stack()[:-2]
    return tuple(outputs) if is_tuple else outputs[0]


def _alias(t):
    alias = Tensor._make(t.array)
    share_memory(t, alias)
    return alias


def _connect(cls, node, outputs):
    non_differentiable = {id(t) for t in node.non_differentiable}
    node.outputs_meta = [(out.array.shape, out.array.dtype) if isinstance(out, Tensor) else None
                         for out in outputs]
    connected = []
    for index, out in enumerate(outputs):
        if not isinstance(out, Tensor):
            continue
        if id(out) in non_differentiable or out.array.dtype.kind not in "fc":
            out.grad_fn, out._requires_grad = None, False
        else:
            connected.append(index)
    if len(connected) == 1:
        node.out_index = connected[0]
        out = outputs[connected[0]]
        node.shape, node.dtype = out.array.shape, out.array.dtype
        out.grad_fn, out._requires_grad = node, True
    elif connected:
        node.slots = [None] * len(outputs)
        node.shape, node.dtype = (), outputs[connected[0]].array.dtype
        for index in connected:
            out = outputs[index]
            proxy = _new(cls._output_class)
            proxy.parents, proxy.index, proxy.node = (node,), index, node
            proxy.shape, proxy.dtype = out.array.shape, out.array.dtype
            out.grad_fn, out._requires_grad = proxy, True
    # versions taken now, after forward's own in-place changes (mark_dirty), as in torch
    node._saved = [(t, None if t is None else t._version[0]) for t in node.to_save]


def _expandable(shape, grad_shape):
    """True if an input of `shape` broadcasts to grad_shape (its gradient is then summed to it)."""
    if len(shape) > len(grad_shape):
        return False
    return all(n == 1 or n == m for n, m in zip(shape[::-1], grad_shape[::-1]))


_new = object.__new__
