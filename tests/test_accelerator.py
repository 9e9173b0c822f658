"""chainrule.accelerator answers as torch.accelerator does with no accelerator."""
import torch

import chainrule as cr


def test_accelerator_answers_as_torchs_with_none():
    assert cr.accelerator.is_available() is torch.accelerator.is_available() is False
    assert cr.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert cr.accelerator.device_count() == torch.accelerator.device_count() == 0
