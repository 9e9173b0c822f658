"""The one dim check every op uses: accepted dims, and errors worded as PyTorch words them."""
import numpy as np
import pytest
import torch

import chainrule
from chainrule.ops.dims import int_args, normalize_dim, normalize_dims


@pytest.mark.parametrize("dim, shape, extra, expected", [
    (0, (2, 3), 0, 0), (-1, (2, 3), 0, 1), (-2, (2, 3), 0, 0),
    (0, (), 0, 0), (-1, (), 0, 0),              # a 0-d tensor accepts dim 0 and -1
    (2, (2, 3), 1, 2), (-3, (2, 3), 1, 0),      # unsqueeze and stack count the new dim
    (np.int64(1), (2, 3), 0, 1), (chainrule.tensor(1), (2, 3), 0, 1),
])
def test_normalize_dim_accepts(dim, shape, extra, expected):
    assert normalize_dim("op", dim, shape, extra) == expected


@pytest.mark.parametrize("shape, dim", [((2, 3), 2), ((2, 3), -3), ((), 1), ((4,), -2)])
def test_out_of_range_is_worded_as_torch(shape, dim):
    with pytest.raises(IndexError) as theirs:
        torch.ones(shape).sum(dim)
    with pytest.raises(IndexError) as ours:
        normalize_dim("sum", dim, shape)
    assert str(ours.value) == f"sum: {theirs.value} for a tensor of shape {shape}"


@pytest.mark.parametrize("dim", [1.0, True, "1", (0,)])
def test_a_dim_that_is_not_an_int_is_a_type_error(dim):
    with pytest.raises(TypeError, match="op: dim must be an int"):
        normalize_dim("op", dim, (2, 3))


@pytest.mark.parametrize("dims, expected", [
    (None, (0, 1, 2)), (1, (1,)), (-1, (2,)), ((2, 0), (2, 0)), ([-1, -3], (2, 0)), ((), ()),
])
def test_normalize_dims_keeps_the_order_given(dims, expected):
    assert normalize_dims("op", dims, (2, 3, 4)) == expected


def test_a_repeated_dim_is_a_runtime_error_naming_the_op():
    with pytest.raises(RuntimeError, match=r"flip: dim 1 appears more than once .*\(2, 3\)"):
        normalize_dims("flip", (1, -1), (2, 3))


@pytest.mark.parametrize("args, expected", [((1, 0), (1, 0)), (((1, 0),), (1, 0)),
                                            (([2, 3],), (2, 3)), ((), ())])
def test_int_args_takes_varargs_or_one_sequence(args, expected):
    assert int_args(args) == expected
