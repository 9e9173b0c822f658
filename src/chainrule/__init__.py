"""chainrule: deep learning from first principles, fast enough to use."""
from chainrule import autograd  # first: it loads Tensor, which the ops are built on
from chainrule import ops
from chainrule.autograd.mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from chainrule.backend import bool_ as bool
from chainrule.backend import float16, float32, float64, int32, int64, manual_seed
from chainrule.creation import (arange, empty, eye, from_numpy, full, full_like, linspace, ones,
                                ones_like, rand, rand_like, randint, randn, randn_like, tensor,
                                zeros, zeros_like)
from chainrule.tensor import Tensor

ops.bind_tensor_methods(Tensor)

# Until the ops families settle, every op family's public function is exported here too.
# (Replaced by an explicit list once the families land.)
for _family in ops.FAMILIES:
    for _name in _family.__all__:
        globals()[_name] = getattr(_family, _name)
