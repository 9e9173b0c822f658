"""DataParallel: one process, the module as is (torch does the same without a GPU)."""
from chainrule.nn.module import Module
from chainrule.placement import check_device


class DataParallel(Module):
    """Wraps a module to split each batch across GPUs; with none (always, in chainrule) forward
    calls the module directly, as torch does without CUDA. The wrapped module is `.module`, so
    state_dict keys gain a "module." prefix, as torch's do.

    Args:
        module: the module to run.
        device_ids, output_device: GPUs to use; only None (or CPU devices) are accepted.
        dim: the batch dimension that would be split.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: expected an nn.Module, got {type(module).__name__}")
        for device in list(device_ids or []) + [output_device]:
            check_device(device, "DataParallel")
        self.module = module
        self.device_ids, self.output_device, self.dim = [], None, dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
