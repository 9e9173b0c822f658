"""torch.utils.tensorboard on chainrule: tensorboardX's SummaryWriter (the same API, the same
event files), taking chainrule Tensors wherever it takes arrays. Imported only when a program
asks for it, so chainrule itself does not load tensorboardX."""
import functools

import tensorboardX

from chainrule.tensor import Tensor

__all__ = ["SummaryWriter"]


def _plain(value):
    """A chainrule Tensor as the NumPy array tensorboardX understands; containers element-wise."""
    if isinstance(value, Tensor):
        return value.detach().numpy()
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)) and any(isinstance(item, Tensor) for item in value):
        return type(value)(_plain(item) for item in value)
    return value


def _taking_tensors(method):
    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        return method(self, *[_plain(a) for a in args],
                      **{key: _plain(value) for key, value in kwargs.items()})
    return wrapper


class SummaryWriter(tensorboardX.SummaryWriter):
    """tensorboardX.SummaryWriter whose add_* methods accept chainrule Tensors."""

    def add_graph(self, model, input_to_model=None, *args, **kwargs):
        raise NotImplementedError(
            "SummaryWriter.add_graph: chainrule does not trace models into TensorBoard graphs "
            "(that needs torch.jit); log scalars and histograms instead, or print(model)")


for _name in dir(tensorboardX.SummaryWriter):
    if _name.startswith("add_") and _name != "add_graph":
        setattr(SummaryWriter, _name, _taking_tensors(getattr(tensorboardX.SummaryWriter, _name)))
