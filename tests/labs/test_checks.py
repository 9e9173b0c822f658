"""The checks a lab's tests call: each passes on a right answer and, on a wrong one, raises
AssertionError with a message naming what was checked, the values and where."""
import math

import numpy as np
import pytest

import chainrule as torch
from chainrule.labs.checks import check_close, check_equal, check_shape, check_true

PASSES = [
    (check_close, (torch.tensor([1.0, 2.0]), [1.0, 2.0], "x")),
    (check_close, (torch.tensor([1.0, 2.0 + 1e-7]), np.array([1.0, 2.0]), "x")),
    (check_close, (3.0, 3, "x")),
    (check_close, ([[1, 2]], torch.tensor([[1.0, 2.0]]), "x")),
    (check_close, (torch.tensor([math.nan]), [math.nan], "x")),
    (check_equal, (torch.Size([2, 3]), (2, 3), "x")),
    (check_equal, (torch.tensor([1, 2]), [1, 2], "x")),
    (check_equal, ("a", "a", "x")),
    (check_shape, (torch.zeros(2, 3), (2, 3), "x")),
    (check_true, (torch.tensor(True), "m")),
    (check_true, (1 < 2, "m")),
]

FAILS = [
    (check_close, (torch.tensor([1.0, 2.5]), [1.0, 2.0], "f(x)"),
     r"f\(x\): 2\.5 at \(1,\), expected 2 .*1 of 2 values differ"),
    (check_close, (torch.ones(2, 3), [1.0, 2.0], "f(x)"), r"f\(x\): shape \(2, 3\), expected \(2,\)"),
    (check_close, (torch.ones(3), 1.0, "broadcast"), r"shape \(3,\), expected \(\)"),
    (check_close, (math.nan, 1.0, "n"), r"n: NaN at \(\), expected 1"),
    (check_close, (None, 1.0, "r"), r"r: got None \(did the function forget to return\?\)"),
    (check_close, ("text", 1.0, "s"), r"s: got values of dtype <U4, expected numbers"),
    (check_close, (torch.tensor([1.0, math.inf]), [1.0, 2.0], "i"), r"i: inf at \(1,\)"),
    (check_equal, (3, 4, "count"), r"count: 3, expected 4"),
    (check_equal, (torch.tensor([1, 2]), [1, 3], "labels"), r"labels: \[1, 2\], expected \[1, 3\]"),
    (check_shape, (torch.zeros(2), (3,), "y"), r"y: shape \(2,\), expected \(3,\)"),
    (check_shape, ([1, 2], (2,), "y"), r"y: expected a tensor of shape \(2,\), got list"),
    (check_true, (torch.tensor(False), "must hold"), r"^must hold$"),
]


@pytest.mark.parametrize("check, args", PASSES)
def test_a_right_answer_passes(check, args):
    check(*args)


@pytest.mark.parametrize("check, args, message", FAILS)
def test_a_wrong_answer_says_what_where_and_by_how_much(check, args, message):
    with pytest.raises(AssertionError, match=message):
        check(*args)


def test_tolerances_are_keywords_and_relative_to_the_expected_value():
    check_close(torch.tensor([100.5]), [100.0], "x", rtol=1e-2)
    with pytest.raises(AssertionError, match="rtol 0.001"):
        check_close(torch.tensor([100.5]), [100.0], "x", rtol=1e-3)
    check_close(torch.tensor([0.05]), [0.0], "x", atol=0.1)


def test_a_tensor_that_requires_grad_is_compared_by_value():
    check_close(torch.ones(2, requires_grad=True) * 2, [2.0, 2.0], "x")


class Agreeable:
    """An answer that agrees with everything it is compared with."""
    shape = (5, 4)

    def __eq__(self, other):
        return True

    def __bool__(self):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.ones(1)


class AgreeableInt(int):
    def __eq__(self, other):
        return True


class AgreeableTensor(torch.Tensor):
    def numpy(self):
        return np.ones(1)


@pytest.mark.parametrize("check, args", [
    (check_close, (Agreeable(), [1.0], "x")),
    (check_close, ([Agreeable()], [1.0], "x")),
    (check_equal, (Agreeable(), 3, "x")),
    (check_equal, (AgreeableInt(1), 3, "x")),
    (check_equal, ({"a": Agreeable()}, {"a": 3}, "x")),
    (check_shape, (Agreeable(), (5, 4), "x")),
    (check_true, (Agreeable(), "x")),
    (check_close, (AgreeableTensor.__new__(AgreeableTensor), [1.0], "x")),
])
def test_an_answer_that_agrees_with_everything_fails(check, args):
    with pytest.raises(AssertionError, match="x"):
        check(*args)


def test_numpy_scalars_parameters_and_sizes_are_plain_answers():
    check_equal(np.int64(3), 3, "x")
    check_close(np.float32(1.0), 1.0, "x")
    check_close(torch.nn.Parameter(torch.ones(2)), [1.0, 1.0], "x")
    check_equal(torch.zeros(2, 3).shape, (2, 3), "x")
    check_true(np.bool_(True), "x")
