"""vjp, jvp, jacobian, hessian, hvp and vhp against torch.autograd.functional, and the Jacobian of a
composition assembled from backprop's rows, checked against the chain rule and finite differences.

Each function is written once as fn(lib, *tensors) and run with lib = chainrule and lib = torch.
"""
from dataclasses import dataclass

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import chainrule
from chainrule.autograd import functional as F

TOLERANCE = dict(rtol=1e-10, atol=1e-10)


def constant(lib, values):
    return lib.tensor(values, dtype=lib.float64)


@dataclass
class Fn:
    name: str
    fn: object            # fn(lib, *tensors) -> a tensor or a tuple of tensors
    shapes: tuple         # one input shape per argument
    as_tuple: bool = False    # pass the inputs as a tuple even when there is one

    @property
    def scalar(self):
        out = self.fn(torch, *[torch.ones(s, dtype=torch.float64) for s in self.shapes])
        return isinstance(out, torch.Tensor) and out.numel() == 1


FUNCTIONS = [
    Fn("cubic", lambda L, x: x ** 3 - 2 * x * x, ((3,),)),
    Fn("rational_matrix", lambda L, x: x / (1 + x * x), ((2, 3),)),
    Fn("energy", lambda L, x: (x ** 4 - 3 * x * x).sum() / 4, ((2, 2),)),
    Fn("scalar_in", lambda L, x: x * constant(L, [1.0, 2.0, 3.0]) + x ** 3, ((),)),
    Fn("one_in_a_tuple", lambda L, x: x * x * x, ((2,),), as_tuple=True),
    Fn("broadcast_pair", lambda L, x, y: x * y + y / (1 + x * x), ((3,), (2, 3))),
    Fn("two_outputs", lambda L, x, y: (x * y, x ** 2 - y), ((3,), (3,))),
    Fn("scalar_pair", lambda L, x, y: (x * x * y + y ** 3).sum(), ((3,), (3,))),
    Fn("unused_input", lambda L, x, y: x * x, ((2,), (3,))),
    Fn("exp_reducer", lambda L, x: x.exp().sum(dim=1), ((2, 3),)),
    Fn("linear_model", lambda L, x: x @ constant(L, [[2.0, -1.0], [0.5, 1.0]]).T + 1, ((4, 2),)),
    Fn("sin_matmul", lambda L, a, b: (L.sin(a) @ b).sum(), ((2, 3), (3, 2))),
]
SCALAR_FUNCTIONS = [f for f in FUNCTIONS if f.scalar]


def make_inputs(case, seed=0):
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(0.5, 1.5, shape) * rng.choice([-1.0, 1.0], shape)
              for shape in case.shapes]
    ours = tuple(chainrule.tensor(a, dtype=chainrule.float64) for a in arrays)
    theirs = tuple(torch.tensor(a, dtype=torch.float64) for a in arrays)
    if len(arrays) == 1 and not case.as_tuple:
        return ours[0], theirs[0]
    return ours, theirs


def like(tensors, seed):
    """Random tensors of the shapes of `tensors` (a tensor or a tuple), in both libraries."""
    rng = np.random.default_rng(seed)
    single = isinstance(tensors, torch.Tensor)
    arrays = [rng.standard_normal(tuple(t.shape)) for t in ((tensors,) if single else tensors)]
    ours = tuple(chainrule.tensor(a, dtype=chainrule.float64) for a in arrays)
    theirs = tuple(torch.tensor(a) for a in arrays)
    return (ours[0], theirs[0]) if single else (ours, theirs)


