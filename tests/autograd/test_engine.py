"""The backward engine: accumulation, graph freeing, hooks, grad modes, versions, anomalies."""
import sys

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd import Function


def leaf(values, dtype=cr.float64):
    return cr.tensor(values, dtype=dtype, requires_grad=True)


def test_gradients_accumulate_into_leaves_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * x).backward(cr.ones(2, dtype=cr.float64))
    (x * 3).backward(cr.ones(2, dtype=cr.float64))
    np.testing.assert_allclose(x.grad.numpy(), [2 + 3, 4 + 3])
    x.grad = None
    (x * 3).backward(cr.ones(2, dtype=cr.float64))
    np.testing.assert_allclose(x.grad.numpy(), [3, 3])


def test_a_diamond_graph_sums_both_paths_as_torch_does():
    def f(L, x, w):
        h = x * w
        return (h * h + h / w - x * 2.5) * (h + 1)
    ours, theirs = leaf([0.5, -1.5, 2.0]), torch.tensor([0.5, -1.5, 2.0], requires_grad=True,
                                                        dtype=torch.float64)
    w, tw = leaf([1.5, 0.5, -2.0]), torch.tensor([1.5, 0.5, -2.0], requires_grad=True,
                                                 dtype=torch.float64)
    f(cr, ours, w).backward(cr.tensor([1.0, -2.0, 0.5], dtype=cr.float64))
    f(torch, theirs, tw).backward(torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)


def test_a_100000_op_chain_runs_without_recursion():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y * 1.0 + 0.0
    assert sys.getrecursionlimit() < 200_000
    y.backward(cr.ones(1, dtype=cr.float64))
    assert x.grad.item() == 1.0


def test_backward_twice_through_a_freed_graph_is_a_clear_error():
    x = leaf([1.0, 2.0])
    y = x * x
    y.backward(cr.ones(2, dtype=cr.float64))
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward(cr.ones(2, dtype=cr.float64))


def test_retain_graph_keeps_saved_values_for_a_second_backward():
    x = leaf([1.0, 2.0])
    y = x * x
    y.backward(cr.ones(2, dtype=cr.float64), retain_graph=True)
    y.backward(cr.ones(2, dtype=cr.float64))
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])


def test_saved_values_are_freed_after_backward():
    x = leaf([1.0, 2.0])
    y = x * x
    node = y.grad_fn
    y.backward(cr.ones(2, dtype=cr.float64))
    assert node.freed and not hasattr(node, "inputs")


def test_no_grad_records_nothing_and_works_as_a_decorator():
    x = leaf([1.0])
    with cr.no_grad():
        assert (x * 2).grad_fn is None and not (x * 2).requires_grad
        with cr.enable_grad():
            assert (x * 2).requires_grad
    @cr.no_grad()
    def doubled(t):
        return t * 2
    assert not doubled(x).requires_grad
    assert cr.is_grad_enabled()
    with cr.set_grad_enabled(False):
        assert not cr.is_grad_enabled()
    assert cr.is_grad_enabled()


def test_double_backward_gives_second_and_third_derivatives():
    x = leaf([2.0])
    y = x ** 3
    (dy,) = cr.autograd.grad(y, x, create_graph=True)
    (d2y,) = cr.autograd.grad(dy, x, create_graph=True)
    (d3y,) = cr.autograd.grad(d2y, x)
    assert (dy.item(), d2y.item(), d3y.item()) == (12.0, 12.0, 6.0)
    assert x.grad is None  # autograd.grad never touches .grad


def test_autograd_grad_reports_unused_inputs_unless_allowed():
    x, z = leaf([1.0]), leaf([2.0])
    with pytest.raises(RuntimeError, match="input 1 .* not used"):
        cr.autograd.grad(x * 2, (x, z), retain_graph=True)
    gx, gz = cr.autograd.grad(x * 2, (x, z), allow_unused=True)
    assert gx.item() == 2.0 and gz is None


