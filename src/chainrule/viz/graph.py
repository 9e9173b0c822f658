"""The graph recorded behind a tensor, drawn: each op's name, output shape and what it saved for
backward; the leaves and parameters it started from; as text (`print(g)`), as SVG or PNG drawn by
matplotlib alone (no graphviz), and inline in a notebook.

Edges point from an input to the op that used it, the way data flows and torchviz draws it: the
leaves are at the top and the output at the bottom. The backward pass walks them the other way
(`grad_fn.next_functions`), which is how this module finds them.
"""
import dataclasses
import io
import pathlib

from matplotlib import rc_context

from chainrule.autograd.function import AccumulateGrad
from chainrule.backend import xp
from chainrule.nn.parameter import Parameter
from chainrule.tensor import Tensor
from chainrule.viz.figure import save_figure
from chainrule.viz.graph_drawing import Box, draw

FORMATS = ("svg", "png")
# SVG text as <text> elements, not outlines: searchable, selectable, and a tenth of the size.
SVG_SETTINGS = {"svg.fonttype": "none"}
# What Function.apply and the engine keep on a node for themselves, not for the op's backward
# formula: the edges, the output's shape and dtype, the version checks, anomaly mode's traceback,
# hooks. `inputs` and `out` are saved values, read first and in that order.
_BOOKKEEPING = {"parents", "shape", "dtype", "versions", "out_version", "inputs", "out",
                "created_at", "retained", "_hooks", "freed"}
# Past this many saved values a line lists the first few and counts the rest (cat of 100 tensors).
_SAVED_SHOWN = 6
# Past this many nodes a drawing is too tall to read (and slow: 300 nodes take ~10 s); the text
# form has no limit.
MAX_DRAWN = 500
# A box's lines stop here (the text form has them whole), so one op cannot widen a whole layer.
_BOX_CHARACTERS = 36


@dataclasses.dataclass
class Node:
    """One node of the drawing.

    kind: "op", "parameter" (an nn.Parameter, or a tensor params names) or "leaf" (another tensor
    that requires grad and was made by no op). name: the op's name (its Function class, without a
    `Function` suffix), or the leaf's name from params ("" when it has none). inputs: for each
    input of the op, the index of the node that made it, or None for an input that needs no
    gradient (data, a constant). saved: what the op kept for its backward when the graph was
    drawn, as shape strings (None if backward had freed it already); `freed` tells whether
    backward has released it since."""
    index: int
    kind: str
    name: str
    shape: tuple
    dtype: str
    inputs: tuple = ()
    saved: tuple = ()
    output: bool = False
    function: object = dataclasses.field(default=None, repr=False, compare=False)

    @property
    def freed(self):
        """True once backward (without retain_graph) has dropped this op's saved values."""
        return self.function is not None and self.function.freed


class Graph:
    """The drawing of one recorded graph: `nodes` in topological order (every input before the op
    that uses it, the output last) and `edges` as (input node, op node, input position).

    It holds the recorded nodes, as the output tensor does, so that it can tell when backward frees
    them; what they saved lives as long as the Graph unless backward frees it."""

    def __init__(self, nodes, note=""):
        self.nodes = nodes
        self.dtype = nodes[-1].dtype   # the output's: other dtypes are named where they occur
        self.edges = [(source, node.index, position) for node in nodes
                      for position, source in enumerate(node.inputs) if source is not None]
        self.note = note

    def text(self):
        """One line per node, in topological order, after a header that names the columns."""
        return "\n".join(_text_lines(self))

    __str__ = text

    def __repr__(self):
        return self.text()

    def figure(self):
        """The drawing as a matplotlib Figure, sized from its layout."""
        if len(self.nodes) > MAX_DRAWN:
            raise ValueError(f"graph: {len(self.nodes)} nodes are too many to draw readably (at most "
                             f"{MAX_DRAWN}); print the Graph for its text form")
        return draw([_box(node, self.dtype) for node in self.nodes], self.edges, self.dtype)

    def save(self, path):
        """Write the drawing to path, as SVG or PNG from its suffix; return the path."""
        path = pathlib.Path(path)
        fmt = path.suffix.lstrip(".").lower()
        if fmt not in FORMATS:
            raise ValueError(f"Graph.save: cannot write {path.name!r}: the suffix must be .svg or "
                             ".png")
        with rc_context(SVG_SETTINGS):
            return save_figure(self.figure(), path)

    def _repr_svg_(self):
        # shown inline by Jupyter when a Graph is a cell's last expression; None (too large to
        # draw) makes Jupyter show the text form instead
        if len(self.nodes) > MAX_DRAWN:
            return None
        buffer = io.StringIO()
        with rc_context(SVG_SETTINGS):
            self.figure().savefig(buffer, format="svg")
        return buffer.getvalue()


