"""The fused nn primitives of ops/fused.py, each checked by the shared harness (NumPy, gradcheck,
gradgradcheck, torch's forward, gradients and second derivatives) through the nn.functional call
that uses it, then its plain backward (arrays) against its graph-building one (Tensors)."""
import numpy as np
import pytest

import chainrule
from tests.ops.harness import Case, OpChecks


def ints(*values):
    return np.array(values, dtype=np.int64)


def log_softmax(a):
    shifted = a - a.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


# ----- cross-entropy on class indices ---------------------------------------------------------------
TARGET = ints(2, 0, 3, 3, 1)
IGNORING = ints(2, -100, 3, -100, 1)


def cross_entropy(target, reduction="mean"):
    def fn(L, x):
        return L.nn.functional.cross_entropy(x, L.tensor(target), reduction=reduction)
    return fn


def numpy_cross_entropy(target, reduction="mean"):
    def fn(x):
        keep = target != -100
        losses = -log_softmax(x)[np.arange(len(target)), np.where(keep, target, 0)] * keep
        if reduction == "none":
            return losses
        return losses.sum() / (keep.sum() if reduction == "mean" else 1)
    return fn


CASES = [
    Case("cross_entropy", cross_entropy(TARGET), numpy_cross_entropy(TARGET), [((5, 4),)]),
    Case("cross_entropy_sum", cross_entropy(TARGET, "sum"), numpy_cross_entropy(TARGET, "sum"),
         [((5, 4),)]),
    Case("cross_entropy_none", cross_entropy(TARGET, "none"),
         numpy_cross_entropy(TARGET, "none"), [((5, 4),)]),
    Case("cross_entropy_ignore_index", cross_entropy(IGNORING), numpy_cross_entropy(IGNORING),
         [((5, 4),)]),
    Case("cross_entropy_ignore_index_none", cross_entropy(IGNORING, "none"),
         numpy_cross_entropy(IGNORING, "none"), [((5, 4),)]),
]


# ----- layer normalisation over the last dims -------------------------------------------------------
def layer_norm(dims, affine="both"):
    def fn(L, x, *params):
        weight = params[0] if affine in ("both", "weight") else None
        bias = params[-1] if affine in ("both", "bias") else None
        return L.nn.functional.layer_norm(x, x.shape[-dims:], weight, bias, eps=1e-5)
    return fn


def numpy_layer_norm(dims, affine="both"):
    def fn(x, *params):
        axes = tuple(range(x.ndim - dims, x.ndim))
        centered = x - x.mean(axes, keepdims=True)
        out = centered / np.sqrt((centered ** 2).mean(axes, keepdims=True) + 1e-5)
        if affine in ("both", "weight"):
            out = out * params[0]
        return out + params[-1] if affine in ("both", "bias") else out
    return fn


CASES += [
    Case("layer_norm", layer_norm(1), numpy_layer_norm(1), [((4, 5), (5,), (5,)),
                                                             ((2, 3, 4), (4,), (4,))]),
    Case("layer_norm_two_dims", layer_norm(2), numpy_layer_norm(2), [((2, 3, 4), (3, 4), (3, 4))]),
    Case("layer_norm_no_affine", layer_norm(1, None), numpy_layer_norm(1, None), [((3, 6),)]),
    Case("layer_norm_weight_only", layer_norm(1, "weight"), numpy_layer_norm(1, "weight"),
         [((3, 4), (4,))]),
    Case("layer_norm_bias_only", layer_norm(1, "bias"), numpy_layer_norm(1, "bias"),
         [((3, 4), (4,))], no_torch_double="torch 2.13's layer_norm double backward with a bias "
         "but no weight raises ('Expected a proper Tensor but got None')"),
]


# ----- attention: softmax(s q kᵀ + b) v, the bias differentiable too ------------------------------
def attention(scale=None):
    def fn(L, q, k, v, *bias):
        return L.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=bias[0] if bias else None, scale=scale)
    return fn