def test_backward_with_inputs_accumulates_only_into_those():
    x, z = leaf([1.0]), leaf([2.0])
    (x * z).backward(inputs=[x])
    assert x.grad.item() == 2.0 and z.grad is None


def test_hooks_see_and_may_replace_the_gradient():
    x = leaf([1.0, 2.0])
    seen = []
    handle = x.register_hook(lambda g: seen.append(g.numpy().copy()))
    h = x * 3
    h.register_hook(lambda g: g * 10)
    h.backward(cr.ones(2, dtype=cr.float64))
    np.testing.assert_allclose(seen[0], [30.0, 30.0])
    np.testing.assert_allclose(x.grad.numpy(), [30.0, 30.0])
    handle.remove()
    (x * 1).backward(cr.ones(2, dtype=cr.float64))
    assert len(seen) == 1


@pytest.mark.parametrize("how", ["backward", "grad", "inputs"])
def test_a_leaf_hook_runs_in_the_grad_mode_of_the_backward_pass(how):
    """torch runs a leaf's hooks at its AccumulateGrad, inside the pass: recorded only if
    create_graph, so a hook mixing in a parameter gives a gradient that does not require grad."""
    results = []
    for L in (torch, cr):
        w = L.tensor([2.0, 2.0], dtype=L.float64, requires_grad=True)
        x = L.tensor([1.0, 2.0], dtype=L.float64, requires_grad=True)
        seen = []
        x.register_hook(lambda g: (seen.append(L.is_grad_enabled()), g * w)[1])
        y = (x * 3).sum()
        if how == "grad":
            (g,) = L.autograd.grad(y, x)
        else:
            y.backward(inputs=[x] if how == "inputs" else None)
            g = x.grad
        results.append((seen, g.requires_grad, g.tolist()))
    assert results[1] == results[0] == ([False], False, [6.0, 6.0])


def test_a_leaf_hook_runs_with_numpy_quiet_as_the_rest_of_the_pass():
    x = leaf([0.0, 1.0])
    x.register_hook(lambda g: cr.from_numpy(np.log(g.numpy() - 3)))   # log(0): a value, -inf
    with np.errstate(all="raise"):
        (x * 3).sum().backward()
    assert x.grad.tolist() == [-np.inf, -np.inf]


def test_a_leaf_that_stopped_requiring_grad_gets_no_gradient():
    for L in (torch, cr):
        x = L.tensor([1.0, 2.0], requires_grad=True)
        seen = []
        x.register_hook(seen.append)
        y = (x * 2).sum()
        x.requires_grad_(False)
        y.backward()
        assert x.grad is None and len(seen) == 1   # its hooks still ran, as torch's do


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = leaf([1.0, 2.0])
    h = x * x
    h.retain_grad()
    (h * 3).backward(cr.ones(2, dtype=cr.float64))
    np.testing.assert_allclose(h.grad.numpy(), [3.0, 3.0])
    assert h.retains_grad and not x.retains_grad


def test_in_place_change_of_a_saved_value_is_caught_at_backward():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = x * w  # Mul saves x and w
    with cr.no_grad():
        w += 1
    with pytest.raises(RuntimeError, match=r"Mul.backward: input 1 .* modified in place"):
        y.backward(cr.ones(2, dtype=cr.float64))


def test_in_place_change_through_a_detached_view_is_caught_too():
    w = leaf([3.0, 4.0])
    y = w * w
    w.data.mul_(2)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward(cr.ones(2, dtype=cr.float64))


def test_in_place_change_of_a_value_not_saved_is_fine():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = x + w  # Add saves nothing
    with cr.no_grad():
        w += 1
    y.backward(cr.ones(2, dtype=cr.float64))
    np.testing.assert_allclose(w.grad.numpy(), [1.0, 1.0])


def test_in_place_on_a_leaf_that_requires_grad_is_refused_while_recording():
    w = leaf([1.0])
    with pytest.raises(RuntimeError, match="add_: a leaf tensor that requires grad.*no_grad"):
        w += 1


