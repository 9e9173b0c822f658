"""chainrule.amp: automatic mixed precision, as torch.amp, on a machine where it does nothing.

Mixed precision trades float32 for float16/bfloat16 on GPUs; chainrule computes in float32 on the
CPU, so `autocast` leaves every op's dtype alone and `GradScaler` is disabled (as torch's is when
CUDA is not available): training code written for AMP runs unchanged and computes in float32.
"""
from chainrule.amp.autocast import autocast, is_autocast_available
from chainrule.amp.grad_scaler import GradScaler

__all__ = ["GradScaler", "autocast", "is_autocast_available"]