def assert_same(ours, theirs, path="result"):
    """Same nesting of tuples, same shapes, same values to 1e-10."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, chainrule.Tensor), f"{path}: expected a Tensor, got {type(ours)}"
        assert tuple(ours.shape) == tuple(theirs.shape), \
            f"{path}: shape {ours.shape}, torch's {tuple(theirs.shape)}"
        np.testing.assert_allclose(ours.detach().numpy(), theirs.detach().numpy(), **TOLERANCE,
                                   err_msg=path)
        return
    assert isinstance(ours, tuple), f"{path}: expected a tuple, got {type(ours)}"
    assert len(ours) == len(theirs), f"{path}: {len(ours)} entries, torch has {len(theirs)}"
    for index, (a, b) in enumerate(zip(ours, theirs)):
        assert_same(a, b, f"{path}[{index}]")


def wrap(case, lib):
    return lambda *xs: case.fn(lib, *xs)


# ----- against torch.autograd.functional --------------------------------------------------------
@pytest.mark.parametrize("case", FUNCTIONS, ids=lambda c: c.name)
def test_vjp_matches_torch(case):
    x, tx = make_inputs(case)
    v, tv = like(case.fn(torch, *(tx if isinstance(tx, tuple) else (tx,))), seed=1)
    assert_same(F.vjp(wrap(case, chainrule), x, v), TF.vjp(wrap(case, torch), tx, tv))


@pytest.mark.parametrize("case", FUNCTIONS, ids=lambda c: c.name)
def test_jvp_matches_torch(case):
    x, tx = make_inputs(case)
    v, tv = like(tx, seed=2)
    assert_same(F.jvp(wrap(case, chainrule), x, v), TF.jvp(wrap(case, torch), tx, tv))


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("case", FUNCTIONS, ids=lambda c: c.name)
def test_jacobian_matches_torch(case, vectorize):
    x, tx = make_inputs(case)
    assert_same(F.jacobian(wrap(case, chainrule), x, vectorize=vectorize),
                TF.jacobian(wrap(case, torch), tx))


@pytest.mark.parametrize("case", SCALAR_FUNCTIONS, ids=lambda c: c.name)
def test_hessian_matches_torch(case):
    x, tx = make_inputs(case)
    assert_same(F.hessian(wrap(case, chainrule), x), TF.hessian(wrap(case, torch), tx))


@pytest.mark.parametrize("transform", ["hvp", "vhp"])
@pytest.mark.parametrize("case", SCALAR_FUNCTIONS, ids=lambda c: c.name)
def test_hessian_vector_products_match_torch(case, transform):
    x, tx = make_inputs(case)
    v, tv = like(tx, seed=3)
    assert_same(getattr(F, transform)(wrap(case, chainrule), x, v),
                getattr(TF, transform)(wrap(case, torch), tx, tv))


@pytest.mark.parametrize("case", SCALAR_FUNCTIONS, ids=lambda c: c.name)
def test_vjp_of_a_scalar_output_may_leave_out_v(case):
    x, tx = make_inputs(case)
    assert_same(F.vjp(wrap(case, chainrule), x), TF.vjp(wrap(case, torch), tx))


def test_jvp_and_hvp_of_a_single_element_input_may_leave_out_v():
    x, tx = chainrule.tensor(0.7, dtype=chainrule.float64), torch.tensor(0.7, dtype=torch.float64)
    assert_same(F.jvp(lambda t: t ** 3 * constant(chainrule, [1.0, 2.0]), x),
                TF.jvp(lambda t: t ** 3 * constant(torch, [1.0, 2.0]), tx))
    for name in ("hvp", "vhp"):
        assert_same(getattr(F, name)(lambda t: t ** 4, x), getattr(TF, name)(lambda t: t ** 4, tx))


# ----- create_graph: the results are differentiable with respect to the caller's tensors ---------
SECOND_ORDER = {
    "vjp": lambda M, L, f, x, v: M.vjp(f, x, v, create_graph=True)[1],
    "jvp": lambda M, L, f, x, v: M.jvp(f, x, v, create_graph=True)[1],
    "jacobian": lambda M, L, f, x, v: M.jacobian(f, x, create_graph=True),
    "hessian": lambda M, L, f, x, v: M.hessian(lambda t: f(t).sum(), x, create_graph=True),
    "hvp": lambda M, L, f, x, v: M.hvp(lambda t: f(t).sum(), x, v, create_graph=True)[1],
    "vhp": lambda M, L, f, x, v: M.vhp(lambda t: f(t).sum(), x, v, create_graph=True)[1],
}


@pytest.mark.parametrize("transform", list(SECOND_ORDER))
def test_create_graph_results_are_differentiable_like_torch(transform):
    results = []
    for M, L in ((F, chainrule), (TF, torch)):
        x = L.tensor([0.3, -1.2, 0.8], dtype=L.float64, requires_grad=True)
        v = L.tensor([1.0, -0.5, 2.0], dtype=L.float64)
        result = SECOND_ORDER[transform](M, L, lambda t: t ** 4 / (1 + t * t), x, v)
        assert result.requires_grad
        weights = L.tensor(np.linspace(-1.0, 1.0, result.numel()).reshape(tuple(result.shape)),
                           dtype=L.float64)
        (result * weights).sum().backward()
        results.append((result, x.grad))
    assert_same(results[0], results[1])


def test_create_graph_false_gives_detached_results_and_touches_no_grad():
    x = chainrule.tensor([0.5, -1.0], dtype=chainrule.float64, requires_grad=True)
    before = x.detach().numpy().copy()
    out, product = F.vjp(lambda t: t ** 3, x, chainrule.tensor([1.0, 1.0], dtype=chainrule.float64))
    jac = F.jacobian(lambda t: t ** 3, x)
    for t in (out, product, jac):
        assert not t.requires_grad and t.grad_fn is None
    assert x.grad is None
    np.testing.assert_array_equal(x.detach().numpy(), before)


def test_func_differentiates_fresh_copies_not_the_tensors_it_closes_over():
    """f(t) = t * x with x also the point: the Jacobian in t is diag(x), not diag(2x)."""
    x, tx = constant(chainrule, [1.0, -2.0]), constant(torch, [1.0, -2.0])
    assert_same(F.jacobian(lambda t: t * x, x), TF.jacobian(lambda t: t * tx, tx))
    x.requires_grad_(True)
    tx.requires_grad_(True)
    assert_same(F.jacobian(lambda t: t * x, x, create_graph=True),
                TF.jacobian(lambda t: t * tx, tx, create_graph=True))


# ----- structure, strict mode and errors -------------------------------------------------------
def test_jacobian_shapes_follow_torch():
    x = chainrule.zeros(2, 3, dtype=chainrule.float64)
    y = chainrule.zeros(4, dtype=chainrule.float64)
    single = F.jacobian(lambda a: a * 2, x)
    assert isinstance(single, chainrule.Tensor) and single.shape == (2, 3, 2, 3)
    per_input = F.jacobian(lambda a, b: a * 2, (x, y))
    assert [j.shape for j in per_input] == [(2, 3, 2, 3), (2, 3, 4)]
    nested = F.jacobian(lambda a, b: (a * 2, b * 3), (x, y))
    assert [[j.shape for j in row] for row in nested] == [[(2, 3, 2, 3), (2, 3, 4)],
                                                          [(4, 2, 3), (4, 4)]]
    hess = F.hessian(lambda a, b: (a * a).sum() + (b * b * b).sum(), (x, y))
    assert [[h.shape for h in row] for row in hess] == [[(2, 3, 2, 3), (2, 3, 4)],
                                                        [(4, 2, 3), (4, 4)]]


STRICT = [
    ("vjp", lambda f, x: F.vjp(f, x, (chainrule.ones(2, dtype=chainrule.float64),), strict=True)),
    ("jvp", lambda f, x: F.jvp(f, x, tuple(chainrule.ones_like(t) for t in x), strict=True)),
    ("jacobian", lambda f, x: F.jacobian(f, x, strict=True)),
]


@pytest.mark.parametrize("name,call", STRICT, ids=[s[0] for s in STRICT])
def test_strict_rejects_an_input_the_outputs_do_not_depend_on(name, call):
    x = (chainrule.ones(2, dtype=chainrule.float64), chainrule.ones(3, dtype=chainrule.float64))
    with pytest.raises(RuntimeError, match=r"strict=True.*input 1"):
        call(lambda a, b: (a * a,), x)


@pytest.mark.parametrize("name", ["hessian", "hvp", "vhp"])
def test_strict_rejects_a_function_linear_in_an_input(name):
    """d²f/db² is identically zero: strict raises, otherwise the zeros match torch's."""
    def f(a, b):
        return (a * a + b).sum()
    x, tx = make_inputs(Fn("linear_in_b", None, ((2,), (2,))))
    v, tv = like(tx, seed=4)
    ours, theirs = ((x,), (tx,)) if name == "hessian" else ((x, v), (tx, tv))
    with pytest.raises(RuntimeError, match="strict=True"):
        getattr(F, name)(f, *ours, strict=True)
    assert_same(getattr(F, name)(f, *ours), getattr(TF, name)(f, *theirs))


