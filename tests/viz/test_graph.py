"""chainrule.viz.graph: the recorded graph's nodes (names, shapes, saved values, leaves and
parameters) against what was computed and against torch's grad_fn chain; its text, SVG and PNG; what
backward frees; the layout's promises; the refusals."""
import itertools
import re
from xml.etree import ElementTree

import matplotlib.image
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule import nn
from chainrule.viz import Graph, graph
from chainrule.viz.graph_layout import GAP, layered

# chainrule's op name -> torch's grad_fn name for the ops where both record one node
TORCH_NAMES = {"MatMul": "MmBackward0", "Tanh": "TanhBackward0", "Add": "AddBackward0",
               "Sum": "SumBackward0", "Mul": "MulBackward0", "Exp": "ExpBackward0",
               "leaf": "AccumulateGrad"}


def _expression(module):
    """((a @ b).tanh() * c + (a @ b).exp()).sum() in chainrule or torch, from the same numbers."""
    module.manual_seed(0)
    a = module.randn(3, 4, requires_grad=True)
    b = module.randn(4, 2, requires_grad=True)
    c = module.randn(3, 2, requires_grad=True)
    ab = a @ b
    return (ab.tanh() * c + ab.exp()).sum()


def _torch_post_order(root):
    """torch's nodes in graph()'s order: each after its inputs, inputs in argument order."""
    order, seen = [], set()

    def visit(fn):   # a small graph: recursion is fine here
        seen.add(fn)
        for parent, _ in fn.next_functions:
            if parent is not None and parent not in seen:
                visit(parent)
        order.append(type(fn).__name__)
    visit(root)
    return order


def test_the_nodes_match_torchs_grad_fn_chain():
    g = graph(_expression(cr))
    ours = [node.name if node.kind == "op" else node.kind for node in g.nodes]
    assert ours == ["leaf", "leaf", "MatMul", "Tanh", "leaf", "Mul", "Exp", "Add", "Sum"]
    assert [TORCH_NAMES[name] for name in ours] == _torch_post_order(_expression(torch).grad_fn)


@pytest.mark.parametrize("name, shape, saved, inputs", [
    ("MatMul", (3, 2), ("(3, 4)", "(4, 2)"), (0, 1)),
    ("Tanh", (3, 2), ("(3, 2)",), (2,)),           # tanh' = 1 - y²: it saves its output
    ("Mul", (3, 2), ("(3, 2)", "(3, 2)"), (3, 4)),
    ("Exp", (3, 2), ("(3, 2)",), (2,)),            # MatMul's output used twice: one node
    ("Add", (3, 2), (), (5, 6)),                   # d(x + y) needs no value
    ("Sum", (), (), (7,)),
])
def test_each_op_shows_its_shape_what_it_saved_and_its_inputs(name, shape, saved, inputs):
    node = next(n for n in graph(_expression(cr)).nodes if n.name == name)
    assert (node.shape, node.saved, node.inputs) == (shape, saved, inputs)


def test_the_text_has_one_line_per_node_in_topological_order():
    lines = graph(_expression(cr)).text().splitlines()
    assert lines[0] == ("graph of a tensor of shape (), float32: 9 nodes (6 ops, 0 parameters, "
                        "3 other leaves)")
    assert lines[1].startswith("columns: node, op or leaf, output shape")
    assert re.fullmatch(r"\s+2 MatMul\s+-> \(3, 2\)\s+saved: \(3, 4\), \(4, 2\)\s+inputs: 0, 1",
                        lines[4])
    assert re.fullmatch(r"\s+7 Add\s+-> \(3, 2\)\s+saved: nothing\s+inputs: 5, 6", lines[9])
    assert lines[-1].endswith("inputs: 7  [output]") and len(lines) == 11
    assert str(graph(_expression(cr))) == "\n".join(lines)


def test_parameters_are_named_from_a_module_and_data_needs_no_gradient():
    cr.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 3))
    loss = F.cross_entropy(model(cr.randn(5, 4)), cr.tensor([0, 1, 2, 0, 1]))
    g = graph(loss, params=model)
    parameters = [(n.name, n.shape) for n in g.nodes if n.kind == "parameter"]
    assert parameters == [("0.weight", (8, 4)), ("0.bias", (8,)), ("2.weight", (3, 8)),
                          ("2.bias", (3,))]
    first = next(n for n in g.nodes if n.name == "Linear")
    assert first.inputs == (None, 0, 1)             # x is data: no node, "-" in the text
    assert "inputs: -, 0, 1" in g.text() and "parameter 2.bias" in g.text()
    assert g.nodes[-1].output and [n.output for n in g.nodes].count(True) == 1
    pairs = graph(loss, params=model.named_parameters())
    assert [n.name for n in pairs.nodes] == [n.name for n in g.nodes]
    fused = next(n for n in g.nodes if n.name == "CrossEntropy")
    assert "(5,) int64" in fused.saved              # the targets it picks with: not float32


def test_a_dict_names_parameters_and_other_dtypes_are_named_where_they_occur():
    w = nn.Parameter(cr.randn(3, 3))
    x = cr.randn(3, requires_grad=True)
    v = cr.randn(3, requires_grad=True)
    g = graph((w @ x + v).double().sum(), params={"x": x})
    assert [(n.kind, n.name) for n in g.nodes if n.kind != "op"] == [
        ("parameter", ""), ("parameter", "x"), ("leaf", "")]
    assert g.text().startswith("graph of a tensor of shape (), float64:")
    assert re.search(r"MatMul\s+-> \(3,\) float32\s+saved: \(3, 3\) float32, \(3,\) float32",
                     g.text())
    assert re.search(r"Sum\s+-> \(\)\s+saved", g.text())   # float64, as the output: not named


