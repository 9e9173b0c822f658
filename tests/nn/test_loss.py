"""Losses against torch: each functional form over a table of configurations and reductions
(forward and the gradients of every differentiable input, float32 and float64), gradcheck in
float64, the modules with torch's buffers, numerical stability, and errors that name the loss."""
from collections.abc import Callable
import warnings
from dataclasses import dataclass, field

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn.functional as F
from chainrule.autograd import gradcheck
from chainrule.nn import loss as losses
from tests.ops.edges import matches_torch_at

TOLERANCES = {"float64": 1e-10, "float32": 1e-5}
REDUCTIONS = ["mean", "sum", "none"]


@dataclass
class Case:
    """name(input, *more inputs, **options). make(rng) gives the inputs: float arrays are
    differentiable, integer arrays are class indices; array options (weights) are constants."""
    name: str
    function: str
    make: Callable
    options: dict = field(default_factory=dict)
    # False where torch's gradient is by design not the derivative (a clamp made under no_grad)
    gradcheck: bool = True


def logits(rng, *shape):
    return rng.normal(0.0, 2.0, shape)


def probabilities(rng, *shape):
    return rng.uniform(0.02, 0.98, shape)


def distribution(rng, *shape):
    """Class probabilities along dim 1 (or 0 for one sample)."""
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)


def counts(rng, *shape):
    return rng.poisson(2.0, shape).astype(float)


def rates(rng, *shape):
    """Positive values, some below and some above 1."""
    return rng.uniform(0.1, 4.0, shape)


def signs(rng, *shape):
    return rng.choice([-1, 1], shape)


def ignoring(indices, where, value):
    indices = indices.copy()
    indices.flat[where] = value
    return indices


RNG = np.random.default_rng(3)
WEIGHT_4x3, CLASS_WEIGHT_4, POS_WEIGHT_3 = (RNG.uniform(0.2, 2.0, shape) for shape in
                                            [(4, 3), (4,), (3,)])