def test_sgd_update_in_place_under_no_grad_keeps_the_same_memory():
    w = leaf([1.0, 2.0])
    memory = w.array
    (w * w).backward(cr.ones(2, dtype=cr.float64))
    with cr.no_grad():
        w -= 0.1 * w.grad
    assert w.array is memory and w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.numpy() if not w.requires_grad else w.detach().numpy(),
                               [0.8, 1.6])
    w.grad.zero_()
    assert w.grad.numpy().tolist() == [0.0, 0.0]


def test_recorded_in_place_updates_give_torch_gradients():
    def f(L, x):
        h = x * 2
        h += x * x
        h *= 3
        h -= 1
        h /= x + 3
        return h
    x, tx = leaf([0.5, -1.0, 2.0]), torch.tensor([0.5, -1.0, 2.0], dtype=torch.float64,
                                                 requires_grad=True)
    out, expected = f(cr, x), f(torch, tx)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    out.backward(cr.ones(3, dtype=cr.float64))
    expected.backward(torch.ones(3, dtype=torch.float64))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_a_function_returning_a_wrong_shaped_gradient_is_named():
    class Broken(Function):
        def forward(self, x):
            return x * 2

        def backward(self, grad):
            return cr.ones(3, dtype=cr.float64)

    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match=r"Broken.backward returned a gradient of shape"):
        Broken.apply(x).backward(cr.ones(2, dtype=cr.float64))


def test_detect_anomaly_names_the_op_and_the_line_that_created_it():
    x = leaf([0.0, 1.0])
    with cr.autograd.detect_anomaly():
        y = 1.0 / x  # the gradient -1/x² is -inf at 0
        with pytest.raises(RuntimeError, match=r"(?s)Div.backward produced NaN or Inf.*test_engine"):
            y.backward(cr.ones(2, dtype=cr.float64))


def test_recorded_in_place_change_of_a_view_is_refused_not_misapplied():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * 1.0
    with pytest.raises(RuntimeError, match=r"mul_: this tensor .* is a view of another live "
                                           r"tensor"):
        y[0].mul_(2.0)


def test_slice_assignment_of_a_non_leaf_is_recorded():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * 1.0
    y[0] = y[0] * 2.0  # the supported spelling updates the base and records it
    y.backward(cr.ones(2, 2, dtype=cr.float64))
    np.testing.assert_allclose(x.grad.numpy(), [[2.0, 2.0], [1.0, 1.0]])


def test_leaf_gradients_never_share_memory_with_each_other_or_the_seed():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    seed = cr.ones(2, dtype=cr.float64)
    (a + b).backward(seed)
    a.grad.zero_()
    assert b.grad.numpy().tolist() == [1.0, 1.0] and seed.numpy().tolist() == [1.0, 1.0]


def test_a_second_backward_into_a_shared_freed_node_is_reported():
    x = leaf([1.0, 2.0])
    y = x * 2
    a, b = y[0], y[1]
    a.backward()
    with pytest.raises(RuntimeError, match="a second time"):
        b.backward()


def test_one_gradient_handed_to_two_leaves_is_copied_for_each():
    class Both(Function):
        save_inputs = False

        def forward(self, a, b):
            return a + b

        def backward(self, grad):
            shared = grad * 1.0  # a new array, but handed to both inputs
            return shared, shared

    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    Both.apply(a, b).backward(cr.ones(2, dtype=cr.float64))
    a.grad.zero_()
    assert b.grad.numpy().tolist() == [1.0, 1.0]


@pytest.mark.parametrize("make", [lambda L, x: x.long(), lambda L, x: x > 0,
                                  lambda L, x: x.argmax(), lambda L, x: x.to(L.int32) * 2])
def test_integer_and_bool_results_never_require_grad_as_in_torch(make):
    for L in (torch, cr):
        x = L.ones(3, requires_grad=True)
        out = make(L, x)
        assert not out.requires_grad and out.grad_fn is None, L.__name__
        with pytest.raises(RuntimeError, match="does not require grad"):
            out.sum().backward()


