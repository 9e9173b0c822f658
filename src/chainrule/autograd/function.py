"""Function: one differentiable operation. `forward` computes on arrays; `backward` is written once,
with operators that run on the arrays in a plain backward and on Tensors under create_graph=True,
so that the gradient it returns can itself be differentiated (Function.operands gives the one or
the other; a backward written with Tensor ops only works too, at a Function per term).

Each recorded call is a node of the graph; its `parents` are the nodes that made its inputs: another
Function, the AccumulateGrad of a leaf that requires grad, or None (no gradient wanted)."""
import functools
import inspect
import operator
import traceback
import weakref

from chainrule.grad_mode import no_grad, state
from chainrule.tensor import Tensor, share_memory


class Function:
    """Subclass, write `forward(self, *arrays, **params) -> array` and
    `backward(self, grad) -> one gradient Tensor (or None) per input`.

    forward may keep what backward needs on `self` (shapes, masks). backward reads the inputs as
    Tensors from `self.inputs` (kept only if `save_inputs`) and the output from `self.output()`
    (kept only if `save_output`). `self.needs_input_grad[i]` says which gradients are wanted.

    PyTorch's convention works too: `forward(ctx, *args)` and `backward(ctx, *grads)` as
    staticmethods on Tensors (or torch 2's `forward(*args)` plus `setup_context(ctx, inputs,
    output)`), called as `MyFunction.apply(...)`; see autograd/custom.py.
    """

    save_inputs = True    # backward reads the inputs' values: keep them and check their versions
    save_output = False   # backward reads the output's value (exp, sigmoid, tanh ...)
    is_view = False       # the output shares memory with input 0, so it shares its version counter
    freed = False         # set once backward has run without retain_graph
    _hooks = None         # hooks registered on the output tensor (Tensor.register_hook)
    retained = None       # weak reference to the output tensor if it called retain_grad()

    def __init_subclass__(cls, **kwargs):
        # Decided once per class, never per call: a PyTorch-style Function (forward(ctx, ...)
        # as a staticmethod) gets the Tensor-level apply of autograd/custom.py.
        super().__init_subclass__(**kwargs)
        if is_torch_style(cls):
            from chainrule.autograd.custom import install   # custom.py builds on Function
            install(cls)

    @classmethod
    def apply(cls, *inputs, **params):
        # The hot path of every op: plain loops and attribute reads, no generators and no list
        # comprehensions (each is a function call of its own in Python 3.11).
        fn = _new(cls)
        try:
            arrays = tuple(map(_array_of, inputs))
        except AttributeError:   # costs nothing until it happens: explained only then
            # named as the user called it: ReLUFunction (ops/__init__'s naming rule) is relu
            _refuse_non_tensors(cls.__name__.removesuffix("Function").lower(), inputs)
            raise
        out = fn.forward(*arrays, **params)
        record = False
        if state.enabled:
            for t in inputs:
                if t._requires_grad:   # the slot behind Tensor.requires_grad, read directly
                    record = True
                    break
        if not record or out.dtype.kind not in "fc":   # integer and bool results: no gradient
            result = Tensor._make(out)
            if cls.is_view:
                share_memory(inputs[0], result)
            return result
        # The edges the backward pass walks: for each input, the node that made it, the
        # AccumulateGrad node of a leaf that wants a gradient, or None.
        parents, versions = [], []
        for t in inputs:
            node = t.grad_fn
            if node is None and t._requires_grad:
                node = grad_accumulator(t)
            parents.append(node)
            versions.append(t._version[0])
        fn.parents = tuple(parents)
        result = Tensor._make(out, fn)
        fn.shape = result.array.shape
        fn.dtype = result.array.dtype
        if cls.save_inputs:
            fn.inputs = inputs
            fn.versions = versions
        if cls.is_view:
            share_memory(inputs[0], result)
        if cls.save_output:
            fn.out = result.array
            fn.out_version = (result._version, result._version[0])
        if state.anomaly:
            fn.created_at = traceback.extract_stack()[:-2]
        return result

    @property
    def needs_input_grad(self):
        return tuple([parent is not None for parent in self.parents])   # a list: no generator

    @property
    def next_functions(self):
        """The edges as torch shows them: ((node, 0), ...), a leaf's node being its AccumulateGrad
        and an input that wants no gradient (None, 0). Empty once the node is freed."""
        return tuple([(parent, 0) for parent in getattr(self, "parents", ())])

    def operands(self, grad):
        """(grad, inputs, recording): the operands of a backward written once for two kinds.

        In a plain backward (create_graph=False, nothing recorded) they are the arrays, so the
        formula's products cost no Function and no Tensor each; under create_graph=True they are
        the Tensors, so the gradient's own graph is recorded. A formula written with operators,
        `@`, slicing, `.T`/`.mT` and `.reshape` runs on both; where the two APIs differ (`.sum`'s
        axis/dim, ufuncs against ops), branch on `recording`. backward may return arrays or
        Tensors: the engine carries arrays in a plain backward, Tensors otherwise."""
        # (a Function that keeps no inputs, save_inputs = False, gets an empty list of them)
        if state.enabled:
            return grad, self.inputs if self.save_inputs else (), True
        return grad.array, [t.array for t in self.inputs] if self.save_inputs else (), False

    def output(self):
        """The output as a Tensor in this graph, so backward formulas that use it stay differentiable."""
        return Tensor._make(self.out, self)

    def check_versions(self):
        """Raise if a value that backward needs was changed in place after forward saved it."""
        # Runs once per node per backward: one comparison per saved input when nothing changed
        # (the usual case); the loop that finds and names the culprit runs only when one did.
        if self.save_inputs:
            for t, version in zip(self.inputs, self.versions):
                if t._version[0] != version:
                    self._refuse_changed_input()
        if self.save_output:
            counter, version = self.out_version
            if counter[0] != version:
                name = type(self).__name__
                raise RuntimeError(
                    f"{name}.backward: its output (shape {self.shape}) was modified in place after "
                    f"{name} saved it (version {version} -> {counter[0]}); clone it before changing it")

    def _refuse_changed_input(self):
        name = type(self).__name__
        for index, (t, version) in enumerate(zip(self.inputs, self.versions)):
            if t._version[0] != version:
                raise RuntimeError(
                    f"{name}.backward: input {index} (shape {t.shape}, {t.dtype}) was modified "
                    f"in place after {name} saved it (version {version} -> {t._version[0]}); "
                    "clone it before changing it, or change it after backward")

    def free(self):
        """Drop saved values and edges once backward has run (unless retain_graph)."""
        # kept: the tensor still retains its grad (as in PyTorch), and the engine still checks
        # the shape of a gradient sent here before it reports the second backward
        retained, shape, dtype = self.retained, self.shape, self.dtype
        self.__dict__.clear()
        self.freed = True
        self.retained, self.shape, self.dtype = retained, shape, dtype

    def __repr__(self):
        return f"<{type(self).__name__}>"


