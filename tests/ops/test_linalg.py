"""Matrix products (matmul, mm, bmm, dot, outer) and einsum: each op's cases, checked by the shared
harness, and the errors that bad shapes and dtypes raise."""
import numpy as np
import pytest

import torch

import chainrule
import chainrule as cr
from tests.ops.harness import Case, OpChecks

# Every 1-D/2-D/N-D pairing, batch broadcasting both ways, and size-0 and size-1 dims.
MATMUL = [
    ((3,), (3,)), ((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)),
    ((4,), (2, 4, 3)), ((2, 3, 4), (4,)), ((4,), (2, 1, 4, 3)),
    ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)), ((2, 2, 3, 4), (4, 2)), ((3, 4), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 2)), ((3, 1, 4), (1, 4, 2)),
    ((0, 3), (3, 2)), ((3, 0), (0, 2)), ((2, 0, 3), (3, 2)), ((2, 3, 0), (0, 4)), ((0,), (0,)),
    ((1, 1), (1, 1)), ((1,), (1,)), ((1,), (1, 1, 2)),
]


def einsum_case(equation, shapes, name=None):
    return Case(name or f"einsum[{equation}]", lambda L, *xs: L.einsum(equation, *xs),
                lambda *xs: np.einsum(equation, *xs), shapes)


CASES = [
    Case("matmul", lambda L, a, b: L.matmul(a, b), np.matmul, MATMUL),
    Case("matmul_operator", lambda L, a, b: a @ b, np.matmul, [((3, 4), (4, 2)), ((4,), (4,))]),
    Case("matmul_method", lambda L, a, b: a.matmul(b), np.matmul, [((2, 3, 4), (4,))]),
    Case("mm", lambda L, a, b: L.mm(a, b), np.matmul,
         [((3, 4), (4, 2)), ((0, 3), (3, 2)), ((3, 0), (0, 2)), ((1, 1), (1, 1))]),
    Case("mm_method", lambda L, a, b: a.mm(b), np.matmul, [((2, 3), (3, 4))]),
    Case("bmm", lambda L, a, b: L.bmm(a, b), np.matmul,
         [((2, 3, 4), (2, 4, 5)), ((0, 3, 4), (0, 4, 2)), ((2, 3, 0), (2, 0, 2)),
          ((1, 1, 1), (1, 1, 1))]),
    Case("bmm_method", lambda L, a, b: a.bmm(b), np.matmul, [((2, 3, 4), (2, 4, 1))]),
    Case("dot", lambda L, a, b: L.dot(a, b), np.dot, [((3,), (3,)), ((0,), (0,)), ((1,), (1,))]),
    Case("dot_method", lambda L, a, b: a.dot(b), np.dot, [((5,), (5,))]),
    Case("outer", lambda L, a, b: L.outer(a, b), np.outer,
         [((3,), (4,)), ((0,), (2,)), ((1,), (1,))]),
    Case("outer_method", lambda L, a, b: a.outer(b), np.outer, [((2,), (3,))]),
    # the equations attention and linear layers use, and the usual small ones
    einsum_case("ij,jk->ik", [((3, 4), (4, 2)), ((3, 0), (0, 2)), ((3, 1), (4, 2))]),
    einsum_case("bij,bjk->bik", [((2, 3, 4), (2, 4, 5))]),
    einsum_case("bhqd,bhkd->bhqk", [((2, 3, 4, 5), (2, 3, 6, 5))]),
    einsum_case("bhqk,bhkd->bhqd", [((2, 3, 4, 6), (2, 3, 6, 5))]),
    einsum_case("i,i->", [((3,), (3,)), ((0,), (0,))]),
    einsum_case("ij->ji", [((3, 4),)]),
    einsum_case("ij->j", [((3, 4),), ((0, 3),), ((3, 1),)]),
    einsum_case("i,j->ij", [((3,), (4,))]),
    einsum_case("bi,bi->b", [((2, 3), (2, 3)), ((2, 3), (1, 3))]),
    einsum_case("ij,ij->i", [((2, 3), (2, 1))]),          # size 1 broadcast along a summed letter
    einsum_case("ij,k->jk", [((3, 4), (2,))]),             # i only in operand 0, summed out
    einsum_case("ij,jk,kl->il", [((2, 3), (3, 4), (4, 5))]),
    einsum_case(",i->i", [((), (3,))]),
    einsum_case("ij", [((3, 4),)], "einsum[ij implicit]"),
    einsum_case("ba", [((3, 4),)], "einsum[ba implicit]"),   # implicit output sorts: 'ab'
    einsum_case("ij,jk", [((3, 4), (4, 2))], "einsum[ij,jk implicit]"),
    einsum_case("i,i", [((3,), (3,))], "einsum[i,i implicit]"),
    einsum_case("b i , b j -> b i j", [((2, 3), (2, 4))], "einsum[spaces]"),
    Case("einsum_list", lambda L, a, b: L.einsum("ij,jk->ik", [a, b]),
         lambda a, b: a @ b, [((2, 3), (3, 2))]),
]