def numpy_attention(scale=None):
    def fn(q, k, v, *bias):
        scores = q @ np.swapaxes(k, -1, -2) * (scale or 1 / np.sqrt(q.shape[-1]))
        if bias:
            scores = scores + bias[0]
        weights = np.exp(scores - scores.max(-1, keepdims=True))
        return weights / weights.sum(-1, keepdims=True) @ v
    return fn


# 3-d inputs: torch's math kernel, which has a double backward (its 4-d flash kernel has none)
QKV = ((2, 3, 5), (2, 4, 5), (2, 4, 2))
CASES += [
    Case("attention", attention(), numpy_attention(), [QKV, ((3, 5), (4, 5), (4, 3))]),
    Case("attention_scale", attention(0.3), numpy_attention(0.3), [QKV]),
    Case("attention_shared_key", attention(), numpy_attention(),
         [((2, 3, 5), (1, 4, 5), (1, 4, 2))]),
    Case("attention_float_mask", attention(), numpy_attention(),
         [QKV + ((2, 3, 4),), QKV + ((3, 4),), QKV + ((1, 4),)]),
]


# ----- softmax along the last dim ------------------------------------------------------------------
def numpy_softmax(x):
    exps = np.exp(x - x.max(-1, keepdims=True))
    return exps / exps.sum(-1, keepdims=True)


CASES += [
    Case("softmax_last", lambda L, x: L.nn.functional.softmax(x, -1), numpy_softmax,
         [((3, 4),), ((2, 3, 5),), ((4,),), ((0, 3),)]),
    Case("softmax_last_positive_dim", lambda L, x: L.nn.functional.softmax(x, 2), numpy_softmax,
         [((2, 3, 5),)]),
]


# ----- GELU, tanh form ---------------------------------------------------------------------------
def numpy_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


CASES += [
    Case("gelu_tanh", lambda L, x: L.nn.functional.gelu(x, approximate="tanh"), numpy_gelu_tanh,
         [((3, 4),), ((),), ((0, 2),)]),
]


# ----- embedding: rows of a table, repeated indices adding up in the gradient ---------------------
INDICES = ints(3, 0, 3, 1, 3, 0).reshape(2, 3)


def embedding(indices):
    return lambda L, weight: L.nn.functional.embedding(L.tensor(indices), weight)


def table_rows(count):
    """A table of `count` rows, to reach both scatters (one-hot product, add.at)."""
    return lambda L, weight: L.nn.functional.embedding(
        L.tensor(np.arange(12) * 37 % count), weight)


CASES += [
    Case("embedding", embedding(INDICES), lambda w: w[INDICES], [((4, 5),)]),
    Case("embedding_1d_indices", embedding(INDICES[0]), lambda w: w[INDICES[0]], [((4, 2),)]),
    Case("embedding_scalar_index", embedding(ints(2)[0]), lambda w: w[2], [((4, 2),)]),
    Case("embedding_large_table", table_rows(300), lambda w: w[np.arange(12) * 37 % 300],
         [((300, 2),)]),
]


class TestFused(OpChecks):
    cases = CASES


# ----- the plain backward (arrays) and the graph-building one (Tensors) agree -----------------------
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_plain_and_graph_building_backward_agree(case):
    for shapes in case.shapes:
        inputs = [chainrule.tensor(a, requires_grad=True) for a in case.inputs(shapes)]
        out = case.fn(chainrule, *inputs)
        upstream = chainrule.tensor(np.random.default_rng(1).standard_normal(out.shape))
        plain = chainrule.autograd.grad(out, inputs, upstream, retain_graph=True)
        built = chainrule.autograd.grad(out, inputs, upstream, create_graph=True)
        for a, b in zip(plain, built):
            np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_the_fused_nodes_are_used():
    F = chainrule.nn.functional
    x = chainrule.randn(4, 3, requires_grad=True)
    assert type(F.cross_entropy(x, chainrule.tensor(ints(0, 1, 2, 0))).grad_fn).__name__ == \
        "CrossEntropy"
    assert type(F.layer_norm(x, (3,)).grad_fn).__name__ == "LayerNormFunction"
    q = chainrule.randn(2, 3, 4, requires_grad=True)
    assert type(F.scaled_dot_product_attention(q, q, q).grad_fn).__name__ == "Attention"
    assert type(F.gelu(q, approximate="tanh").grad_fn).__name__ == "GeluTanh"
    assert type(F.softmax(q, -1).grad_fn).__name__ == "SoftmaxLast"
    table = chainrule.randn(5, 2, requires_grad=True)
    assert type(F.embedding(chainrule.tensor(ints(1, 1)), table).grad_fn).__name__ == \
        "EmbeddingFunction"