def test_grad_takes_torchs_whole_signature():
    """only_inputs (deprecated, ignored), materialize_grads (zeros for unused inputs),
    is_grads_batched (needs vmap: refused), as WGAN-GP programs and others pass them."""
    for L in (torch, cr):
        x, unused = L.ones(3, requires_grad=True), L.ones(2, requires_grad=True)
        y = (x * 2).sum()
        (g,) = L.autograd.grad(outputs=y, inputs=x, grad_outputs=L.ones(()), create_graph=True,
                               retain_graph=True, only_inputs=True)
        np.testing.assert_array_equal(g.detach().numpy(), [2.0, 2.0, 2.0])
        gx, gu = L.autograd.grad(y, [x, unused], retain_graph=True, materialize_grads=True)
        np.testing.assert_array_equal(gu.numpy(), [0.0, 0.0])
        with pytest.raises(ValueError, match="allow_unused"):
            L.autograd.grad(y, [x, unused], allow_unused=False, materialize_grads=True)
        with pytest.warns(FutureWarning, match="only_inputs"):
            L.autograd.grad(y, x, retain_graph=True, only_inputs=False)
    with pytest.raises(NotImplementedError, match="is_grads_batched needs vmap"):
        cr.autograd.grad(y, x, cr.ones(2), is_grads_batched=True)


@pytest.mark.parametrize("leaf", [True, False])
def test_a_hook_that_changes_the_gradient_shape_is_named(leaf):
    for lib in (torch, cr):
        x = lib.ones(3, requires_grad=True)
        y = x if leaf else x * 2
        y.register_hook(lambda g: lib.ones(4))
        with pytest.raises(RuntimeError, match="hook '<lambda>' has changed the size of value"):
            (y * 3).sum().backward()
    x = cr.ones(3, requires_grad=True)
    x.register_hook(lambda g: cr.ones(4))
    with pytest.raises(RuntimeError, match=r"returned a gradient of shape \(4,\) for one of shape "
                                           r"\(3,\)"):
        (x * 3).sum().backward()


def test_a_hook_that_returns_a_non_tensor_is_named():
    x = cr.ones(3, requires_grad=True)
    x.register_hook(lambda g: g.tolist())
    with pytest.raises(TypeError, match="hook '<lambda>' returned a list"):
        (x * 3).sum().backward()


# ----- the leaf's node: AccumulateGrad --------------------------------------------------------
def test_every_op_using_a_leaf_points_to_its_one_accumulategrad_as_in_torch():
    for L in (torch, cr):
        x, c = L.ones(3, requires_grad=True), L.ones(3)
        a, b = x * c, x + c
        (node, index), (none, _) = a.grad_fn.next_functions
        assert type(node).__name__ == "AccumulateGrad" and index == 0 and none is None
        assert node.variable is x and node is b.grad_fn.next_functions[0][0], L.__name__
        assert a.grad_fn.next_functions[0][0].next_functions == ()


