"""Parameter: a Tensor that a Module registers as something to train; factory_kwargs, the one
path a layer's device= and dtype= take to its parameters and buffers."""
from chainrule import backend
from chainrule.placement import check_device, check_floating
from chainrule.tensor import Tensor, share_memory


class Parameter(Tensor):
    """A leaf tensor that requires grad (by default) and is listed by Module.parameters().

    Parameter(t) shares t's memory and version counter, as torch.nn.Parameter(t) does; results of
    operations on a Parameter are plain Tensors.
    """
    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = []
        if isinstance(data, Tensor):
            self.array = data.array
            share_memory(data, self)
            self.grad, self.grad_fn, self._hooks, self._requires_grad = None, None, None, False
        else:
            super().__init__(data)
        self.requires_grad_(requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        # copy.deepcopy(model) must give new Parameters (not Tensors) with their own memory
        if id(self) not in memo:
            copy = Parameter(self.array.copy(), self.requires_grad)
            if self.grad is not None:
                copy.grad = Tensor._make(self.grad.array.copy())
            memo[id(self)] = copy
        return memo[id(self)]


def factory_kwargs(owner, device=None, dtype=None):
    """torch's factory keywords of a layer, checked once, here, in the layer's name: the device
    (the CPU only) and a floating dtype for the parameters. Every layer with parameters or buffers
    calls it and passes the result on to creation functions and sublayers, as torch's layers do
    with their `factory_kwargs`."""
    check_device(device, owner)
    if dtype is not None:
        check_floating(owner, backend.to_dtype(dtype), "parameters")
    return {"device": device, "dtype": dtype}