def test_attention_row_with_no_key_is_zero_with_zero_gradients():
    rng = np.random.default_rng(0)
    q, k, v = (chainrule.tensor(rng.standard_normal(s), requires_grad=True) for s in QKV)
    bias = np.zeros((3, 4))
    bias[1] = -np.inf
    out = chainrule.nn.functional.scaled_dot_product_attention(q, k, v, chainrule.tensor(bias))
    out.sum().backward()
    assert not out.detach().numpy()[:, 1].any() and not q.grad.numpy()[:, 1].any()
    assert np.isfinite(k.grad.numpy()).all() and np.isfinite(v.grad.numpy()).all()
    plain = [t.grad.numpy() for t in (q, k, v)]
    out = chainrule.nn.functional.scaled_dot_product_attention(q, k, v, chainrule.tensor(bias))
    built = chainrule.autograd.grad(out.sum(), [q, k, v], create_graph=True)
    for a, b in zip(plain, built):
        np.testing.assert_allclose(a, b.detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("extreme", ["large scores", "underflowing row"])
def test_attention_with_extreme_scores_matches_torch(dtype, extreme):
    """Scores ~ ±1000 in row 0 (exp overflows unshifted), or a row biased by -200 (its exp
    underflows unshifted): such a call shifts each row by its max, and matches torch."""
    import torch
    rng = np.random.default_rng(3)
    arrays = [rng.standard_normal(s).astype(dtype) for s in QKV + ((3, 4),)]
    if extreme == "large scores":
        arrays[0][:, 0] *= 1000
    else:
        arrays[3][1] -= 200
    ours = [chainrule.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = chainrule.nn.functional.scaled_dot_product_attention(*ours[:3], attn_mask=ours[3])
    expected = torch.nn.functional.scaled_dot_product_attention(*theirs[:3],
                                                                attn_mask=theirs[3])
    rtol = 1e-4 if dtype == "float32" else 1e-10
    _backward_matches_torch(out, expected, ours, theirs, rng, rtol, grad_atol=rtol * 100)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("extreme", ["small", "large logits", "underflowing row", "-inf logit"])
def test_cross_entropy_with_extreme_logits_matches_torch(dtype, extreme):
    """Logits within ±16 (no shift), ~ ±1000 (each row shifted by its max), a row 200 below
    the rest (its Σ exp would underflow unshifted), a -inf logit: as torch's."""
    import torch
    rng = np.random.default_rng(4)
    logits = rng.standard_normal((6, 5)).astype(dtype)
    if extreme == "large logits":
        logits *= 1000
    elif extreme == "underflowing row":
        logits[2] -= 200
    elif extreme == "-inf logit":
        logits[1, 3] = -np.inf
    target = ints(0, 1, 2, 3, 4, 0)
    ours = chainrule.tensor(logits, requires_grad=True)
    theirs = torch.tensor(logits, requires_grad=True)
    loss = chainrule.nn.functional.cross_entropy(ours, chainrule.tensor(target))
    expected = torch.nn.functional.cross_entropy(theirs, torch.tensor(target))
    loss.backward()
    expected.backward()
    rtol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=rtol)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=rtol, atol=rtol)


def test_gelu_tanh_gradient_over_several_blocks_matches_torch():
    """The plain backward runs a block at a time: a last block cut short lands where it should."""
    import torch
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 12345)).astype(np.float32) * 3
    upstream = rng.standard_normal(x.shape).astype(np.float32)
    ours = chainrule.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    chainrule.nn.functional.gelu(ours, approximate="tanh").backward(chainrule.tensor(upstream))
    torch.nn.functional.gelu(theirs, approximate="tanh").backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("extreme", ["causal mask", "large scores", "underflowing row",
                                     "row of -inf", "transposed"])