def test_strict_rejects_an_output_that_does_not_require_grad():
    x = chainrule.ones(2, dtype=chainrule.float64)
    with pytest.raises(RuntimeError, match=r"strict=True.*output 0.*does not require grad"):
        F.jacobian(lambda a: chainrule.ones(2, dtype=chainrule.float64), x, strict=True)
    assert_same(F.jacobian(lambda a: chainrule.ones(2, dtype=chainrule.float64), x),
                TF.jacobian(lambda a: torch.ones(2, dtype=torch.float64), torch.ones(2)))


def cube(x):
    return x ** 3


ERRORS = [
    ("vjp v of the wrong shape", lambda x: F.vjp(cube, x, chainrule.ones(3)),
     r"vjp\(cube\): v has shape \(3,\) but the outputs of func have shape \(2, 2\)"),
    ("jvp v of the wrong shape", lambda x: F.jvp(cube, x, chainrule.ones(4)),
     r"jvp\(cube\): v has shape \(4,\) but the inputs have shape \(2, 2\)"),
    ("hvp v of the wrong length", lambda x: F.hvp(lambda a: a.sum(), x, (x, x)),
     r"hvp\(<lambda>\): v has 2 tensors but the inputs are 1 tensor of shape \(2, 2\)"),
    ("vjp without v for a non-scalar output", lambda x: F.vjp(cube, x),
     r"vjp\(cube\): v may be left out only .* shapes \(2, 2\)"),
    ("jvp without v for a non-scalar input", lambda x: F.jvp(cube, x),
     r"jvp\(cube\): v may be left out only"),
    ("hessian of a non-scalar function", lambda x: F.hessian(cube, x),
     r"hessian\(cube\): func must return a tensor with one element, got one of shape \(2, 2\)"),
    ("forward mode", lambda x: F.jacobian(cube, x, strategy="forward-mode"),
     r"jacobian\(cube\): strategy='forward-mode' is not implemented"),
    ("a list of inputs", lambda x: F.jacobian(cube, [x]), r"must be a Tensor or a tuple"),
]