CASES = [
    Case("mse", "mse_loss", lambda r: [logits(r, 4, 3), logits(r, 4, 3)]),
    Case("mse weighted", "mse_loss", lambda r: [logits(r, 4, 3), logits(r, 4, 3)],
         {"weight": WEIGHT_4x3}),
    Case("l1", "l1_loss", lambda r: [logits(r, 4, 3), logits(r, 4, 3)]),
    Case("l1 weighted", "l1_loss", lambda r: [logits(r, 2, 3, 2), logits(r, 2, 3, 2)],
         {"weight": WEIGHT_4x3.reshape(2, 3, 2)}),
    Case("huber", "huber_loss", lambda r: [logits(r, 4, 3), logits(r, 4, 3)]),
    Case("huber delta 0.4", "huber_loss", lambda r: [logits(r, 4, 3), logits(r, 4, 3)],
         {"delta": 0.4}),
    Case("huber weighted", "huber_loss", lambda r: [logits(r, 4, 3), logits(r, 4, 3)],
         {"delta": 2.5, "weight": WEIGHT_4x3}),
    Case("smooth_l1", "smooth_l1_loss", lambda r: [logits(r, 4, 3), logits(r, 4, 3)]),
    Case("smooth_l1 beta 0.4", "smooth_l1_loss", lambda r: [logits(r, 4, 3), logits(r, 4, 3)],
         {"beta": 0.4}),
    Case("smooth_l1 beta 0", "smooth_l1_loss", lambda r: [logits(r, 4, 3), logits(r, 4, 3)],
         {"beta": 0.0}),
    Case("bce", "binary_cross_entropy", lambda r: [probabilities(r, 4, 3),
                                                   probabilities(r, 4, 3)]),
    Case("bce weighted", "binary_cross_entropy",
         lambda r: [probabilities(r, 4, 3), probabilities(r, 4, 3)], {"weight": POS_WEIGHT_3}),
    Case("bce with logits", "binary_cross_entropy_with_logits",
         lambda r: [logits(r, 4, 3), probabilities(r, 4, 3)]),
    Case("bce with logits weight, pos_weight", "binary_cross_entropy_with_logits",
         lambda r: [logits(r, 4, 3), r.integers(0, 2, (4, 3)).astype(float)],
         {"weight": WEIGHT_4x3, "pos_weight": POS_WEIGHT_3}),
    Case("bce with logits pos_weight", "binary_cross_entropy_with_logits",
         lambda r: [logits(r, 2, 4, 3), probabilities(r, 2, 4, 3)], {"pos_weight": POS_WEIGHT_3}),
    Case("cross_entropy", "cross_entropy", lambda r: [logits(r, 5, 4), r.integers(0, 4, 5)]),
    Case("cross_entropy weight", "cross_entropy", lambda r: [logits(r, 5, 4), r.integers(0, 4, 5)],
         {"weight": CLASS_WEIGHT_4}),
    Case("cross_entropy ignore_index", "cross_entropy",
         lambda r: [logits(r, 5, 4), ignoring(r.integers(0, 4, 5), [1, 3], 2)],
         {"ignore_index": 2}),
    Case("cross_entropy ignore -100", "cross_entropy",
         lambda r: [logits(r, 5, 4), ignoring(r.integers(0, 4, 5), [0], -100)]),
    Case("cross_entropy weight, ignore_index", "cross_entropy",
         lambda r: [logits(r, 5, 4), ignoring(r.integers(0, 4, 5), [2], 0)],
         {"weight": CLASS_WEIGHT_4, "ignore_index": 0}),
    Case("cross_entropy label_smoothing", "cross_entropy",
         lambda r: [logits(r, 5, 4), r.integers(0, 4, 5)], {"label_smoothing": 0.2}),
    Case("cross_entropy everything", "cross_entropy",
         lambda r: [logits(r, 5, 4), ignoring(r.integers(0, 4, 5), [4], 1)],
         {"weight": CLASS_WEIGHT_4, "ignore_index": 1, "label_smoothing": 0.3}),
    Case("cross_entropy (N, C, d1, d2)", "cross_entropy",
         lambda r: [logits(r, 2, 4, 3, 2), ignoring(r.integers(0, 4, (2, 3, 2)), [5], 3)],
         {"weight": CLASS_WEIGHT_4, "ignore_index": 3, "label_smoothing": 0.1}),
    Case("cross_entropy unbatched", "cross_entropy", lambda r: [logits(r, 4), np.array(2)],
         {"label_smoothing": 0.1}),
    Case("cross_entropy probabilities", "cross_entropy",
         lambda r: [logits(r, 5, 4), distribution(r, 5, 4)]),
    Case("cross_entropy probabilities weight, smoothing", "cross_entropy",
         lambda r: [logits(r, 5, 4), distribution(r, 5, 4)],
         {"weight": CLASS_WEIGHT_4, "label_smoothing": 0.25}),
    Case("cross_entropy probabilities (N, C, d)", "cross_entropy",
         lambda r: [logits(r, 2, 4, 3), distribution(r, 2, 4, 3)]),
    Case("nll", "nll_loss", lambda r: [logits(r, 5, 4), r.integers(0, 4, 5)]),
    Case("nll weight, ignore_index", "nll_loss",
         lambda r: [logits(r, 5, 4), ignoring(r.integers(0, 4, 5), [0, 1], 3)],
         {"weight": CLASS_WEIGHT_4, "ignore_index": 3}),
    Case("nll (N, C, d)", "nll_loss", lambda r: [logits(r, 2, 4, 3), r.integers(0, 4, (2, 3))],
         {"weight": CLASS_WEIGHT_4}),
    Case("nll unbatched", "nll_loss", lambda r: [logits(r, 4), np.array(1)]),
    # divergences and likelihoods (kl_div's 'mean' warns, as torch; 'batchmean' is tested below)
    Case("kl_div", "kl_div", lambda r: [logits(r, 4, 3), probabilities(r, 4, 3)]),
    Case("kl_div log_target", "kl_div", lambda r: [logits(r, 2, 3, 2), logits(r, 2, 3, 2)],
         {"log_target": True}),
    Case("poisson_nll", "poisson_nll_loss", lambda r: [logits(r, 4, 3), counts(r, 4, 3)]),
    Case("poisson_nll rates, full", "poisson_nll_loss",
         lambda r: [rates(r, 4, 3), rates(r, 4, 3)], {"log_input": False, "full": True}),
    Case("poisson_nll full, eps", "poisson_nll_loss", lambda r: [logits(r, 5), rates(r, 5)],
         {"full": True, "eps": 0.1}),
    Case("gaussian_nll", "gaussian_nll_loss",
         lambda r: [logits(r, 4, 3), logits(r, 4, 3), rates(r, 4, 3)]),
    Case("gaussian_nll var below eps, full", "gaussian_nll_loss",
         lambda r: [logits(r, 4, 3), logits(r, 4, 3), rates(r, 4, 3) / 10],
         {"eps": 0.2, "full": True}, gradcheck=False),
    Case("gaussian_nll var (N,)", "gaussian_nll_loss",
         lambda r: [logits(r, 4, 3), logits(r, 4, 3), rates(r, 4)]),
    Case("gaussian_nll var (N, 1, d)", "gaussian_nll_loss",
         lambda r: [logits(r, 4, 3, 2), logits(r, 4, 3, 2), rates(r, 4, 1, 2)]),
    Case("gaussian_nll var a number", "gaussian_nll_loss",
         lambda r: [logits(r, 4, 3), logits(r, 4, 3)], {"var": 0.7}),
    # margins and embeddings: ±1 labels as integers (no gradient, as torch's where gives none)
    Case("margin_ranking", "margin_ranking_loss",
         lambda r: [logits(r, 6), logits(r, 6), signs(r, 6)], {"margin": 0.5}),
    Case("margin_ranking float target", "margin_ranking_loss",
         lambda r: [logits(r, 6), logits(r, 1), signs(r, 6).astype(float)]),
    Case("triplet", "triplet_margin_loss", lambda r: [logits(r, 5, 4), logits(r, 5, 4),
                                                      logits(r, 5, 4)], {"margin": 2.0}),
    Case("triplet p=1, swap, eps", "triplet_margin_loss",
         lambda r: [logits(r, 5, 4), logits(r, 5, 4), logits(r, 1, 4)],
         {"p": 1, "swap": True, "eps": 0.01, "margin": 3.0}),
    Case("triplet unbatched p=3", "triplet_margin_loss",
         lambda r: [logits(r, 4), logits(r, 4), logits(r, 4)], {"p": 3, "margin": 4.0}),
    Case("cosine_embedding", "cosine_embedding_loss",
         lambda r: [logits(r, 6, 4), logits(r, 6, 4), signs(r, 6)], {"margin": -0.2}),
    Case("cosine_embedding labels other than ±1 count 0", "cosine_embedding_loss",
         lambda r: [logits(r, 4, 3), logits(r, 4, 3), np.array([1, 0, -1, 2])]),
    Case("cosine_embedding unbatched", "cosine_embedding_loss",
         lambda r: [logits(r, 4), logits(r, 4), np.array(-1)]),
    Case("hinge_embedding", "hinge_embedding_loss", lambda r: [logits(r, 4, 3), signs(r, 4, 3)],
         {"margin": 2.0}),
    Case("soft_margin", "soft_margin_loss", lambda r: [logits(r, 4, 3), signs(r, 4, 3)]),
    Case("multilabel_soft_margin", "multilabel_soft_margin_loss",
         lambda r: [logits(r, 4, 3), r.integers(0, 2, (4, 3))]),
    Case("multilabel_soft_margin weight, soft labels", "multilabel_soft_margin_loss",
         lambda r: [logits(r, 4, 3), probabilities(r, 4, 3)], {"weight": POS_WEIGHT_3}),
]


