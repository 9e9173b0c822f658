"""dtypes: the differentiable cast and PyTorch's type promotion, against torch."""
import numpy as np
import torch

import chainrule
from tests.ops.harness import Case, OpChecks

UNARY = [((3, 4),), ((2, 1, 3),), ((),), ((0, 2),)]


class TestDtypes(OpChecks):
    cases = [
        # Finite differences through a float32 round trip carry ~1e-7 / 1e-6 relative noise.
        Case("to_float32", lambda L, a: a.to(L.float32), lambda a: a.astype(np.float32), UNARY,
             double=False, atol=0.1, rtol=0.1),
        # bfloat16 is float32 storage rounded to bfloat16; its values are torch's exactly. The
        # rounding is piecewise constant, so its gradient (dy, as a cast) is checked below.
        Case("to_bfloat16", lambda L, a: a.to(L.bfloat16).to(a.dtype),
             lambda a: bfloat16_values(a), UNARY, differentiable=False,
             torch_rtol={"float32": 0.0, "float64": 0.0}),
    ]


def bfloat16_values(a):
    """NumPy's float32 with the low 16 bits rounded away (to nearest, ties to even)."""
    bits = a.astype(np.float32).view(np.uint32).astype(np.uint64)
    rounded = ((bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000).astype(np.uint32)
    return np.where(np.isnan(a), a, rounded.view(np.float32)).astype(a.dtype)


def test_promotion_follows_torch():
    """A dimensioned tensor outranks a 0-d one of its category; a higher category always wins."""
    pairs = [([1, 2], 1.5), ([1, 2], True), ([True], 2), ([True], 2.5)]
    for left, right in pairs:
        assert str((chainrule.tensor(left) + right).dtype) == \
            str((torch.tensor(left) + right).dtype).removeprefix("torch.")
    dtypes = ["float32", "float64", "int32", "int64", "bool", "float16"]
    for da in dtypes:
        for db in dtypes:
            for shape_a, shape_b in [((2,), ()), ((), (2,)), ((2,), (2,)), ((), ())]:
                ours = chainrule.ones(shape_a, dtype=da) * chainrule.ones(shape_b, dtype=db)
                theirs = (torch.ones(shape_a, dtype=getattr(torch, da))
                          * torch.ones(shape_b, dtype=getattr(torch, db)))
                expected = str(theirs.dtype).removeprefix("torch.")
                assert str(ours.dtype) == expected, (da, shape_a, db, shape_b)


def test_promoted_float_operand_keeps_its_gradient():
    scale = chainrule.tensor(2.0, dtype=chainrule.float64, requires_grad=True)
    x = chainrule.tensor([1.0, 3.0], requires_grad=True)
    y = x * scale
    assert y.dtype == chainrule.float32
    y.backward(chainrule.ones(2))
    assert scale.grad.dtype == chainrule.float64 and scale.grad.item() == 4.0
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
