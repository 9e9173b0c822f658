"""chainrule.cuda answers as torch.cuda does on a machine without a GPU, and refuses to name a GPU
it does not have."""
import pytest
import torch

import chainrule as cr


def test_cuda_answers_as_torch_cuda_without_a_gpu():
    for name in ("is_available", "device_count", "is_bf16_supported", "memory_allocated",
                 "max_memory_allocated", "empty_cache"):
        assert getattr(cr.cuda, name)() == getattr(torch.cuda, name)(), name
    for name in ("manual_seed", "manual_seed_all"):
        assert getattr(cr.cuda, name)(0) is None is getattr(torch.cuda, name)(0)
    cr.cuda.synchronize()   # nothing to wait for (torch without CUDA raises here instead)


@pytest.mark.parametrize("name, args", [("current_device", ()), ("get_device_name", ()),
                                        ("set_device", (0,))])
def test_cuda_refuses_to_name_a_gpu_it_does_not_have(name, args):
    with pytest.raises((AssertionError, RuntimeError, AttributeError)):
        getattr(torch.cuda, name)(*args)
    with pytest.raises(RuntimeError, match=f"cuda.{name}: no CUDA device: chainrule computes on "
                                           "the CPU only"):
        getattr(cr.cuda, name)(*args)
