"""Variable, as modern torch keeps it for old code: `Variable(tensor, requires_grad=True)` returns
a Tensor (Variable and Tensor merged in PyTorch 0.4), and every Tensor is an instance of it."""
from chainrule.tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, instance):   # isinstance(t, Variable) for any Tensor, as torch
        return isinstance(instance, Tensor)

    def __subclasscheck__(cls, subclass):
        return issubclass(subclass, Tensor)


class Variable(metaclass=_VariableMeta):
    """Variable(data, requires_grad=False): a new leaf tensor sharing data's memory (data itself
    is left as it was). `.data`, `.grad` and `.backward()` are the Tensor's own. The old
    `volatile=True` flag was removed by torch; use `with chainrule.no_grad():`."""

    def __new__(cls, data=None, requires_grad=False):
        if data is None:
            return Tensor([])
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        result = data.detach()
        if requires_grad:
            result.requires_grad_(True)
        return result
