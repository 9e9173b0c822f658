"""DistributedDataParallel: one model replica per process (chainrule.distributed), each training
on its share of the batch, their gradients averaged during backward so that every replica takes
the same step. The averaging itself is reducer.py's."""
import contextlib
import warnings

from chainrule.distributed.work import wait_for
from chainrule.distributed.group import default_group, resolve
from chainrule.distributed.objects import all_gather_object
from chainrule.grad_mode import is_grad_enabled
from chainrule.nn.module import Module
from chainrule.nn.parallel.reducer import Reducer
from chainrule.placement import check_device

__all__ = ["DistributedDataParallel"]

_MB = 1024 * 1024
_FIRST_BUCKET_MB = 1   # torch's: a small first bucket, so that communication starts early


class DistributedDataParallel(Module):
    """Wraps module for data-parallel training across the ranks of a process group.

    At construction, rank 0's parameters (and buffers, with broadcast_buffers) are copied to every
    rank. Each forward runs the module (after copying rank 0's buffers again, with
    broadcast_buffers, when the forward before it was one whose gradients sync); its backward
    averages the parameters' gradients over the ranks, bucket by bucket as they are ready, so
    after backward every rank holds the gradient of the mean loss over all ranks' samples.

    Args:
        module: the model (`.module`; state_dict keys gain a "module." prefix, as torch's).
        device_ids, output_device: only None or CPU devices (chainrule computes on CPUs).
        forward_sync_buffers (default True): copy rank 0's buffers (BatchNorm's running
            statistics) to every rank at the start of each forward that follows a forward with
            grad outside no_sync (torch's rule); broadcast_buffers, its deprecated name, also
            decides whether they are copied at construction.
        init_sync: copy rank 0's parameters (and buffers) to every rank at construction.
        process_group: the group to average over (default: the world).
        bucket_cap_mb: a bucket's size in MiB (default 25, the first 1, as torch's);
            bucket_cap_mb_list: each bucket's (the last repeated).
        find_unused_parameters: allow parameters that get no gradient in a backward (averaged as
            zeros; one that no rank used keeps its .grad). Without it, that is an error.
        gradient_as_bucket_view, static_graph, check_reduction, skip_all_reduce_unused_params,
            batched_grad_copy: accepted for torch's programs; they change no result here.
    Use no_sync() to accumulate gradients locally over several backwards.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0, broadcast_buffers=None,
                 init_sync=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False,
                 delay_all_reduce_named_params=None, param_to_hook_all_reduce=None,
                 mixed_precision=None, device_mesh=None, skip_all_reduce_unused_params=False,
                 bucket_cap_mb_list=None, batched_grad_copy=False, forward_sync_buffers=None):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected an nn.Module, got "
                            f"{type(module).__name__}")
        for device in list(device_ids or []) + [output_device]:
            check_device(device, "DistributedDataParallel")
        default_group("DistributedDataParallel")
        pg = resolve(process_group, "DistributedDataParallel")
        if pg is None:
            raise ValueError("DistributedDataParallel: this rank is not a member of "
                             "process_group")
        named = [(name, p) for name, p in module.named_parameters() if p.requires_grad]
        if not named:
            raise RuntimeError("DistributedDataParallel is not needed when a module doesn't have "
                               "any parameter that requires a gradient.")
        self.module = module
        self.process_group, self.find_unused_parameters = pg, find_unused_parameters
        self.dim, self.device_ids, self.output_device = dim, None, None
        self.forward_sync_buffers, init_buffers = _buffer_flags(broadcast_buffers,
                                                                forward_sync_buffers)
        self.require_backward_grad_sync = self.require_forward_param_sync = True
        _check_same_model(pg, module)
        if init_sync:
            self._sync_states(list(module.parameters()) +
                              (list(module.buffers()) if init_buffers else []))
        caps = [_MB * mb for mb in bucket_cap_mb_list] if bucket_cap_mb_list else \
            [min(_FIRST_BUCKET_MB * _MB, _MB * (bucket_cap_mb or 25)), _MB * (bucket_cap_mb or 25)]
        self.reducer = Reducer([p for _, p in named], {id(p): name for name, p in named}, pg,
                               caps, find_unused_parameters)
        self._hooks = [p.register_post_accumulate_grad_hook(self.reducer.ready)
                       for _, p in named]

    @property
    def broadcast_buffers(self):
        return self.forward_sync_buffers   # torch's older name

    def forward(self, *inputs, **kwargs):
        # torch's rule, in training and eval mode alike: a forward after one that synced its
        # gradients gets rank 0's buffers (so the first eval forward uses rank 0's statistics)
        if self.forward_sync_buffers and self.require_forward_param_sync:
            self._sync_states(list(self.module.buffers()))
        self.require_forward_param_sync = is_grad_enabled() and self.require_backward_grad_sync
        if self.require_forward_param_sync:
            self.reducer.prepare()
        elif is_grad_enabled():   # inside no_sync (a forward without grad changes nothing)
            self.reducer.expecting = False
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Within it, backward only accumulates each rank's own gradients into .grad; the first
        backward after it averages what has accumulated (gradient accumulation)."""
        previous, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def _sync_states(self, tensors):
        """Every rank's tensors ← rank 0's (of the group), in place."""
        pg = self.process_group
        if pg.size() == 1:
            return
        for t in tensors:
            array = t.array
            buffer = array if array.flags.c_contiguous else array.copy()
            wait_for(pg.comm.Ibcast(buffer, root=0), pg.timeout, "DistributedDataParallel")
            if buffer is not array:
                array[...] = buffer
            t._version[0] += 1


def _buffer_flags(broadcast_buffers, forward_sync_buffers):
    """(sync buffers at each forward, sync them at construction), as torch 2.13 reads its two
    flags: broadcast_buffers (deprecated, with torch's warning) sets both; forward_sync_buffers
    only the first, and wins when both are given."""
    if broadcast_buffers is not None:
        warnings.warn("`broadcast_buffers` is deprecated. Use `forward_sync_buffers` instead "
                      "(unlike `broadcast_buffers=False`, `forward_sync_buffers=False` still "
                      "syncs buffers at init)", FutureWarning, stacklevel=3)
    if forward_sync_buffers is not None:
        return forward_sync_buffers, True
    both = True if broadcast_buffers is None else broadcast_buffers
    return both, both


def _check_same_model(pg, module):
    """Refuse, on every rank, replicas whose parameters and buffers differ in name, shape or
    dtype (the buckets and broadcasts assume one layout everywhere)."""
    layout = [(name, tuple(t.shape), str(t.dtype)) for name, t in
              list(module.named_parameters()) + list(module.named_buffers())]
    layouts = [None] * pg.size()
    all_gather_object(layouts, layout, group=pg)
    for rank, other in zip(pg.ranks, layouts):
        if other != layouts[0]:
            first = next((a, b) for a, b in zip(layouts[0] + [None], other + [None]) if a != b)
            raise RuntimeError(
                "DistributedDataParallel: the model differs across ranks (every rank must build "
                f"the same model): rank {pg.ranks[0]} has {len(layouts[0])} parameters and "
                f"buffers, rank {rank} has {len(other)}; the first difference: rank "
                f"{pg.ranks[0]} has {_entry(first[0])}, rank {rank} has {_entry(first[1])}")


def _entry(entry):
    return "nothing more" if entry is None else f"{entry[0]} {entry[2]} {entry[1]}"

