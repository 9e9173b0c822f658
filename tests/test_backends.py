"""chainrule.backends (cudnn, cuda, mps): torch's flags with torch's defaults, settable."""
import torch

import chainrule as cr


def test_backend_flags_have_torchs_defaults_and_can_be_set():
    # torch's documented defaults, not its live flags: a ported program run earlier in the same
    # process (tests/ports) may have set torch.backends.cudnn.benchmark = True
    defaults = {"benchmark": False, "deterministic": False, "enabled": True, "allow_tf32": True}
    assert {name: getattr(cr.backends.cudnn, name) for name in defaults} == defaults
    assert cr.backends.cudnn.is_available() is torch.backends.cudnn.is_available() is False
    assert cr.backends.cuda.matmul.allow_tf32 is False   # torch's default since 1.12
    assert cr.backends.mps.is_available() is torch.backends.mps.is_available() is False
    try:
        cr.backends.cudnn.benchmark = True
        cr.backends.cuda.matmul.allow_tf32 = True
        assert cr.backends.cudnn.benchmark and cr.backends.cuda.matmul.allow_tf32
    finally:
        cr.backends.cudnn.benchmark = False
        cr.backends.cuda.matmul.allow_tf32 = False