def test_softmax_last_with_extreme_scores_matches_torch(dtype, extreme):
    """Scores masked causally with -inf (no shift), ~ ±1000 (each row shifted by its max), a row
    200 below the rest, a row all -inf (nan, as torch), a non-contiguous input: as torch's."""
    import torch
    rng = np.random.default_rng(6)
    scores = rng.standard_normal((2, 5, 5)).astype(dtype)
    if extreme == "causal mask":
        scores[:, np.triu_indices(5, 1)[0], np.triu_indices(5, 1)[1]] = -np.inf
    elif extreme == "large scores":
        scores *= 1000
    elif extreme == "underflowing row":
        scores[1, 2] -= 200
    elif extreme == "row of -inf":
        scores[0, 3] = -np.inf
    ours = chainrule.tensor(scores, requires_grad=True)
    theirs = torch.tensor(scores, requires_grad=True)
    if extreme == "transposed":
        out, expected = (F.softmax(t.transpose(1, 2), -1) for F, t in (
            (chainrule.nn.functional, ours), (torch.nn.functional, theirs)))
    else:
        out = chainrule.nn.functional.softmax(ours, -1)
        expected = torch.nn.functional.softmax(theirs, -1)
    rtol = 1e-5 if dtype == "float32" else 1e-12
    _backward_matches_torch(out, expected, [ours], [theirs], rng, rtol, grad_atol=rtol)


def _backward_matches_torch(out, expected, ours, theirs, rng, rtol, grad_atol):
    """out equals torch's expected, and after one backward with the same random upstream
    gradient, each of ours' .grad equals its torch twin's."""
    import torch
    upstream = rng.standard_normal(out.shape).astype(out.detach().numpy().dtype)
    out.backward(chainrule.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=rtol,
                               atol=rtol)
    for x, t in zip(ours, theirs):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=grad_atol)


def test_gelu_tanh_gradient_of_a_transposed_input_matches_torch():
    """A non-contiguous input: the plain backward's blocks must land in the gradient itself."""
    import torch
    rng = np.random.default_rng(7)
    x = rng.standard_normal((3, 5)).astype(np.float32)
    upstream = rng.standard_normal((5, 3)).astype(np.float32)
    ours = chainrule.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    chainrule.nn.functional.gelu(ours.t(), approximate="tanh").backward(
        chainrule.tensor(upstream))
    torch.nn.functional.gelu(theirs.t(), approximate="tanh").backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_cross_entropy_mean_with_every_row_ignored_has_zero_gradient():
    """The loss is nan (0/0), as torch's; its gradient is 0, as torch's, not nan."""
    x = chainrule.tensor(np.random.default_rng(8).standard_normal((3, 4)), requires_grad=True)
    loss = chainrule.nn.functional.cross_entropy(x, chainrule.tensor(ints(-100, -100, -100)))
    assert np.isnan(loss.item())
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((3, 4)))
    built, = chainrule.autograd.grad(
        chainrule.nn.functional.cross_entropy(x, chainrule.tensor(ints(-100, -100, -100))), x,
        create_graph=True)
    np.testing.assert_array_equal(built.detach().numpy(), np.zeros((3, 4)))