class TestLinalg(OpChecks):
    cases = CASES


# ----- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("shapes, message", [
    (((3, 4), (5, 2)), r"matmul: shapes \(3, 4\) and \(5, 2\) cannot be multiplied \(4 != 5\)"),
    (((3,), (4,)), r"matmul: shapes \(3,\) and \(4,\) cannot be multiplied \(3 != 4\)"),
    (((3, 4), (3,)), r"matmul: shapes \(3, 4\) and \(3,\) cannot be multiplied \(4 != 3\)"),
    (((2, 3, 4), (3, 4, 2)), r"matmul: .*\(2, 3, 4\) and \(3, 4, 2\).*batch dims \(2,\) and "
                             r"\(3,\) cannot be broadcast"),
    (((), (3,)), r"matmul: both operands need at least 1 dim, got shapes \(\) and \(3,\)"),
    (((3,), ()), r"matmul: both operands need at least 1 dim, got shapes \(3,\) and \(\)"),
])
def test_matmul_shape_errors(shapes, message):
    a, b = (cr.ones(*shape) for shape in shapes)
    with pytest.raises(RuntimeError, match=message):
        a @ b


def test_matmul_mixed_dtypes():
    with pytest.raises(RuntimeError, match=r"matmul: expected both operands to have the same "
                                           r"dtype, got float32 and float64"):
        cr.ones(3, 4) @ cr.ones(4, 2, dtype=cr.float64)
    with pytest.raises(RuntimeError, match=r"matmul: .*same dtype, got float32 and int64"):
        cr.ones(3, 4) @ cr.ones(4, 2, dtype=cr.int64)
    with pytest.raises(RuntimeError, match=r"dot: .*same dtype, got float32 and float64"):
        cr.dot(cr.ones(3), cr.ones(3, dtype=cr.float64))


def test_matmul_of_bool_is_not_implemented():
    with pytest.raises(NotImplementedError, match="matmul: .*bool"):
        cr.ones(2, 2, dtype=cr.bool) @ cr.ones(2, 2, dtype=cr.bool)