_new = object.__new__
_array_of = operator.attrgetter("array")


def is_torch_style(cls):
    """True for PyTorch's convention: forward(ctx, *args) as a staticmethod, torch 2's forward
    without ctx plus setup_context(ctx, inputs, output), or forward(ctx, ...) left unmarked
    (which torch also accepts). chainrule's ops write forward(self, *arrays)."""
    forward = inspect.getattr_static(cls, "forward", None)
    if forward is None:
        return False
    if isinstance(forward, staticmethod):
        return True
    if inspect.getattr_static(cls, "setup_context", None) is not None:
        return True
    if inspect.isfunction(forward):
        parameters = list(inspect.signature(forward).parameters)
        return bool(parameters) and parameters[0] == "ctx"
    return False


class AccumulateGrad(Function):
    """The node of a leaf that requires grad, as PyTorch's: the edge every op using the leaf points
    to. The engine sums the gradients that reach it and, after the leaf's hooks, adds them into
    `variable.grad` (engine.accumulate_grad) or hands them to autograd.grad.

    One per leaf, shared by all the graphs that use it (grad_accumulator). References run one way,
    as in torch: a graph holds this node, the node holds its leaf, the leaf holds the node only
    weakly; so no array lives in a reference cycle, and a dropped graph (with a leaf no one else
    holds) is freed at once by reference counting, not by a later cycle collection.
    """

    save_inputs = False
    parents = ()      # nothing upstream: a leaf is where the backward pass ends

    # the leaf's shape and dtype as they are when the gradient arrives (`.data =` may change them)
    @property
    def shape(self):
        return self.variable.array.shape

    @property
    def dtype(self):
        return self.variable.array.dtype

    def free(self):
        """Nothing saved to drop; the edge to the leaf stays, as in torch."""