def run(lib, case, arrays, dtype, reduction):
    """The case's loss in lib (chainrule or torch), and its differentiable inputs."""
    functional = F if lib is cr else torch.nn.functional
    inputs = [lib.tensor(a.astype(dtype), requires_grad=True) if a.dtype.kind == "f"
              else lib.tensor(a) for a in arrays]
    options = {k: lib.tensor(v.astype(dtype)) if isinstance(v, np.ndarray) else v
               for k, v in case.options.items()}
    out = getattr(functional, case.function)(*inputs, reduction=reduction, **options)
    return out, [t for t in inputs if t.requires_grad]


def close(ours, theirs, dtype, what):
    expected = theirs.detach().numpy()
    rtol = TOLERANCES[dtype]
    assert ours.shape == tuple(theirs.shape), what
    np.testing.assert_allclose(ours.detach().numpy(), expected, rtol=rtol,
                               atol=rtol * max(1.0, float(np.abs(expected).max(initial=0))),
                               err_msg=what)


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_matches_torch(case, reduction, dtype):
    arrays = case.make(np.random.default_rng(0))
    ours, our_inputs = run(cr, case, arrays, dtype, reduction)
    theirs, their_inputs = run(torch, case, arrays, dtype, reduction)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    close(ours, theirs, dtype, f"{case.name}: loss")
    upstream = np.random.default_rng(1).standard_normal(ours.shape).astype(dtype)
    ours.backward(cr.tensor(upstream))
    theirs.backward(torch.tensor(upstream))
    for index, (x, t) in enumerate(zip(our_inputs, their_inputs)):
        close(x.grad, t.grad, dtype, f"{case.name}: gradient of input {index}")


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss")
@pytest.mark.parametrize("reduction", ["mean", "none"])  # 'sum' is 'none' then a sum
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_gradcheck(case, reduction):
    if not case.gradcheck:
        pytest.skip("torch's gradient here is not the derivative; test_matches_torch checks it")
    arrays = case.make(np.random.default_rng(0))
    _, inputs = run(cr, case, arrays, "float64", reduction)
    indices = [cr.tensor(a) for a in arrays if a.dtype.kind != "f"]
    options = {k: cr.tensor(v) if isinstance(v, np.ndarray) else v for k, v in case.options.items()}

    def loss(*floats):
        it_floats, it_indices = iter(floats), iter(indices)
        args = [next(it_floats) if a.dtype.kind == "f" else next(it_indices) for a in arrays]
        return getattr(F, case.function)(*args, reduction=reduction, **options)
    assert gradcheck(loss, inputs)


# ----- modules ------------------------------------------------------------------------------------
MODULES = [
    ("MSELoss", {}, lambda r: [logits(r, 4, 3), logits(r, 4, 3)]),
    ("MSELoss", {"reduction": "sum"}, lambda r: [logits(r, 4, 3), logits(r, 4, 3)]),
    ("MSELoss", {"size_average": False}, lambda r: [logits(r, 4, 3), logits(r, 4, 3)]),
    ("L1Loss", {"reduction": "none"}, lambda r: [logits(r, 4, 3), logits(r, 4, 3)]),
    ("L1Loss", {"reduce": False}, lambda r: [logits(r, 4, 3), logits(r, 4, 3)]),
    ("HuberLoss", {"delta": 0.5}, lambda r: [logits(r, 4, 3), logits(r, 4, 3)]),
    ("SmoothL1Loss", {"beta": 0.5, "reduction": "sum"}, lambda r: [logits(r, 4, 3),
                                                                    logits(r, 4, 3)]),
    ("BCELoss", {"weight": WEIGHT_4x3}, lambda r: [probabilities(r, 4, 3),
                                                    probabilities(r, 4, 3)]),
    ("BCEWithLogitsLoss", {"weight": WEIGHT_4x3, "pos_weight": POS_WEIGHT_3},
     lambda r: [logits(r, 4, 3), probabilities(r, 4, 3)]),
    ("NLLLoss", {"weight": CLASS_WEIGHT_4, "ignore_index": 1},
     lambda r: [logits(r, 5, 4), ignoring(r.integers(0, 4, 5), [3], 1)]),
    ("CrossEntropyLoss", {}, lambda r: [logits(r, 5, 4), r.integers(0, 4, 5)]),
    ("CrossEntropyLoss", {"weight": CLASS_WEIGHT_4, "ignore_index": 0, "label_smoothing": 0.1},
     lambda r: [logits(r, 2, 4, 3), ignoring(r.integers(0, 4, (2, 3)), [1], 0)]),
    ("CrossEntropyLoss", {"reduction": "none"}, lambda r: [logits(r, 5, 4),
                                                            distribution(r, 5, 4)]),
    ("KLDivLoss", {"reduction": "batchmean"}, lambda r: [logits(r, 4, 3), probabilities(r, 4, 3)]),
    ("KLDivLoss", {"reduction": "sum", "log_target": True}, lambda r: [logits(r, 4, 3),
                                                                        logits(r, 4, 3)]),
    ("KLDivLoss", {"size_average": False}, lambda r: [logits(r, 4, 3), probabilities(r, 4, 3)]),
    ("PoissonNLLLoss", {}, lambda r: [logits(r, 4, 3), counts(r, 4, 3)]),
    ("PoissonNLLLoss", {"log_input": False, "full": True, "eps": 1e-3, "reduction": "sum"},
     lambda r: [rates(r, 4, 3), rates(r, 4, 3)]),
    ("HingeEmbeddingLoss", {"margin": 0.5}, lambda r: [logits(r, 4, 3), signs(r, 4, 3)]),
    ("SoftMarginLoss", {"reduction": "none"}, lambda r: [logits(r, 4, 3), signs(r, 4, 3)]),
    ("MultiLabelSoftMarginLoss", {"weight": POS_WEIGHT_3},
     lambda r: [logits(r, 4, 3), r.integers(0, 2, (4, 3))]),
]


