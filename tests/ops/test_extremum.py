"""max, min, amax, amin, argmax and argmin: each op's cases, checked by the shared harness, then
ties, named results and empty slices compared with torch directly."""
import numpy as np
import pytest
import torch

import chainrule
from tests.ops.harness import Case, OpChecks, distinct

# Shape sets as in test_reduce.py: whole-tensor reductions, reductions over dim 1 / -1, over dims
# (0, 2); a size-0 dim only where PyTorch allows it (max of nothing has no value).
WHOLE = [((3, 4),), ((2, 1, 3),), ((),), ((1,),)]
ALONG = [((3, 4),), ((2, 1, 3),), ((0, 3),), ((1, 1),)]
THREE = [((2, 3, 4),), ((2, 1, 3),), ((1, 0, 2),)]
NONEMPTY = [((3, 4),), ((2, 1, 3),), ((1, 1),)]

CASES = [
    Case("max", lambda L, x: x.max(), np.max, WHOLE, make=distinct),
    Case("min", lambda L, x: L.min(x), np.min, WHOLE, make=distinct),
    Case("max_dim_values", lambda L, x: x.max(1).values, lambda a: a.max(1), ALONG,
         make=distinct),
    Case("max_dim_keepdim_values", lambda L, x: L.max(x, dim=-1, keepdim=True)[0],
         lambda a: a.max(-1, keepdims=True), ALONG, make=distinct),
    Case("max_dim_indices", lambda L, x: x.max(0).indices, lambda a: a.argmax(0), NONEMPTY,
         make=distinct, differentiable=False),
    Case("min_dim_values", lambda L, x: x.min(0)[0], lambda a: a.min(0), NONEMPTY,
         make=distinct),
    Case("min_dim_keepdim_indices", lambda L, x: L.min(x, 1, True)[1],
         lambda a: a.argmin(1, keepdims=True), ALONG, make=distinct, differentiable=False),
    Case("max_of_0d_along_dim", lambda L, x: x.max(0).values, lambda a: a, [((),)]),
    Case("amax", lambda L, x: L.amax(x), np.max, NONEMPTY, make=distinct),
    Case("amax_dims", lambda L, x: x.amax((0, 2)), lambda a: a.max((0, 2)), THREE,
         make=distinct),
    Case("amin_dim_keepdim", lambda L, x: x.amin(-1, keepdim=True),
         lambda a: a.min(-1, keepdims=True), ALONG, make=distinct),
    Case("argmax", lambda L, x: x.argmax(), np.argmax, NONEMPTY, make=distinct,
         differentiable=False),
    Case("argmax_dim_keepdim", lambda L, x: L.argmax(x, 1, keepdim=True),
         lambda a: a.argmax(1, keepdims=True), ALONG, make=distinct, differentiable=False),
    Case("argmin_dim", lambda L, x: x.argmin(dim=-1), lambda a: a.argmin(-1), ALONG,
         make=distinct, differentiable=False),
    Case("argmin_keepdim", lambda L, x: L.argmin(x, keepdim=True),
         lambda a: a.argmin(keepdims=True), NONEMPTY, make=distinct, differentiable=False),
]


class TestExtremum(OpChecks):
    cases = CASES


# ----- ties: which elements get the gradient ------------------------------------------------------
TIED = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 5.0], [4.0, 4.0, 4.0, 4.0]])

TIE_CASES = {
    "max": lambda L, x: x.max(),
    "min": lambda L, x: x.min(),
    "amax_dim": lambda L, x: L.amax(x, 1),
    "amin_dims": lambda L, x: x.amin((0, 1), keepdim=True),
    "max_dim": lambda L, x: x.max(1).values,
    "min_dim_keepdim": lambda L, x: L.min(x, 0, keepdim=True).values,
}


@pytest.mark.parametrize("name", TIE_CASES)
def test_ties_share_the_gradient_as_torch_does(name):
    """Whole reductions and amax/amin split the gradient evenly among ties; max/min along a dim
    give it all to the index they return."""
    ours = chainrule.tensor(TIED, dtype=chainrule.float64, requires_grad=True)
    theirs = torch.tensor(TIED, requires_grad=True)
    out, expected = TIE_CASES[name](chainrule, ours), TIE_CASES[name](torch, theirs)
    upstream = np.arange(1.0, 1.0 + expected.numel()).reshape(expected.shape)
    out.backward(chainrule.tensor(upstream))
    expected.backward(torch.tensor(upstream))
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy())
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("dim", [None, 0, 1])
def test_arg_extremes_pick_the_first_tie_as_torch_does(name, dim):
    ours = getattr(chainrule.tensor(TIED), name)(dim)
    theirs = getattr(torch.tensor(TIED), name)(dim)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    pair = getattr(chainrule.tensor(TIED), name[3:])(dim if dim is not None else 1)
    expected = getattr(torch.tensor(TIED), name[3:])(dim if dim is not None else 1)
    np.testing.assert_array_equal(pair.indices.numpy(), expected.indices.numpy())


def test_max_along_a_dim_is_a_named_pair():
    result = chainrule.tensor(TIED).max(1)
    values, indices = result
    assert result[0] is result.values and result[1] is result.indices
    assert type(result).__name__ == "max" and type(chainrule.tensor(TIED).min(1)).__name__ == "min"
    np.testing.assert_array_equal(values.numpy(), [3.0, 5.0, 4.0])
    assert indices.dtype == chainrule.int64


def test_max_of_two_tensors_is_the_elementwise_maximum():
    a, b = chainrule.tensor([1.0, 5.0]), chainrule.tensor([3.0, 2.0])
    np.testing.assert_array_equal(chainrule.max(a, b).numpy(), [3.0, 5.0])
    np.testing.assert_array_equal(a.min(b).numpy(), [1.0, 2.0])


# ----- errors ---------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["max", "min", "amax", "amin", "argmax", "argmin"])
def test_reducing_a_size_0_dim_without_an_identity_raises_as_torch(name):
    x = chainrule.zeros(0, 3)
    with pytest.raises(IndexError, match=rf"{name}: .*dim 0 of size 0"):
        getattr(x, name)(0)
    with pytest.raises(IndexError):
        getattr(torch.zeros(0, 3), name)(0)
    with pytest.raises(RuntimeError if name[:3] != "arg" else IndexError, match=name):
        getattr(x, name)()


def test_max_with_nan_sends_the_gradient_to_the_nan():
    values = [1.0, float("nan"), 3.0, 2.0]
    ours = chainrule.tensor(values, dtype=chainrule.float64, requires_grad=True)
    theirs = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    ours.max().backward()
    theirs.max().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