@pytest.mark.parametrize("call,message", [e[1:] for e in ERRORS], ids=[e[0] for e in ERRORS])
def test_errors_name_the_function_and_the_shapes(call, message):
    with pytest.raises((RuntimeError, NotImplementedError, TypeError), match=message):
        call(chainrule.ones(2, 2, dtype=chainrule.float64))


# ----- the Jacobian of a composition is the product of its layers' Jacobians -------------------
# f = f3 ∘ f2 ∘ f1: an affine map, an elementwise nonlinearity, another affine map.
N, M, K = 4, 5, 3
RNG = np.random.default_rng(7)
W1, B1 = RNG.standard_normal((M, N)), RNG.standard_normal(M)
W2, B2 = RNG.standard_normal((K, M)), RNG.standard_normal(K)
X0 = RNG.standard_normal(N)


def squash(z):
    """s(z) = z / (1 + z²);  s'(z) = (1 - z²) / (1 + z²)²"""
    return z / (1 + z * z)


def composition(lib):
    w1, b1, w2, b2 = (constant(lib, a.tolist()) for a in (W1, B1, W2, B2))

    def f(x):                    # R^N -> R^K
        z1 = w1 @ x + b1         # f1
        a1 = squash(z1)          # f2
        return w2 @ a1 + b2      # f3
    return f


def chain_rule_jacobian():
    """J3 · J2 · J1, each layer's Jacobian written by hand in NumPy."""
    z1 = W1 @ X0 + B1
    j1 = W1                                              # d(W1 x + b1)/dx
    j2 = np.diag((1 - z1 ** 2) / (1 + z1 ** 2) ** 2)     # d s(z1)/dz1, diagonal
    j3 = W2                                              # d(W2 a + b2)/da
    return j3 @ j2 @ j1


def backprop_jacobian(f):
    """Row i of J is e_iᵀ J: one backward pass seeded with the i-th output unit vector."""
    rows = []
    for i in range(K):
        x = chainrule.tensor(X0, dtype=chainrule.float64, requires_grad=True)
        f(x).backward(chainrule.tensor(np.eye(K)[i], dtype=chainrule.float64))
        rows.append(x.grad.numpy())
    return np.stack(rows)


def central_difference_jacobian(f, step=1e-5):
    """Column j of J is (f(x + h e_j) - f(x - h e_j)) / 2h."""
    columns = []
    with chainrule.no_grad():
        for j in range(N):
            shift = step * np.eye(N)[j]
            plus = f(chainrule.tensor(X0 + shift, dtype=chainrule.float64)).numpy()
            minus = f(chainrule.tensor(X0 - shift, dtype=chainrule.float64)).numpy()
            columns.append((plus - minus) / (2 * step))
    return np.stack(columns, axis=1)


def test_backprop_rows_assemble_the_chain_rule_jacobian():
    f = composition(chainrule)
    from_backprop = backprop_jacobian(f)
    np.testing.assert_allclose(from_backprop, chain_rule_jacobian(), **TOLERANCE)
    np.testing.assert_allclose(from_backprop, central_difference_jacobian(f), rtol=1e-7, atol=1e-8)
    jac = F.jacobian(f, chainrule.tensor(X0, dtype=chainrule.float64))
    assert jac.shape == (K, N)
    np.testing.assert_allclose(jac.numpy(), from_backprop, **TOLERANCE)
    expected = TF.jacobian(composition(torch), torch.tensor(X0)).numpy()
    np.testing.assert_allclose(from_backprop, expected, **TOLERANCE)


def test_vjp_and_jvp_of_the_composition_are_products_with_its_jacobian():
    f, jac = composition(chainrule), chain_rule_jacobian()
    x = chainrule.tensor(X0, dtype=chainrule.float64)
    u, w = RNG.standard_normal(K), RNG.standard_normal(N)
    _, row = F.vjp(f, x, chainrule.tensor(u, dtype=chainrule.float64))
    _, column = F.jvp(f, x, chainrule.tensor(w, dtype=chainrule.float64))
    np.testing.assert_allclose(row.numpy(), u @ jac, **TOLERANCE)          # uᵀ J
    np.testing.assert_allclose(column.numpy(), jac @ w, **TOLERANCE)       # J w