@pytest.mark.parametrize("op", ["softmax", "attention", "cross_entropy"])
def test_float16_scores_above_exp_range_match_torch(op):
    """float16's exp overflows above ~11.1: scores of ±40 must still give torch's values."""
    import torch
    rng = np.random.default_rng(9)
    x = (rng.standard_normal((2, 4, 6)) * 40).astype(np.float16)
    if op == "softmax":
        ours = chainrule.nn.functional.softmax(chainrule.tensor(x), -1)
        expected = torch.softmax(torch.tensor(x), -1)
    elif op == "attention":
        q = chainrule.tensor(x[..., :4] / 4)
        ours = chainrule.nn.functional.scaled_dot_product_attention(q, q, q)
        t = torch.tensor(x[..., :4] / 4)
        expected = torch.nn.functional.scaled_dot_product_attention(t, t, t)
    else:
        target = ints(0, 1, 2, 3)
        ours = chainrule.nn.functional.cross_entropy(chainrule.tensor(x[0]),
                                                    chainrule.tensor(target), reduction="none")
        expected = torch.nn.functional.cross_entropy(torch.tensor(x[0]), torch.tensor(target),
                                                     reduction="none")
    np.testing.assert_allclose(ours.numpy().astype(np.float32), expected.float().numpy(),
                               rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_cross_entropy_ignored_row_with_nan_or_inf_logit_matches_torch(reduction, bad):
    """An ignored row adds 0 to the loss whatever its logits (not nan · 0 = nan); its gradient
    is torch's (nan there: torch's log_softmax backward gives it), plain and under create_graph."""
    import torch
    x = np.random.default_rng(10).standard_normal((3, 4))
    x[1, 2] = bad
    target = ints(0, -100, 2)
    ours = chainrule.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    loss = chainrule.nn.functional.cross_entropy(ours, chainrule.tensor(target),
                                                 reduction=reduction)
    expected = torch.nn.functional.cross_entropy(theirs, torch.tensor(target),
                                                 reduction=reduction)
    np.testing.assert_allclose(loss.detach().numpy(), expected.detach().numpy(), rtol=1e-12)
    expected.sum().backward()
    built, = chainrule.autograd.grad(loss.sum(), ours, create_graph=True)
    np.testing.assert_allclose(built.detach().numpy(), theirs.grad.numpy(), rtol=1e-12)
    loss.sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_attention_with_an_infinite_query_is_nan_quietly_as_torch():
    """+inf in a query: inf - inf in the shifted scores is nan, without a RuntimeWarning."""
    import torch
    q = np.random.default_rng(11).standard_normal((1, 3, 4))
    q[0, 1, 0] = np.inf
    out = chainrule.nn.functional.scaled_dot_product_attention(*[chainrule.tensor(q)] * 3)
    expected = torch.nn.functional.scaled_dot_product_attention(*[torch.tensor(q)] * 3)
    np.testing.assert_array_equal(np.isnan(out.numpy()), expected.isnan().numpy())


def test_layer_norm_float16_with_large_values_matches_torch():
    """float16 rows of spread ~300: their squares overflow float16 (65504); the statistics are
    taken in float32, as torch does, and the output matches torch's."""
    import torch
    x = (np.random.default_rng(12).standard_normal((3, 64)) * 300 + 300).astype(np.float16)
    ours = chainrule.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    out = chainrule.nn.functional.layer_norm(ours, (64,))
    expected = torch.nn.functional.layer_norm(theirs, (64,))
    assert out.dtype == chainrule.float16
    np.testing.assert_allclose(out.detach().numpy().astype(np.float32),
                               expected.detach().float().numpy(), atol=1e-2)
    upstream = np.random.default_rng(13).standard_normal(x.shape).astype(np.float16)
    out.backward(chainrule.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(ours.grad.numpy().astype(np.float32),
                               theirs.grad.float().numpy(), atol=1e-3)


def test_attention_double_backward_with_a_hook_on_its_output_matches_torch():
    """A hook scaling the output's gradient applies to the gradients that reach the output; a
    double backward's graph does not route through the output itself (as torch's), so the
    hook is not applied a second time on that path."""
    import torch
    rng = np.random.default_rng(14)
    arrays = [rng.standard_normal((2, 4, 5)) for _ in range(3)]
    ours = [chainrule.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    for (F, inputs) in ((chainrule.nn.functional, ours), (torch.nn.functional, theirs)):
        out = F.scaled_dot_product_attention(*inputs)
        out.register_hook(lambda g: g * 3)
        grads = (chainrule if F is chainrule.nn.functional else torch).autograd.grad(
            (out ** 2).sum(), inputs, create_graph=True)
        sum((g ** 2).sum() for g in grads).backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-9)