def grad_accumulator(leaf):
    """The AccumulateGrad of a leaf that requires grad: the one its live graphs share, or a new one.
    The leaf keeps only a weak reference to it, which dies with the last graph using it."""
    try:
        node = leaf._grad_accumulator()
    except AttributeError:   # never asked before: the slot is set only here (Tensor._make stays lean)
        node = None
    if node is None or node.variable is not leaf:   # not: a reference copy.copy() shared
        node = _new(AccumulateGrad)
        node.variable = leaf
        leaf._grad_accumulator = _WeakAccumulator(node)
    return node


class _WeakAccumulator(weakref.ref):
    """A leaf's weak reference to its AccumulateGrad. A deep-copied or unpickled tensor is another
    leaf: the reference copies as a dead one (a plain weakref could not be pickled at all)."""

    __slots__ = ()

    def __reduce__(self):
        return _dead_accumulator_reference, ()


def _dead_accumulator_reference():
    return _WeakAccumulator(_new(AccumulateGrad))   # the node dies as this returns


class NotATensorError(TypeError):
    """An op or a layer was given something else (an array, a list, a number) for a Tensor."""


def type_name(value):
    """'numpy.ndarray', 'list': the type as a user would write it."""
    kind = type(value)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


def not_a_tensor_message(name, position, value, what="argument"):
    return (f"{name}: expected a Tensor as {what} {position}, got {type_name(value)} "
            "(use chainrule.tensor(x), or chainrule.from_numpy(x) to share a NumPy array's memory)")


def _refuse_non_tensors(name, inputs):
    for position, value in enumerate(inputs):
        if not isinstance(value, Tensor):
            raise NotATensorError(not_a_tensor_message(name, position, value)) from None


class DelayedError(Function):
    """Stands for a gradient that must not be differentiated again (once_differentiable)."""

    save_inputs = False

    def forward(self, grad, name):
        self.name = name
        return grad

    def backward(self, grad):
        raise RuntimeError(f"trying to differentiate twice a function that was marked with "
                           f"@once_differentiable ({self.name})")


def once_differentiable(fn):
    """Decorate a backward whose formula is not differentiable: it runs under no_grad, and
    differentiating its result again (create_graph=True) raises, as in PyTorch."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        with no_grad():
            outputs = fn(ctx, *args)
        if not state.enabled:
            return outputs
        if not any(isinstance(a, Tensor) and a.requires_grad for a in args):
            return outputs
        name = ctx.name() if hasattr(ctx, "name") else type(ctx).__name__
        if not isinstance(outputs, tuple):
            return _delayed_error(outputs, name)
        return tuple([_delayed_error(g, name) for g in outputs])
    return wrapper


def _delayed_error(g, name):
    if not isinstance(g, Tensor) or g.array.dtype.kind not in "fc":
        return g
    leaf = Tensor._make(g.array)
    leaf._requires_grad = True
    return DelayedError.apply(leaf, name=name)


# PyTorch's name in torch.autograd.function (the porting hook maps that module to this one)
from chainrule.autograd.custom import FunctionCtx  # noqa: E402,F401