@pytest.mark.parametrize("call, message", [
    (lambda: cr.mm(cr.ones(3), cr.ones(3, 2)), r"mm: expected two 2-D tensors, got shapes \(3,\)"),
    (lambda: cr.mm(cr.ones(3, 4), cr.ones(3, 2)), r"mm: shapes \(3, 4\) and \(3, 2\) cannot be "
                                                  r"multiplied \(4 != 3\)"),
    (lambda: cr.bmm(cr.ones(3, 4), cr.ones(4, 2)), r"bmm: expected two 3-D tensors"),
    (lambda: cr.bmm(cr.ones(2, 3, 4), cr.ones(1, 4, 2)), r"bmm: .*different batch sizes "
                                                         r"\(2 != 1\); bmm does not broadcast"),
    (lambda: cr.bmm(cr.ones(2, 3, 4), cr.ones(2, 5, 2)), r"bmm: .*cannot be multiplied \(4 != 5\)"),
    (lambda: cr.dot(cr.ones(3, 1), cr.ones(3)), r"dot: expected two 1-D tensors"),
    (lambda: cr.dot(cr.ones(3), cr.ones(4)), r"dot: .*\(3,\) and \(4,\).*\(3 != 4\)"),
    (lambda: cr.outer(cr.ones(3, 1), cr.ones(3)), r"outer: expected two 1-D tensors"),
])
def test_strict_forms_check_shapes(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


@pytest.mark.parametrize("equation, shapes, error, message", [
    ("ij,jk->ik", [(3, 4), (5, 2)], RuntimeError, r"letter j has size 5 in operand 1"),
    ("ij,jk->ik", [(3, 4)], RuntimeError, r"names 2 operands but 1 were given"),
    ("ijk,jk->ik", [(3, 4), (4, 2)], RuntimeError, r"operand 0 has shape \(3, 4\) but its "
                                                   r"subscripts 'ijk' name 3 dims"),
    ("ij,jk->iz", [(3, 4), (4, 2)], RuntimeError, r"output letter z"),
    ("ij,jk->ii", [(3, 4), (4, 2)], RuntimeError, r"output letter i"),
    ("i1,i", [(3, 1), (3,)], RuntimeError, r"invalid subscript '1'"),
    ("ii->i", [(3, 3)], NotImplementedError, r"einsum\('ii->i'\): a letter repeated"),
    ("...ij->...ji", [(2, 3, 4)], NotImplementedError, r"'\.\.\.' is not supported"),
])
def test_einsum_errors(equation, shapes, error, message):
    with pytest.raises(error, match=message):
        cr.einsum(equation, *(cr.ones(*shape) for shape in shapes))


def test_einsum_mixed_dtypes():
    with pytest.raises(RuntimeError, match=r"einsum\('ij,jk->ik'\): expected operands of one "
                                           r"dtype, got float32, float64"):
        cr.einsum("ij,jk->ik", cr.ones(3, 4), cr.ones(4, 2, dtype=cr.float64))


# ----- dtypes and operators ------------------------------------------------------------------
def test_integer_products_stay_integer():
    a = cr.tensor([[1, 2], [3, 4]])
    assert (a @ a).dtype == cr.int64 and (a @ a).tolist() == [[7, 10], [15, 22]]
    assert cr.dot(cr.tensor([1, 2]), cr.tensor([3, 4])).item() == 11
    assert cr.einsum("ij->j", a).tolist() == [4, 6]


def test_outer_promotes_like_mul():
    assert cr.outer(cr.ones(2), cr.ones(3, dtype=cr.float64)).dtype == cr.float64
    assert cr.outer(cr.ones(2), cr.ones(3, dtype=cr.int64)).dtype == cr.float32
    x = cr.ones(2, requires_grad=True)
    cr.outer(x, cr.tensor([1.0, 2.0], dtype=cr.float64)).backward(cr.ones(2, 2, dtype=cr.float64))
    assert x.grad.dtype == cr.float32 and x.grad.tolist() == [3.0, 3.0]


def test_array_on_the_left_of_at():
    a = np.arange(6.0).reshape(2, 3)
    b = cr.ones(3, 2, dtype=cr.float64, requires_grad=True)
    out = a @ b
    assert isinstance(out, cr.Tensor) and out.shape == (2, 2)
    np.testing.assert_allclose(out.detach().numpy(), a @ np.ones((3, 2)))


def test_results_are_arrays_not_views():
    """A dot product is a 0-d array (not a NumPy scalar) and einsum never hands back a view of
    its input, which in-place updates would change behind the graph's back."""
    out = cr.dot(cr.ones(3), cr.ones(3))
    assert out.shape == () and isinstance(out.array, np.ndarray)
    a = cr.ones(2, 3)
    transposed = cr.einsum("ij->ji", a)
    assert not np.shares_memory(transposed.array, a.array)


def test_a_long_thin_product_split_into_partial_products_matches_torch():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((6, 8192)), rng.standard_normal((8192, 5))
    ours = [chainrule.tensor(v, requires_grad=True) for v in (a, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    out, expected = ours[0] @ ours[1], theirs[0] @ theirs[1]
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-10)
    upstream = rng.standard_normal((6, 5))
    out.backward(chainrule.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    for x, t in zip(ours, theirs):
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10)


LINEAR = [((5, 3), (4, 3), (4,)), ((2, 5, 3), (4, 3), (4,)), ((3,), (4, 3), (4,)),
          ((0, 3), (2, 3), (2,)), ((2, 1), (1, 1), (1,))]


class TestLinear(OpChecks):
    cases = [
        Case("linear", lambda L, x, w, b: L.nn.functional.linear(x, w, b),
             lambda x, w, b: x @ w.T + b, LINEAR),
        Case("linear_no_bias", lambda L, x, w: L.nn.functional.linear(x, w),
             lambda x, w: x @ w.T, [s[:2] for s in LINEAR]),
    ]


def test_linear_names_mismatched_shapes():
    with pytest.raises(RuntimeError, match=r"linear: input of shape \(2, 3\) and weight of shape "
                                           r"\(4, 5\)"):
        chainrule.nn.functional.linear(chainrule.ones(2, 3), chainrule.ones(4, 5))
