"""The storage queries (stride, is_contiguous, element_size ...): torch's answers."""
import pytest
import torch

import chainrule


@pytest.mark.parametrize("make", [lambda L: L.ones(2, 3), lambda L: L.ones(2, 3).t(),
                                  lambda L: L.ones(4, 6, dtype=L.float64)[:, ::2],
                                  lambda L: L.zeros(5, dtype=L.int16)],
                         ids=["contiguous", "transposed", "strided", "int16"])
def test_storage_answers_are_torchs(make):
    mine, theirs = make(chainrule), make(torch)
    assert mine.stride() == theirs.stride() and mine.stride(-1) == theirs.stride(-1)
    assert mine.is_contiguous() == theirs.is_contiguous()
    assert mine.element_size() == theirs.element_size() and mine.itemsize == theirs.itemsize
    assert mine.nbytes == theirs.nbytes and mine.ndimension() == theirs.ndimension()
    assert mine.get_device() == theirs.get_device() == -1
    assert mine.is_signed() == theirs.is_signed() and mine.is_complex() == theirs.is_complex()
    assert mine.layout is chainrule.strided and isinstance(mine.data_ptr(), int)
    assert mine.share_memory_() is mine and not mine.is_pinned()


def test_pin_memory_is_refused_clearly():
    with pytest.raises(RuntimeError, match="pin_memory: pinned memory needs an accelerator"):
        chainrule.ones(2).pin_memory()
