"""Long comparison names, predicates and index helpers against torch."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks

CASES = [
    Case("greater", lambda L, a, b: L.greater(a, b) & a.less_equal(b).logical_not(),
         lambda a, b: a > b, [((3, 4), (4,))], differentiable=False),
    Case("not_equal", lambda L, a, b: L.not_equal(a, a.round()) | L.less(a, b)
         | a.greater_equal(b), lambda a, b: (a != np.round(a)) | (a < b) | (a >= b),
         [((3, 4), (3, 4))], differentiable=False),
    Case("diagflat", lambda L, x: L.diagflat(x), lambda a: np.diagflat(a), [((2, 2),), ((3,),)]),
    Case("diagflat_offset", lambda L, x: x.diagflat(-1), lambda a: np.diagflat(a, -1),
         [((3,),)]),
]


class TestPredicates(OpChecks):
    cases = CASES


def test_predicates_match_torch():
    data = np.array([np.inf, -np.inf, np.nan, 1.0, -0.0])
    for name in ("isposinf", "isneginf", "isreal"):
        ours = getattr(chainrule, name)(chainrule.tensor(data))
        assert ours.dtype == chainrule.bool
        np.testing.assert_array_equal(ours.numpy(), getattr(torch, name)(torch.tensor(data)))
    for dtype in ("float32", "int64", "uint8", "bool"):
        assert chainrule.ones(1, dtype=getattr(chainrule, dtype)).is_signed() == \
            torch.ones(1, dtype=getattr(torch, dtype)).is_signed()
    assert chainrule.is_same_size(chainrule.ones(2, 3), chainrule.zeros(2, 3))
    assert not chainrule.ones(2).is_same_size(chainrule.ones(3))


def test_detach_function_cuts_the_graph_and_shares_memory():
    x = chainrule.ones(3, requires_grad=True) * 2
    y = chainrule.detach(x)
    assert not y.requires_grad and y.grad_fn is None
    np.testing.assert_array_equal(y.numpy(), x.detach().numpy())


def test_nextafter_matches_torch():
    a, b = np.array([1.0, 0.0, -2.0], np.float32), np.array([2.0, -1.0, -2.0], np.float32)
    ours = chainrule.nextafter(chainrule.tensor(a), chainrule.tensor(b))
    np.testing.assert_array_equal(ours.numpy(), torch.nextafter(torch.tensor(a),
                                                                torch.tensor(b)).numpy())


def test_unravel_index_matches_torch():
    ours = chainrule.unravel_index(chainrule.tensor([[5, 7], [0, -1]]), (2, 4))
    theirs = torch.unravel_index(torch.tensor([[5, 7], [0, -1]]), (2, 4))
    for o, t in zip(ours, theirs):
        assert o.dtype == chainrule.int64
        np.testing.assert_array_equal(o.numpy(), t.numpy())


@pytest.mark.parametrize("call, words", [
    (lambda x: chainrule.unravel_index(chainrule.tensor([8]), (2, 4)), ["unravel_index", "(2, 4)"]),
    (lambda x: chainrule.unravel_index(x, (3, 4)), ["unravel_index", "integer"]),
    (lambda x: chainrule.nextafter(x.long(), x.long()), ["nextafter", "int64"]),
    (lambda x: chainrule.isposinf(x.numpy()), ["isposinf", "ndarray"]),
])
def test_errors_name_the_op(call, words):
    with pytest.raises((RuntimeError, TypeError)) as info:
        call(chainrule.zeros(3, 4))
    for word in words:
        assert word in str(info.value), str(info.value)