def graph(tensor, *, params=None):
    """The Graph recorded behind tensor: the ops that made it, back to the leaves that require
    grad. params (a dict name -> tensor, (name, tensor) pairs such as model.named_parameters(), or
    an nn.Module, whose named_parameters() are used) names the leaves it contains and marks them
    as parameters.

    Drawn before backward, each op shows what it saved; after backward, a Graph drawn earlier
    shows "freed". A graph asked for only after backward has just its output: backward drops the
    edges with the saved values (torch keeps the edges), so draw it first, or pass
    retain_graph=True to backward."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"graph: expected a Tensor, got {type(tensor).__name__}")
    if tensor.grad_fn is None and not tensor.requires_grad:
        raise ValueError("graph: this tensor has no recorded graph: it does not require grad (no "
                         "input of the ops that made it did, or it was made under no_grad or "
                         "detached). Give its leaves requires_grad=True (a Module's parameters "
                         "have it) and compute it again.")
    names = _names(params)
    if tensor.grad_fn is None:     # a leaf: the graph is the tensor itself
        return Graph([_leaf_node(0, tensor, names, output=True)])
    order = _post_order(tensor.grad_fn)
    index = {function: position for position, function in enumerate(order)}
    common = _dtype(tensor.array.dtype)
    nodes = [_node(position, function, index, names, common)
             for position, function in enumerate(order)]
    nodes[-1].output = True
    note = ""
    if tensor.grad_fn.freed:
        note = ("backward has freed this graph, and its edges with it: only the output is left. "
                "Draw the graph before backward, or call backward(retain_graph=True).")
    return Graph(nodes, note)


def _names(params):
    """id(tensor) -> name, from a dict, (name, tensor) pairs (named_parameters() itself) or a
    Module's named_parameters()."""
    if params is None:
        return {}
    if hasattr(params, "named_parameters"):
        params = params.named_parameters()
    try:
        pairs = dict(params)
    except (TypeError, ValueError):
        pairs = None
    if pairs is None or not all(isinstance(t, Tensor) for t in pairs.values()):
        raise TypeError("graph: params must be a dict of name -> tensor, (name, tensor) pairs or "
                        f"an nn.Module, got {type(params).__name__}")
    return {id(t): name for name, t in pairs.items()}


def _post_order(root):
    """The functions behind root, each after every function that made one of its inputs, inputs
    visited in argument order. Iterative: an unrolled recurrence can be deeper than the stack."""
    order, seen = [], {root}
    stack = [(root, iter(_parents(root)))]
    while stack:
        function, parents = stack[-1]
        for parent in parents:
            if parent is not None and parent not in seen:
                seen.add(parent)
                stack.append((parent, iter(_parents(parent))))
                break
        else:
            stack.pop()
            order.append(function)
    return order


def _parents(function):
    return [parent for parent, _ in function.next_functions]


def _node(position, function, index, names, common):
    """The Node of one function: an AccumulateGrad becomes its leaf, anything else an op."""
    if isinstance(function, AccumulateGrad):   # what matters is the leaf behind it
        return _leaf_node(position, function.variable, names)
    return Node(position, "op", _op_name(function), tuple(function.shape), _dtype(function.dtype),
                inputs=tuple(None if p is None else index[p] for p in _parents(function)),
                saved=None if function.freed else tuple(_describe(a, common)
                                                        for a in _saved_arrays(function)),
                function=function)


def _leaf_node(position, tensor, names, output=False):
    # a parameter: an nn.Parameter, or any tensor params names (as torchviz's make_dot colours them)
    kind = "parameter" if isinstance(tensor, Parameter) or id(tensor) in names else "leaf"
    return Node(position, kind, names.get(id(tensor), ""), tuple(tensor.shape),
                _dtype(tensor.array.dtype), output=output)


def _op_name(function):
    # chainrule names an op's class after the layer it serves plus `Function` where both exist
    # (TanhFunction for nn.Tanh); the suffix says nothing in a graph made only of Functions
    name = type(function).__name__
    return name.removesuffix("Function") or name