def test_a_custom_function_points_to_the_same_accumulategrad():
    class Double(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    x = leaf([1.0, 2.0])
    y, z = Double.apply(x), x * 3
    assert y.grad_fn.next_functions[0][0] is z.grad_fn.next_functions[0][0]
    (y + z).sum().backward()
    assert x.grad.numpy().tolist() == [5.0, 5.0]


def test_a_dropped_graph_and_its_leaf_are_freed_by_reference_counting():
    import gc
    import weakref
    gc.disable()   # no cycle collection: only reference counting may free them
    try:
        x = leaf([1.0, 2.0])
        y = (x * x).sum()
        refs = [weakref.ref(x), weakref.ref(y.grad_fn),
                weakref.ref(y.grad_fn.next_functions[0][0].next_functions[0][0])]
        del x, y
        assert [ref() for ref in refs] == [None, None, None]
        # after backward the graph is freed: the accumulator goes, the leaf stays
        x = leaf([1.0, 2.0])
        y = (x * x).sum()
        node = weakref.ref(y.grad_fn.next_functions[0][0].next_functions[0][0])
        y.backward()
        assert node() is None and x.grad.numpy().tolist() == [2.0, 4.0]
    finally:
        gc.enable()


def test_a_graph_keeps_its_leaf_alive_and_still_delivers_to_it_as_in_torch():
    import weakref
    for L in (torch, cr):
        x = L.ones(2, dtype=L.float64, requires_grad=True)
        seen = []
        x.register_hook(seen.append)
        y = (x * 3).sum()
        ref = weakref.ref(x)
        del x
        assert ref() is not None, L.__name__
        y.backward(retain_graph=True)   # the graph, kept, still holds the leaf
        assert ref().grad.tolist() == [3.0, 3.0] and len(seen) == 1, L.__name__


def test_a_copied_or_unpickled_leaf_gets_its_own_accumulategrad():
    import copy
    import pickle
    x = leaf([1.0, 2.0])
    y = x * 2   # keeps x's AccumulateGrad alive
    for twin in (copy.copy(x), copy.deepcopy(x), pickle.loads(pickle.dumps(x))):
        (twin * 3).sum().backward()
        assert twin.grad.numpy().tolist() == [3.0, 3.0] and x.grad is None
    y.sum().backward()
    assert x.grad.numpy().tolist() == [2.0, 2.0]
    del y   # x's AccumulateGrad is gone; the dead reference to it pickles too
    assert pickle.loads(pickle.dumps(x)).grad.numpy().tolist() == [2.0, 2.0]


def test_a_float64_seed_gives_a_float32_leaf_a_float32_gradient():
    x = cr.ones(3, requires_grad=True)
    x.exp().backward(cr.ones(3, dtype=cr.float64))
    assert x.grad.dtype == cr.float32


def test_create_graph_and_retained_gradients_own_their_memory():
    x, w = cr.ones(3, requires_grad=True), cr.ones(3, requires_grad=True)
    seed = cr.ones(3)
    (x + w).backward(seed, create_graph=True)
    with cr.no_grad():
        x.grad.mul_(5)
    assert w.grad.detach().numpy().tolist() == [1, 1, 1] and seed.numpy().tolist() == [1, 1, 1]
    z = cr.ones(3, requires_grad=True)
    z.sum().backward(create_graph=True)
    with cr.no_grad():
        z.grad.zero_()   # was a read-only broadcast array
    y = x * 2
    y.retain_grad()
    seed = cr.ones(3)
    y.backward(seed)
    seed[0] = 7
    assert y.grad.numpy().tolist() == [1, 1, 1]


def _accumulate_with_graph(L, first_create_graph):
    """x.grad already holds a gradient; a backward with create_graph=True adds to it out of
    place (torch: grad_fn AddBackward0), so the sum is differentiable in x."""
    x = L.tensor([1.0, 2.0, -0.5], dtype=L.float64, requires_grad=True)
    (x ** 3).sum().backward(create_graph=first_create_graph)
    held = x.grad
    before = held.detach().clone()
    (x ** 3).sum().backward(create_graph=True)
    (second,) = L.autograd.grad((x.grad * x).sum(), x)
    return x.grad, held, before, second


@pytest.mark.parametrize("first_create_graph", [True, False])
@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
def test_create_graph_backward_accumulates_into_an_existing_grad_as_torch(first_create_graph):
    ours = _accumulate_with_graph(cr, first_create_graph)
    theirs = _accumulate_with_graph(torch, first_create_graph)
    grad, held, before, second = ours
    np.testing.assert_allclose(grad.detach().numpy(), theirs[0].detach().numpy(), rtol=1e-12)
    assert grad.requires_grad and grad.grad_fn is not None   # torch: AddBackward0
    assert theirs[0].requires_grad and theirs[0].grad_fn is not None
    # the earlier .grad is not changed in place: the new one is a fresh sum
    np.testing.assert_array_equal(held.detach().numpy(), before.numpy())
    # d/dx sum(grad * x) with grad = 6x² (or 3x² + 3x² detached): torch's value
    np.testing.assert_allclose(second.numpy(), theirs[3].numpy(), rtol=1e-12)


# ----- post-accumulate-grad hooks and queue_callback (DistributedDataParallel's) ----------------
def _mlp(L):
    L.manual_seed(0)
    return L.nn.Sequential(L.nn.Linear(4, 5), L.nn.Tanh(), L.nn.Linear(5, 6), L.nn.ReLU(),
                           L.nn.Linear(6, 2))


def _two_backwards_recorded(L, model):
    """Two backwards through model, its parameters' post-accumulate hooks recording (name,
    .grad as the hook sees it, how many of the backward calls had returned then)."""
    seen, returned = [], [0]
    handles = [p.register_post_accumulate_grad_hook(
        lambda t, name=name: seen.append((name, t.grad.detach().numpy().copy(), returned[0])))
        for name, p in model.named_parameters()]
    x = L.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(3, 4))
    for _ in range(2):
        model(x).square().sum().backward()
        returned[0] += 1
    for handle in handles:
        handle.remove()
    return seen


