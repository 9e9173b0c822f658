"""chainrule.accelerator: torch.accelerator's answers on a machine with none (CPU only)."""


def is_available():
    return False


def current_accelerator(check_available=False):
    return None


def device_count():
    return 0
