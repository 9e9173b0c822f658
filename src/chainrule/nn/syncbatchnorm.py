"""SyncBatchNorm: batch normalization whose statistics are those of the global batch, every
rank's samples together, as when one process trains on the whole batch (data-parallel training,
chainrule.distributed); convert_sync_batchnorm turns a model's BatchNorm layers into it."""
from chainrule import creation
from chainrule.distributed.group import is_initialized, resolve
from chainrule.distributed.nn.functional import all_reduce
from chainrule.nn.functional.norm import _affine, _update_running_stats
from chainrule.nn.norm import _BatchNorm, _InstanceNorm
from chainrule.ops.join import cat

__all__ = ["SyncBatchNorm"]


class SyncBatchNorm(_BatchNorm):
    """BatchNorm over every rank's batch: in training, with more than one rank in process_group,
    each channel's mean and variance are summed over the ranks (two differentiable all-reduces,
    so the backward reaches every rank's samples too) and the running statistics follow the
    global batch; in evaluation, or in a world of one, it is BatchNorm.

    Args: num_features (C), eps=1e-5, momentum=0.1 (or None), affine=True,
    track_running_stats=True, process_group=None (the world), device=None, dtype=None.
    Shape: input (N, C, *) -> output of the same shape. Every rank of the group must call it.
    Gradient: nn.functional.batch_norm in evaluation and in one process; in training across
    ranks, the same composition with the channel sums passed through the differentiable
    all-reduce of chainrule.distributed (AllReduceSum), whose backward sums over the ranks.
    """

    expected = "(N, C, *)"
    dims = tuple(range(2, 33))

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype)
        self.process_group = process_group

    def _check_input(self, x):
        if x.ndim < 2:
            raise ValueError(f"{self!r}: expected at least 2D input (got {x.ndim}D input)")
        super()._check_input(x)

    def forward(self, x):
        group = self._group()
        if not self.training or group is None:
            return super().forward(x)
        self._check_input(x)
        return _sync_batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                                self._batch_momentum(), self.eps, group)

    def _group(self):
        """The group to sum over, or None when there is nothing to sum (a world of one)."""
        if not is_initialized():
            return None
        group = resolve(self.process_group, "SyncBatchNorm")
        return group if group is not None and group.size() > 1 else None

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """module with each BatchNorm layer in it replaced by a SyncBatchNorm holding the same
        parameters and buffers (the same tensors, as torch's)."""
        converted = module
        if isinstance(module, _BatchNorm) and not isinstance(module, (_InstanceNorm, cls)):
            converted = cls(module.num_features, module.eps, module.momentum, module.affine,
                            module.track_running_stats, process_group)
            for name in ("weight", "bias"):
                if getattr(module, name) is not None:
                    converted.register_parameter(name, getattr(module, name))
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                converted.register_buffer(name, getattr(module, name))
            converted.training = module.training
        for name, child in module.named_children():
            converted.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return converted


def _sync_batch_norm(x, running_mean, running_var, weight, bias, momentum, eps, group):
    """batch_norm in training, with the moments of the global batch."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    local_count = creation.full((1,), x.numel() // x.shape[1], dtype=x.dtype)
    sums = all_reduce(cat([x.sum(axes), local_count]), group=group)
    count = float(sums[-1].item())
    mean = sums[:-1] / count
    centered = x - mean.reshape(shape)
    var = all_reduce(centered.square().sum(axes), group=group) / count
    if running_mean is not None:
        _update_running_stats(running_mean, running_var, mean, var, momentum, count)
    return _affine(centered, (var.reshape(shape) + eps).rsqrt(), weight, bias, shape)