def test_post_accumulate_hooks_see_the_final_grad_once_per_backward_in_torchs_layer_order():
    theirs, ours = _mlp(torch), _mlp(cr)
    ours.load_state_dict({k: cr.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    their_seen, our_seen = _two_backwards_recorded(torch, theirs), _two_backwards_recorded(cr, ours)
    names = [name for name, _ in ours.named_parameters()]
    n = len(names)
    for seen in (our_seen, their_seen):
        # once per leaf and backward, during that backward (before the call returned)
        assert [sorted(name for name, _, _ in seen[k * n:(k + 1) * n]) for k in (0, 1)] == \
            [sorted(names)] * 2
        assert [returned for _, _, returned in seen] == [0] * n + [1] * n
        # as each leaf's gradient is complete: the layers from the output back (a layer's weight
        # and bias come from one node, and the order between them differs from torch's)
        assert list(dict.fromkeys(name.split(".")[0] for name, _, _ in seen[:n])) == \
            ["4", "2", "0"]
    final = dict(ours.named_parameters())
    for name, grad, _ in our_seen[n:]:   # the second backward's: the final sums, as in .grad
        np.testing.assert_array_equal(grad, final[name].grad.numpy())
    theirs_by_call = {(name, k // n): g for k, (name, g, _) in enumerate(their_seen)}
    for k, (name, grad, _) in enumerate(our_seen):
        np.testing.assert_allclose(grad, theirs_by_call[name, k // n], rtol=1e-5, atol=1e-7)


def _chain(hooked):
    """x * w1 * w2 * w3, with post-accumulate hooks on the leaves named in hooked, each
    recording its name and which leaves had a .grad then; and a hook on the gradient of x * w1
    recording which leaves had a .grad when it reached that product."""
    leaves = {name: leaf([0.5, -2.0]) for name in ("x", "w1", "w2", "w3")}
    seen = []

    def record(name):
        seen.append((name, sorted(k for k, t in leaves.items() if t.grad is not None)))
    handles = [leaves[name].register_post_accumulate_grad_hook(lambda t, name=name: record(name))
               for name in hooked]
    first = leaves["x"] * leaves["w1"]
    first.register_hook(lambda grad: record("x * w1"))
    (first * leaves["w2"] * leaves["w3"]).sum().backward()
    return seen, handles


def test_in_a_chain_a_leafs_hook_fires_before_the_hooks_of_leaves_nearer_the_input():
    seen, handles = _chain(["x", "w1", "w2", "w3"])
    for handle in handles:
        handle.remove()
    # each .grad is written, and its hook run, as soon as the node using the leaf has run (x
    # and w1 share theirs: either may come first)
    assert seen[:3] == [("w3", ["w3"]), ("w2", ["w2", "w3"]), ("x * w1", ["w2", "w3"])]
    assert {name for name, _ in seen[3:]} == {"x", "w1"}
    assert seen[4][1] == ["w1", "w2", "w3", "x"]


def test_once_the_last_hook_is_removed_every_grad_is_written_at_the_end_of_the_pass_again():
    from chainrule.tensor import post_accumulate_hooks
    before = post_accumulate_hooks[0]
    seen, handles = _chain(["w1"])   # one hook anywhere: every leaf is written early
    assert ("x * w1", ["w2", "w3"]) in seen
    for handle in handles:
        handle.remove()
    assert post_accumulate_hooks[0] == before == 0
    seen, _ = _chain([])
    assert seen == [("x * w1", [])]


def _gradients(hooked, create_graph):
    """The gradients of a graph with a shared leaf, slices and a leaf used twice by one node,
    after two backwards (retain_graph) and, with create_graph, a backward of the first
    gradients' sum; with hooked, every leaf has a post-accumulate hook that reads its .grad."""
    x, w = leaf([0.5, -1.5, 2.0, 0.25]), leaf([1.5, 0.5, -2.0, 3.0])
    handles = [t.register_post_accumulate_grad_hook(lambda t: t.grad.sum())
               for t in (x, w) if hooked]
    y = ((x * w).tanh() * x).sum() + (x[:2] * w[2:]).sum() + (w * w).sum() * x[3]
    y.backward(retain_graph=True, create_graph=create_graph)
    y.backward(create_graph=create_graph)
    found = [x.grad.detach().numpy().copy(), w.grad.detach().numpy().copy()]
    if create_graph:
        grads = (x.grad, w.grad)
        x.grad = w.grad = None
        (grads[0] * grads[1]).sum().backward()
        found += [x.grad.numpy(), w.grad.numpy()]
    for handle in handles:
        handle.remove()
    return found


@pytest.mark.parametrize("create_graph", [False, True])
def test_gradients_with_post_accumulate_hooks_are_those_without(create_graph):
    for hooked, plain in zip(_gradients(True, create_graph), _gradients(False, create_graph)):
        np.testing.assert_array_equal(hooked, plain)


def _callback_sees(L, queue, hooked):
    """What a callback queued from the hook of an intermediate gradient sees of the leaves'
    .grad (compared with .grad after backward), and when it runs; hooked: a post-accumulate
    hook on w (DistributedDataParallel's path through the engine)."""
    x, w = (L.tensor([0.5, -1.5], dtype=L.float64, requires_grad=True) for _ in range(2))
    events = []

    def callback():
        events.append(("callback", [t.grad.numpy().copy() for t in (x, w)]))
    h = x * w
    h.register_hook(lambda grad: queue(callback))
    handle = w.register_post_accumulate_grad_hook(lambda t: events.append("w's hook")) \
        if hooked else None
    (h.exp() * w).sum().backward()
    events.append("returned")
    if handle is not None:
        handle.remove()
    return events, [x.grad.numpy(), w.grad.numpy()]


@pytest.mark.parametrize("hooked", [False, True])
def test_a_queued_callback_runs_once_after_every_grad_is_written_as_in_torch(hooked):
    from chainrule.autograd.engine import queue_callback
    ours = _callback_sees(cr, queue_callback, hooked)
    theirs = _callback_sees(torch, torch.autograd.Variable._execution_engine.queue_callback,
                            hooked)
    for events, final in (ours, theirs):
        assert [e if isinstance(e, str) else e[0] for e in events] == \
            ["w's hook"] * hooked + ["callback", "returned"]
        for seen, grad in zip(events[hooked][1], final):
            np.testing.assert_array_equal(seen, grad)
    np.testing.assert_allclose(ours[1][0], theirs[1][0], rtol=1e-12)


def test_queue_callback_outside_backward_is_refused_as_torch_refuses_it():
    from chainrule.autograd.engine import queue_callback
    words = "inal callbacks can only be installed during"
    with pytest.raises(RuntimeError, match=words):
        torch.autograd.Variable._execution_engine.queue_callback(lambda: None)
    with pytest.raises(RuntimeError, match=words):
        queue_callback(lambda: None)
