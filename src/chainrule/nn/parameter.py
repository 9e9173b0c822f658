"""Parameter: a Tensor that a Module registers as something to train."""
from chainrule.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad (by default) and is listed by Module.parameters()."""
    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = []
        super().__init__(data.detach() if isinstance(data, Tensor) else data)
        if isinstance(data, Tensor):
            self.array = data.array  # share memory, as torch.nn.Parameter(t) does
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