@pytest.mark.filterwarnings("ignore:size_average and reduce args will be deprecated")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name,options,make", MODULES,
                         ids=[f"{name}{options}" for name, options, _ in MODULES])
def test_modules_match_torch(name, options, make, dtype):
    def build(lib, namespace):
        converted = {k: lib.tensor(v.astype(dtype)) if isinstance(v, np.ndarray) else v
                     for k, v in options.items()}
        return getattr(namespace, name)(**converted)
    ours, theirs = build(cr, losses), build(torch, torch.nn)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.reduction == theirs.reduction
    arrays = make(np.random.default_rng(0))
    x_ours = cr.tensor(arrays[0].astype(dtype), requires_grad=True)
    x_theirs = torch.tensor(arrays[0].astype(dtype), requires_grad=True)
    target = arrays[1] if arrays[1].dtype.kind != "f" else arrays[1].astype(dtype)
    out_ours, out_theirs = ours(x_ours, cr.tensor(target)), theirs(x_theirs, torch.tensor(target))
    close(out_ours, out_theirs, dtype, f"{name}: loss")
    out_ours.sum().backward()
    out_theirs.sum().backward()
    close(x_ours.grad, x_theirs.grad, dtype, f"{name}: input gradient")


THREE_INPUT_MODULES = [
    ("MarginRankingLoss", {"margin": 0.2}, lambda r: [logits(r, 6), logits(r, 6), signs(r, 6)]),
    ("CosineEmbeddingLoss", {"margin": 0.1, "reduction": "sum"},
     lambda r: [logits(r, 5, 3), logits(r, 5, 3), signs(r, 5)]),
    ("TripletMarginLoss", {"margin": 1.5, "p": 1.0, "swap": True},
     lambda r: [logits(r, 5, 3), logits(r, 5, 3), logits(r, 5, 3)]),
    ("TripletMarginLoss", {"reduce": False}, lambda r: [logits(r, 5, 3), logits(r, 5, 3),
                                                        logits(r, 5, 3)]),
    ("GaussianNLLLoss", {"full": True, "eps": 0.05},
     lambda r: [logits(r, 5, 3), logits(r, 5, 3), rates(r, 5, 1) / 5]),
]


@pytest.mark.filterwarnings("ignore:size_average and reduce args will be deprecated")
@pytest.mark.parametrize("name,options,make", THREE_INPUT_MODULES,
                         ids=[f"{name}{options}" for name, options, _ in THREE_INPUT_MODULES])
def test_three_input_modules_match_torch(name, options, make):
    ours, theirs = getattr(losses, name)(**options), getattr(torch.nn, name)(**options)
    assert repr(ours) == repr(theirs)
    assert ours.reduction == theirs.reduction
    for attribute in ("margin", "p", "eps", "swap", "full"):
        assert getattr(ours, attribute, None) == getattr(theirs, attribute, None), attribute
    arrays = make(np.random.default_rng(0))
    for dtype in ("float32", "float64"):
        mine = [cr.tensor(a.astype(dtype), requires_grad=True) if a.dtype.kind == "f"
                else cr.tensor(a) for a in arrays]
        expected = [torch.tensor(a.astype(dtype), requires_grad=True) if a.dtype.kind == "f"
                    else torch.tensor(a) for a in arrays]
        out, out_theirs = ours(*mine), theirs(*expected)
        close(out, out_theirs, dtype, f"{name}: loss")
        out.sum().backward()
        out_theirs.sum().backward()
        for index, (x, t) in enumerate(zip(mine, expected)):
            if t.requires_grad:
                close(x.grad, t.grad, dtype, f"{name}: gradient of input {index}")