def test_a_leaf_is_a_graph_of_one_node_and_a_shared_input_one_node():
    x = cr.randn(4, requires_grad=True)
    alone = graph(x)
    assert [(n.kind, n.name, n.output) for n in alone.nodes] == [("leaf", "", True)]
    square = graph(x * x)
    assert len(square.nodes) == 2 and square.nodes[1].inputs == (0, 0)
    assert square.edges == [(0, 1, 0), (0, 1, 1)]


def test_backward_frees_what_the_ops_saved_and_their_edges():
    loss = _expression(cr)
    before = graph(loss)
    loss.backward()
    freed = {n.name: (n.freed, re.search(r"saved: (\w+)", line).group(1))
             for n, line in zip(before.nodes, before.text().splitlines()[2:]) if n.kind == "op"}
    assert freed["MatMul"] == (True, "freed") and freed["Tanh"] == (True, "freed")
    assert freed["Add"] == (True, "nothing")        # it had nothing to free
    after = graph(loss)
    assert len(after.nodes) == 1 and after.nodes[0].freed
    assert "saved: freed" in after.text() and "retain_graph=True" in after.text()


def test_retain_graph_keeps_them():
    loss = _expression(cr)
    loss.backward(retain_graph=True)
    g = graph(loss)
    assert len(g.nodes) == 9 and not any(n.freed for n in g.nodes)


def test_the_svg_is_xml_with_the_op_names_as_text():
    svg = graph(_expression(cr))._repr_svg_()
    root = ElementTree.fromstring(svg)
    texts = " ".join(element.text or "" for element in root.iter("{http://www.w3.org/2000/svg}text"))
    for name in ("MatMul", "Tanh", "Mul", "Exp", "Add", "Sum", "saved: (3, 4), (4, 2)", "output"):
        assert name in texts


def test_save_writes_svg_and_png_sized_from_the_layout(tmp_path):
    small = graph(_expression(cr)).save(tmp_path / "small.png")
    graph(_expression(cr)).save(tmp_path / "small.svg")
    ElementTree.parse(tmp_path / "small.svg")
    assert small.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    deep = graph(_recurrence(steps=6)).save(tmp_path / "deep.png")
    small_height, deep_height = (matplotlib.image.imread(p).shape[0] for p in (small, deep))
    assert deep_height > 2 * small_height


def _recurrence(steps):
    """A recurrent net unrolled by hand: h = tanh(x_t W_xh + h W_hh + b), then a squared error."""
    cr.manual_seed(0)
    w_xh, w_hh = nn.Parameter(cr.randn(3, 16)), nn.Parameter(cr.randn(16, 16))
    b, w_out = nn.Parameter(cr.zeros(16)), nn.Parameter(cr.randn(16, 1))
    xs, h = cr.randn(steps, 8, 3), cr.zeros(8, 16)
    for t in range(steps):
        h = (xs[t] @ w_xh + h @ w_hh + b).tanh()
    return ((h @ w_out).squeeze(1) - cr.randn(8)).pow(2).mean()


def test_the_layout_keeps_boxes_apart_and_edges_downward():
    g = graph(_recurrence(steps=8))
    assert 40 <= len(g.nodes) <= 60
    widths = [1.0 + 0.1 * (i % 3) for i in range(len(g.nodes))]
    layout = layered(widths, [(s, t) for s, t, _ in g.edges])
    for source, target, _ in g.edges:
        assert layout.layer[source] < layout.layer[target]
    for row in range(layout.layers):
        placed = sorted((layout.x[i], widths[i]) for i in range(len(widths))
                        if layout.layer[i] == row)
        for (x0, w0), (x1, w1) in itertools.pairwise(placed):
            assert x1 - x0 >= (w0 + w1) / 2 + GAP - 1e-9


def test_a_long_chain_needs_no_deep_recursion():
    x = cr.randn(2, requires_grad=True)
    y = x
    for _ in range(5000):   # deeper than Python's default recursion limit
        y = y + 1
    g = graph(y)
    assert len(g.nodes) == 5001 and g.nodes[-1].inputs == (4999, None)
    assert g._repr_svg_() is None     # too large to draw: a notebook shows the text instead
    with pytest.raises(ValueError, match="5001 nodes are too many to draw"):
        g.save("chain.svg")


@pytest.mark.parametrize("make, error, message", [
    (lambda: graph([1.0, 2.0]), TypeError, "expected a Tensor, got list"),
    (lambda: graph(cr.randn(3) * 2), ValueError, "no recorded graph"),
    (lambda: graph(cr.randn(3, requires_grad=True).detach()), ValueError, "no recorded graph"),
    (lambda: graph(cr.randn(3, requires_grad=True), params=[1]), TypeError, "params must be"),
    (lambda: graph(cr.randn(3, requires_grad=True), params={"w": 1.0}), TypeError,
     "params must be"),
    (lambda: graph(cr.randn(3, requires_grad=True)).save("graph.jpg"), ValueError,
     "must be .svg or .png"),
])
def test_refusals(make, error, message):
    with pytest.raises(error, match=re.escape(message)):
        make()


def test_no_grad_results_are_refused():
    x = cr.randn(3, requires_grad=True)
    with cr.no_grad():
        y = x * 2
    with pytest.raises(ValueError, match="no_grad"):
        graph(y)
    assert isinstance(graph(x * 2), Graph)