def _saved_arrays(function):
    """The arrays a function keeps for its backward: its inputs (if it saves them), its output (if
    it saves it), then every array or Tensor forward put on it (masks, indices), in that order."""
    found = [t.array for t in vars(function).get("inputs", ())]
    if "out" in vars(function):
        found.append(function.out)
    for key, value in vars(function).items():
        if key not in _BOOKKEEPING:
            found += _arrays_in(value)
    return found


def _arrays_in(value):
    if isinstance(value, Tensor):
        return [value.array]
    if isinstance(value, xp.ndarray):
        return [value]
    if isinstance(value, (tuple, list)):
        # one level deep: an index tuple holds arrays; deeper nesting is shapes and settings
        return [a for item in value if not isinstance(item, (tuple, list))
                for a in _arrays_in(item)]
    return []


def _dtype(dtype):
    return xp.dtype(dtype).name


def _describe(array, common):
    """'(64, 100)', with the dtype after it when not the common one: '(64,) int64'."""
    text = _shape(array.shape)
    return text if array.dtype.name == common else f"{text} {array.dtype.name}"


def _shape(shape):
    return "(" + ", ".join(str(size) for size in shape) + ("," if len(shape) == 1 else "") + ")"


def _shape_text(node, common):
    """The node's output shape, with its dtype when not the graph's common one."""
    shape = _shape(node.shape)
    return shape if node.dtype == common else f"{shape} {node.dtype}"


def _saved_text(node):
    """'freed', 'nothing' or the saved shapes, the first few when there are many."""
    if node.freed and node.saved != ():   # None: freed before this drawing, what it held unknown
        return "freed"
    if not node.saved:
        return "nothing"
    shown = ", ".join(node.saved[:_SAVED_SHOWN])
    more = len(node.saved) - _SAVED_SHOWN
    return shown + (f", ... ({more} more)" if more > 0 else "")


def _label(node):
    """'MatMul', 'parameter fc1.weight', 'leaf x', 'leaf'."""
    if node.kind == "op":
        return node.name
    return f"{node.kind} {node.name}".rstrip()


def _box(node, common):
    """What a node's box says: its number (as in the text form), name, shape and saved values."""
    if node.kind == "op":
        lines = [f"#{node.index} {node.name}", f"-> {_shape_text(node, common)}",
                 f"saved: {_saved_text(node)}"]
    else:
        lines = [f"#{node.index} {node.name or node.kind}", _shape_text(node, common)]
    lines = [line if len(line) <= _BOX_CHARACTERS else line[:_BOX_CHARACTERS - 3] + "..."
             for line in lines]
    return Box(lines, "output" if node.output else node.kind, node.freed, max(len(node.inputs), 1))


def _text_lines(graph):
    nodes, common = graph.nodes, graph.dtype
    counts = {kind: sum(1 for n in nodes if n.kind == kind) for kind in ("op", "parameter", "leaf")}
    lines = [(f"graph of a tensor of shape {_shape(nodes[-1].shape)}, {common}: "
              f"{_count(len(nodes), 'node')} ({_count(counts['op'], 'op')}, "
              f"{_count(counts['parameter'], 'parameter')}, "
              f"{_count(counts['leaf'], 'other leaf', 'other leaves')})"),
             (f"columns: node, op or leaf, output shape (dtype if not {common}), what it saved for "
              "backward, inputs (the nodes that made them; - needs no gradient)")]
    width = len(str(len(nodes) - 1))
    name_width = max(len(_label(n)) for n in nodes)
    shape_width = max(len(_shape_text(n, common)) for n in nodes)
    saved_width = max([len(_saved_text(n)) for n in nodes if n.kind == "op"], default=0)
    for node in nodes:
        arrow = "->" if node.kind == "op" else "  "
        line = (f"  {node.index:>{width}} {_label(node):<{name_width}}  {arrow} "
                f"{_shape_text(node, common):<{shape_width}}")
        if node.kind == "op":
            inputs = ", ".join("-" if i is None else str(i) for i in node.inputs) or "(freed)"
            line += f"  saved: {_saved_text(node):<{saved_width}}  inputs: {inputs}"
        if node.output:
            line += "  [output]"
        lines.append(line.rstrip())
    if graph.note:
        lines.append(graph.note)
    return lines


def _count(number, singular, plural=None):
    return f"{number} {singular if number == 1 else plural or singular + 's'}"