def test_kl_div_batchmean_divides_by_the_batch_and_does_not_warn():
    rng = np.random.default_rng(4)
    x, q = logits(rng, 4, 3, 2), probabilities(rng, 4, 3, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = F.kl_div(cr.tensor(x), cr.tensor(q), reduction="batchmean")
        module = losses.KLDivLoss(reduction="batchmean")(cr.tensor(x), cr.tensor(q))
        unbatched = F.kl_div(cr.tensor(x[0, 0, 0]), cr.tensor(q[0, 0, 0]), reduction="batchmean")
    expected = torch.nn.functional.kl_div(torch.tensor(x), torch.tensor(q), reduction="batchmean")
    close(ours, expected, "float64", "batchmean")
    close(module, expected, "float64", "KLDivLoss batchmean")
    np.testing.assert_allclose(ours.item(), (q * (np.log(q) - x)).sum() / 4)
    # a 0-d input has no batch dim: batchmean is the sum, as torch
    close(unbatched, torch.nn.functional.kl_div(torch.tensor(x[0, 0, 0]), torch.tensor(q[0, 0, 0]),
                                                reduction="batchmean"), "float64", "0-d batchmean")


def test_kl_div_mean_warns_as_torch():
    with pytest.warns(UserWarning, match="'batchmean' divides only by the batch size"):
        F.kl_div(cr.randn(2, 3), cr.rand(2, 3))
    with pytest.warns(UserWarning, match="'batchmean'"):
        losses.KLDivLoss()(cr.randn(2, 3), cr.rand(2, 3))


def test_kl_div_zero_target_counts_zero_with_a_finite_gradient():
    x, q = np.array([[-1.0, -2.0, -0.5]]), np.array([[0.0, 0.3, 0.7]])
    target = cr.tensor(q, requires_grad=True)
    loss = F.kl_div(cr.tensor(x), target, reduction="sum")
    expected = torch.nn.functional.kl_div(torch.tensor(x), torch.tensor(q), reduction="sum")
    close(loss, expected, "float64", "0 log 0 = 0")
    loss.backward()
    # d/dq (q log q - q x) = log q + 1 - x; at q = 0 we take q log q's part as 0 (torch: nan)
    np.testing.assert_allclose(target.grad.numpy(), [[1.0, np.log(0.3) + 1 + 2, np.log(0.7) + 1.5]])


def test_class_weights_are_buffers_that_follow_the_dtype():
    loss = losses.CrossEntropyLoss(weight=cr.tensor([1.0, 2.0, 3.0]))
    assert [name for name, _ in loss.named_buffers()] == ["weight"]
    assert list(loss.parameters()) == []
    loss.double()
    assert loss.weight.dtype == cr.float64
    assert list(losses.BCEWithLogitsLoss(pos_weight=cr.ones(2)).state_dict()) == ["pos_weight"]


# ----- numerical stability ------------------------------------------------------------------------
def test_cross_entropy_is_stable_for_huge_logits():
    x = np.array([[1e4, -1e4, 0.0], [-3e4, 2e4, 2e4 - 1]], dtype=np.float32)
    target = np.array([1, 2])
    ours = cr.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    loss = F.cross_entropy(ours, cr.tensor(target), label_smoothing=0.1)
    expected = torch.nn.functional.cross_entropy(theirs, torch.tensor(target), label_smoothing=0.1)
    loss.backward()
    expected.backward()
    close(loss, expected, "float32", "loss")
    close(ours.grad, theirs.grad, "float32", "gradient")
    assert np.isfinite(loss.item()) and np.isfinite(ours.grad.numpy()).all()


def test_bce_with_logits_is_stable_for_huge_logits_and_right_at_zero():
    x = np.array([-200.0, -40.0, 0.0, 0.0, 40.0, 200.0], dtype=np.float32)
    y = np.array([1.0, 0.0, 1.0, 0.3, 0.0, 1.0], dtype=np.float32)
    ours = cr.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(ours, cr.tensor(y), reduction="none")
    expected = torch.nn.functional.binary_cross_entropy_with_logits(theirs, torch.tensor(y),
                                                                    reduction="none")
    loss.sum().backward()
    expected.sum().backward()
    close(loss, expected, "float32", "loss")
    # at x = 0 the gradient is σ(0) - y = 0.5 - y, not the 0 - y of max(x, 0)'s kink
    close(ours.grad, theirs.grad, "float32", "gradient")


def test_bce_with_logits_gradient_keeps_its_relative_precision_when_confidently_wrong():
    # σ(x) - y for x = -15, y = 0 is 3.06e-7; computed as 1 - σ(15) in float32 it was 3.58e-7.
    # The truth is taken in float64: torch itself cancels so for y = 1 (-3.58e-7 at x = 15).
    x = np.array([-15.0, -10.0, 15.0, 10.0], dtype=np.float32)
    y = np.array([0.0, 0.0, 1.0, 1.0], dtype=np.float32)
    ours = cr.tensor(x, requires_grad=True)
    F.binary_cross_entropy_with_logits(ours, cr.tensor(y), reduction="sum").backward()
    exact = 1 / (1 + np.exp(-x.astype(np.float64))) - y
    np.testing.assert_allclose(ours.grad.numpy(), exact, rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bce_at_exactly_0_and_1_is_finite_and_has_torchs_gradients(dtype):
    """The logs are clamped at -100; the gradients are torch's formulas, not the clamped loss's
    derivative: (x - y) / max(x (1 - x), 1e-12) for the input (0 at x = y = 0, -1e12 at x = 0,
    y = 1) and -log(x / (1 - x)) for the target (±inf at 0 and 1)."""
    p = np.array([0.0, 0.0, 1.0, 1.0, 1e-45, 0.5, 0.0, 1.0, 1e-13], dtype=dtype)
    y = np.array([0.0, 0.3, 1.0, 0.6, 1.0, 0.5, 1.0, 0.0, 0.2], dtype=dtype)
    ours = [cr.tensor(p, requires_grad=True), cr.tensor(y, requires_grad=True)]
    theirs = [torch.tensor(p, requires_grad=True), torch.tensor(y, requires_grad=True)]
    loss = F.binary_cross_entropy(*ours, reduction="none")
    expected = torch.nn.functional.binary_cross_entropy(*theirs, reduction="none")
    upstream = np.linspace(0.5, 1.5, len(p)).astype(dtype)
    loss.backward(cr.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    # relative only: an absolute tolerance scaled by the 1e12 (or inf) entries would pass anything
    for what, x, t in [("loss", loss, expected), ("gradient of the input", *[ours[0].grad,
                       theirs[0].grad]), ("gradient of the target", ours[1].grad, theirs[1].grad)]:
        np.testing.assert_allclose(x.detach().numpy(), t.detach().numpy(),
                                   rtol=TOLERANCES[dtype], atol=0, err_msg=what)


def test_bce_second_derivatives_match_torch():
    """d/d(x, y) of <∇loss, w>, inside (0, 1), where torch's double backward and the derivative of
    the first one agree (they differ by its 1e-12 guards only)."""
    rng = np.random.default_rng(4)
    arrays = [probabilities(rng, 4, 3), probabilities(rng, 4, 3)]
    w = [rng.standard_normal((4, 3)) for _ in arrays]

    def seconds(lib, functional):
        inputs = [lib.tensor(a, requires_grad=True) for a in arrays]
        firsts = lib.autograd.grad(functional.binary_cross_entropy(*inputs), inputs,
                                   create_graph=True)
        total = sum((g * lib.tensor(v)).sum() for g, v in zip(firsts, w))
        return [g.detach().numpy() for g in lib.autograd.grad(total, inputs)]

    for x, t in zip(seconds(cr, F), seconds(torch, torch.nn.functional)):
        np.testing.assert_allclose(x, t, rtol=1e-9, atol=1e-12)


def test_soft_margin_loss_is_stable_at_large_margins():
    """log(1 + exp(-y x)) as a stable softplus: torch's value and gradient where torch is finite
    (float64, margins to 700), and beyond (where torch's exp overflows to inf, and its gradient
    to nan) the exact ones: the margin itself, and ±1."""
    x = np.array([700.0, -700.0, 30.0, 0.3, 1e4, -1e4, 800.0])
    y = np.array([-1.0, 1.0, 1.0, -1.0, -1.0, 1.0, 1.0])
    ours = cr.tensor(x, requires_grad=True)
    theirs = torch.tensor(x[:4], requires_grad=True)
    loss = F.soft_margin_loss(ours, cr.tensor(y), reduction="none")
    expected = torch.nn.functional.soft_margin_loss(theirs, torch.tensor(y[:4]), reduction="none")
    loss.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(loss.detach().numpy()[:4], expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.numpy()[:4], theirs.grad.numpy(), rtol=1e-12)
    np.testing.assert_array_equal(loss.detach().numpy()[4:], [1e4, 1e4, 0.0])
    np.testing.assert_array_equal(ours.grad.numpy()[4:], [1.0, -1.0, -0.0])


def test_cosine_embedding_loss_of_a_zero_vector_matches_torch():
    """Only torch's 1e-12 keeps the cosine finite there: its float32 value, in float64 too."""
    matches_torch_at(lambda L, a, b: L.nn.functional.cosine_embedding_loss(
        a, b, L.tensor([1.0, -1.0], dtype=a.dtype), margin=-0.5),
        [[0.0, 0.0], [1e-7, 0.0]], [[1.0, 0.0], [0.0, 2.0]])


def test_all_targets_ignored_gives_nan_as_torch():
    x, target = cr.randn(3, 4), cr.tensor([-100, -100, -100])
    assert np.isnan(F.cross_entropy(x, target).item())
    assert F.cross_entropy(x, target, reduction="sum").item() == 0


# ----- errors -------------------------------------------------------------------------------------
@pytest.mark.parametrize("call,error,message", [
    (lambda: F.cross_entropy(cr.randn(4, 5), cr.rand(4, 3)), ValueError,
     "cross_entropy: expected target of shape (4,) with class indices, got (4, 3) float32"),
    (lambda: F.cross_entropy(cr.randn(4, 5), cr.tensor([[1, 2]] * 4)), ValueError,
     "cross_entropy: expected target of shape (4,) with class indices, got (4, 2) int64"),
    (lambda: F.cross_entropy(cr.randn(2, 5, 3), cr.tensor([[1, 2]] * 2)), ValueError,
     "cross_entropy: expected target of shape (2, 3) with class indices, got (2, 2) int64"),
    (lambda: F.cross_entropy(cr.randn(4, 5), cr.tensor([True] * 4)), ValueError,
     "cross_entropy: expected target of shape (4,) with class indices, got (4,) bool"),
    (lambda: F.nll_loss(cr.randn(4, 5), cr.rand(4)), ValueError,
     "nll_loss: expected target of shape (4,) with class indices, got (4,) float32"),
    (lambda: F.cross_entropy(cr.randn(3, 5), cr.tensor([0, 5, 1])), IndexError,
     "cross_entropy: target 5 is out of bounds for 5 classes"),
    (lambda: F.nll_loss(cr.randn(3, 5), cr.tensor([0, -1, 1])), IndexError,
     "nll_loss: target -1 is out of bounds for 5 classes"),
    (lambda: F.cross_entropy(cr.randn(3, 5), cr.rand(3, 5), ignore_index=0), ValueError,
     "cross_entropy: ignore_index is not supported for a target of class probabilities"),
    (lambda: F.cross_entropy(cr.randn(3, 5), cr.tensor([0, 1, 2]), label_smoothing=1.5),
     ValueError, "cross_entropy: label_smoothing must be between 0.0 and 1.0, got 1.5"),
    (lambda: F.mse_loss(cr.randn(4, 1), cr.randn(4)), ValueError,
     "mse_loss: expected target of the input's shape (4, 1), got (4,)"),
    (lambda: F.l1_loss(cr.randn(4), cr.randn(4), reduction="average"), ValueError,
     "l1_loss: reduction must be 'mean', 'sum' or 'none', got 'average'"),
    (lambda: F.mse_loss(cr.randn(4), cr.randn(4), weight=cr.ones(2)), ValueError,
     "mse_loss: expected weight of the input's shape (4,), got (2,)"),
    (lambda: F.huber_loss(cr.randn(2, 3), cr.randn(3)), ValueError,
     "huber_loss: expected target of the input's shape (2, 3), got (3,)"),
    (lambda: F.smooth_l1_loss(cr.randn(3), cr.randn(2)), ValueError,
     "smooth_l1_loss: expected target of the input's shape (3,), got (2,)"),
    (lambda: F.binary_cross_entropy(cr.rand(3), cr.tensor([0, 1, 1])), ValueError,
     ("binary_cross_entropy: expected a floating-point target of the input's shape (3,), got "
      "(3,) int64")),
    (lambda: F.binary_cross_entropy(cr.randn(3) + 2, cr.rand(3)), RuntimeError,
     "binary_cross_entropy: all elements of input should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(cr.rand(3), cr.rand(3) + 2), RuntimeError,
     "binary_cross_entropy: all elements of target should be between 0 and 1"),
    (lambda: F.binary_cross_entropy_with_logits(cr.randn(4, 1), cr.rand(4)), ValueError,
     ("binary_cross_entropy_with_logits: expected a floating-point target of the input's shape "
      "(4, 1), got (4,) float32")),
    (lambda: losses.MSELoss(reduction="avg"), ValueError,
     "MSELoss: reduction must be 'mean', 'sum' or 'none', got 'avg'"),
    # class weights of the wrong length, even where every target is in range
    (lambda: F.cross_entropy(cr.randn(5, 4), cr.tensor([0, 1, 2, 0, 1]), weight=cr.ones(3)),
     RuntimeError, "cross_entropy: weight should hold one value per class: expected shape (4,) "
     "for the 4 classes of input (5, 4), got weight of shape (3,)"),
    (lambda: F.cross_entropy(cr.randn(5, 4), cr.tensor([0, 1, 2, 0, 1]), weight=cr.ones(5)),
     RuntimeError, "expected shape (4,) for the 4 classes of input (5, 4), got weight of shape "
     "(5,)"),
    (lambda: F.cross_entropy(cr.randn(5, 4), cr.tensor([0, 1, 2, 0, -100]), weight=cr.ones(4, 1)),
     RuntimeError, "got weight of shape (4, 1)"),
    (lambda: F.cross_entropy(cr.randn(5, 4), cr.rand(5, 4), weight=cr.ones(3)), RuntimeError,
     "cross_entropy: weight should hold one value per class: expected shape (4,)"),
    (lambda: F.cross_entropy(cr.randn(2, 4, 3), cr.tensor([[0, 1, 2]] * 2), weight=cr.ones(3)),
     RuntimeError, "expected shape (4,) for the 4 classes of input (2, 4, 3)"),
    (lambda: F.nll_loss(cr.randn(5, 4), cr.tensor([0, 1, 2, 0, 1]), weight=cr.ones(5),
                        ignore_index=1), RuntimeError,
     "nll_loss: weight should hold one value per class: expected shape (4,) for the 4 classes of "
     "input (5, 4), got weight of shape (5,)"),
    (lambda: losses.CrossEntropyLoss(weight=cr.ones(3))(cr.randn(5, 4), cr.tensor([0] * 5)),
     RuntimeError, "cross_entropy: weight should hold one value per class"),
    (lambda: losses.NLLLoss(weight=cr.ones(2))(cr.randn(4), cr.tensor(1)), RuntimeError,
     "nll_loss: weight should hold one value per class: expected shape (4,) for the 4 classes of "
     "input (4,)"),
    (lambda: F.cross_entropy(cr.randn(3, 4), cr.tensor([0, 4, 1]), weight=cr.ones(4)), IndexError,
     "cross_entropy: target 4 is out of bounds for 4 classes"),
    # the new losses: shapes that torch would broadcast into a wrong loss are refused
    (lambda: F.kl_div(cr.randn(4, 1), cr.rand(4), reduction="sum"), ValueError,
     "kl_div: expected target of the input's shape (4, 1), got (4,)"),
    (lambda: F.kl_div(cr.randn(4, 3), cr.rand(4, 3), reduction="avg"), ValueError,
     "kl_div: reduction must be 'none', 'batchmean', 'sum' or 'mean', got 'avg'"),
    (lambda: losses.KLDivLoss(reduction="batch"), ValueError,
     "KLDivLoss: reduction must be 'none', 'batchmean', 'sum' or 'mean', got 'batch'"),
    (lambda: F.poisson_nll_loss(cr.randn(4, 1), cr.rand(4)), ValueError,
     "poisson_nll_loss: expected target of the input's shape (4, 1), got (4,)"),
    (lambda: F.gaussian_nll_loss(cr.randn(4, 1), cr.rand(4), cr.ones(4, 1)), ValueError,
     "gaussian_nll_loss: expected target of the input's shape (4, 1), got (4,)"),
    (lambda: F.gaussian_nll_loss(cr.randn(4, 3), cr.rand(4, 3), cr.ones(3)), ValueError,
     "gaussian_nll_loss: var is of incorrect size: expected the input's shape (4, 3), it without "
     "the last dim, or it with one dim of size 1; got (3,)"),
    (lambda: F.gaussian_nll_loss(cr.randn(4), cr.rand(4), -cr.ones(4)), ValueError,
     "gaussian_nll_loss: var has negative entry/entries"),
    (lambda: F.gaussian_nll_loss(cr.randn(4), cr.rand(4), -1.0), ValueError,
     "gaussian_nll_loss: var has negative entry/entries (var=-1.0)"),
    (lambda: F.hinge_embedding_loss(cr.randn(4, 1), cr.ones(4)), ValueError,
     "hinge_embedding_loss: expected target of the input's shape (4, 1), got (4,)"),
    (lambda: F.soft_margin_loss(cr.randn(4, 1), cr.ones(4)), ValueError,
     "soft_margin_loss: expected target of the input's shape (4, 1), got (4,)"),
    (lambda: F.multilabel_soft_margin_loss(cr.randn(4, 3), cr.ones(3)), ValueError,
     "multilabel_soft_margin_loss: expected target of the input's shape (4, 3), got (3,)"),
    (lambda: F.margin_ranking_loss(cr.randn(4, 1), cr.randn(4), cr.ones(4)), RuntimeError,
     "margin_ranking_loss: expected inputs with the same number of dims, got input1 (4, 1), "
     "input2 (4,), target (4,)"),
    (lambda: F.margin_ranking_loss(cr.randn(4, 1), cr.randn(1, 4), cr.ones(4, 1)), RuntimeError,
     "margin_ranking_loss: shapes would broadcast to (4, 4), which none of them has (comparing "
     "every pair): input1 (4, 1), input2 (1, 4), target (4, 1)"),
    (lambda: F.margin_ranking_loss(cr.randn(4), cr.randn(3), cr.ones(4)), RuntimeError,
     "margin_ranking_loss: shapes do not broadcast: input1 (4,), input2 (3,), target (4,)"),
    (lambda: F.triplet_margin_loss(cr.randn(3), cr.randn(4, 3), cr.randn(4, 3)), RuntimeError,
     "triplet_margin_loss: expected inputs with the same number of dims, got anchor (3,), "
     "positive (4, 3), negative (4, 3)"),
    (lambda: F.triplet_margin_loss(cr.randn(4, 3), cr.randn(2, 3), cr.randn(4, 3)), RuntimeError,
     "triplet_margin_loss: shapes do not broadcast: anchor (4, 3), positive (2, 3), negative "
     "(4, 3)"),
    (lambda: F.triplet_margin_loss(cr.randn(4, 3), cr.randn(4, 3), cr.randn(4, 3), margin=0),
     ValueError, "triplet_margin_loss: margin must be greater than 0, got 0"),
    (lambda: losses.TripletMarginLoss(margin=-1.0), ValueError,
     "TripletMarginLoss: expected margin to be greater than 0, got -1.0 instead"),
    (lambda: F.cosine_embedding_loss(cr.randn(4, 3), cr.randn(4, 3), cr.ones(3)), RuntimeError,
     "cosine_embedding_loss: shapes do not broadcast: cosine (4,), target (3,)"),
    (lambda: F.cosine_embedding_loss(cr.randn(4, 3), cr.randn(4, 3), cr.ones(4, 1)), RuntimeError,
     "cosine_embedding_loss: 0D or 1D target tensor expected, multi-target not supported; got "
     "target of shape (4, 1)"),
    (lambda: F.cosine_embedding_loss(cr.randn(4), cr.randn(4), cr.ones(4)), RuntimeError,
     "cosine_embedding_loss: 1D target tensor expects 2D input tensors, but found inputs with "
     "sizes (4,) and (4,)"),
    (lambda: F.cosine_embedding_loss(cr.randn(4, 3), cr.randn(4, 2), cr.ones(4)), RuntimeError,
     "cosine_embedding_loss: shapes do not broadcast: input1 (4, 3), input2 (4, 2)"),
    (lambda: F.huber_loss(cr.randn(4), cr.randn(4), delta=-1.0), RuntimeError,
     "huber_loss: delta must be positive, got -1.0"),
    (lambda: F.huber_loss(cr.randn(4), cr.randn(4), delta=0.0), RuntimeError,
     "huber_loss: delta must be positive, got 0.0"),
    (lambda: F.smooth_l1_loss(cr.randn(4), cr.randn(4), beta=-1.0), RuntimeError,
     "smooth_l1_loss: beta must be non-negative, got -1.0"),
    (lambda: F.binary_cross_entropy_with_logits(cr.randn(4, 3), cr.rand(4, 3),
                                                pos_weight=cr.ones(2)), RuntimeError,
     "binary_cross_entropy_with_logits: pos_weight of shape (2,) does not broadcast to the "
     "input's shape (4, 3)"),
    (lambda: F.binary_cross_entropy_with_logits(cr.randn(4), cr.rand(4), pos_weight=cr.ones(4, 1)),
     RuntimeError, "binary_cross_entropy_with_logits: pos_weight of shape (4, 1) does not "
     "broadcast to the input's shape (4,)"),
    (lambda: F.binary_cross_entropy_with_logits(cr.randn(4, 3), cr.rand(4, 3), weight=cr.ones(4)),
     RuntimeError, "binary_cross_entropy_with_logits: weight of shape (4,) does not broadcast to "
     "the input's shape (4, 3)"),
    (lambda: F.binary_cross_entropy(cr.rand(4, 3), cr.rand(4, 3), weight=cr.ones(2)),
     RuntimeError, "binary_cross_entropy: weight of shape (2,) does not broadcast to the input's "
     "shape (4, 3)"),
    (lambda: F.kl_div(cr.randn(4), cr.tensor([0, 1, 1, 0]), reduction="sum"), RuntimeError,
     "kl_div: Integral inputs not supported; got input float32 and target int64"),
], ids=lambda value: value if isinstance(value, str) else "")
def test_errors_name_the_loss_and_the_shapes(call, error, message):
    with pytest.raises(error) as raised:
        call()
    assert message in str(raised.value)
