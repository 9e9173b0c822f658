"""GradScaler: torch's loss scaling for float16 gradients; always disabled in chainrule."""
import warnings


class GradScaler:
    """torch.amp.GradScaler(device='cuda', init_scale=2.**16, growth_factor=2.0,
    backoff_factor=0.5, growth_interval=2000, enabled=True).

    Loss scaling keeps small float16 gradients from underflowing. chainrule's gradients are
    float32, so the scaler is always disabled, as torch's is when CUDA is not available (it warns
    once when asked to be enabled): scale(loss) returns loss unchanged, step(optimizer) calls
    optimizer.step(), unscale_() and update() do nothing, get_scale() is 1.0 and state_dict() {}.
    """

    def __init__(self, device="cuda", init_scale=2.0**16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        if enabled:
            warnings.warn("GradScaler is enabled, but chainrule computes in float32 on the CPU "
                          "and needs no loss scaling. Disabling.", UserWarning, stacklevel=2)
        self._device = device
        self._enabled = False
        self._init_scale, self._growth_factor = init_scale, growth_factor
        self._backoff_factor, self._growth_interval = backoff_factor, growth_interval

    def is_enabled(self):
        return self._enabled

    def scale(self, outputs):
        """outputs (a loss, or lists/tuples of them) unchanged."""
        return outputs

    def unscale_(self, optimizer):
        """Nothing to unscale: the gradients were never scaled."""

    def step(self, optimizer, *args, **kwargs):
        """optimizer.step(*args, **kwargs) (a closure included), and its return value."""
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        """Nothing to update."""

    def get_scale(self):
        return 1.0

    def get_growth_factor(self):
        return self._growth_factor

    def set_growth_factor(self, new_factor):
        self._growth_factor = new_factor

    def get_backoff_factor(self):
        return self._backoff_factor

    def set_backoff_factor(self, new_factor):
        self._backoff_factor = new_factor

    def get_growth_interval(self):
        return self._growth_interval

    def set_growth_interval(self, new_interval):
        self._growth_interval = new_interval

    def state_dict(self):
        """{}: a disabled scaler has no state (as torch's)."""
        return {}

    def load_state_dict(self, state_dict):
        """Accepted and ignored, as a disabled torch scaler does; it must still be a mapping."""
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"GradScaler.load_state_dict: expected a dict, got "
                            f"{type(state_dict).__name__}")
