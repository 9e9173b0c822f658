"""torch.backends.cudnn's flags, with torch's defaults; setting them changes nothing here."""

benchmark = False
deterministic = False
enabled = True
allow_tf32 = True


def is_available():
    return False


def version():
    return None
