"""Integer ops (gcd, lcm, bitwise_not, shifts and the << and >> operators) against torch."""
import numpy as np
import pytest
import torch

import chainrule

A = np.array([12, -18, 7, 0, -1])
B = np.array([8, 12, 5, 4, 3])


@pytest.mark.parametrize("call", [
    lambda L: L.gcd(L.tensor(A), L.tensor(B)), lambda L: L.lcm(L.tensor(A), L.tensor(B)),
    lambda L: L.bitwise_not(L.tensor(A)), lambda L: L.bitwise_not(L.tensor(A > 0)),
    lambda L: L.bitwise_left_shift(L.tensor(A), 2), lambda L: L.tensor(A) << L.tensor([1]),
    lambda L: L.tensor(A) >> 2, lambda L: 3 << L.tensor([0, 1, 2]), lambda L: 64 >> L.tensor([3]),
    lambda L: L.bitwise_right_shift(L.tensor(A, dtype=L.int32), L.tensor(B % 3, dtype=L.int32)),
])
def test_integer_ops_match_torch(call):
    ours, theirs = call(chainrule), call(torch)
    assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_in_place_shifts_and_gcd_match_torch():
    results = []
    for lib in (chainrule, torch):
        x = lib.tensor(A.copy())
        x <<= 1
        x.bitwise_right_shift_(2)
        x.gcd_(lib.tensor(B))
        results.append(x.numpy())
    np.testing.assert_array_equal(results[0], results[1])


@pytest.mark.parametrize("call, words", [
    (lambda x: x << 1, ["bitwise_left_shift", "float32", "(3, 4)"]),
    (lambda x: chainrule.gcd(x, x), ["gcd", "integer", "float32"]),
    (lambda x: chainrule.bitwise_not(x), ["bitwise_not", "float32"]),
])
def test_floats_are_refused_by_name(call, words):
    with pytest.raises(RuntimeError) as info:
        call(chainrule.zeros(3, 4))
    for word in words:
        assert word in str(info.value), str(info.value)
