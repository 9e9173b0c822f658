"""chainrule.cuda.amp: torch.cuda.amp's GradScaler and autocast (deprecated in torch for
torch.amp's), with their signatures; both do nothing in chainrule (see chainrule.amp)."""
from chainrule import amp as _amp


class GradScaler(_amp.GradScaler):
    """torch.cuda.amp.GradScaler(init_scale=2.**16, growth_factor=2.0, backoff_factor=0.5,
    growth_interval=2000, enabled=True): chainrule.amp.GradScaler("cuda", ...), disabled."""

    def __init__(self, init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        super().__init__("cuda", init_scale, growth_factor, backoff_factor, growth_interval,
                         enabled)


class autocast(_amp.autocast):
    """torch.cuda.amp.autocast(enabled=True, dtype=float16, cache_enabled=True):
    chainrule.amp.autocast("cuda", ...), which does nothing."""

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        super().__init__("cuda", dtype, enabled, cache_enabled)
