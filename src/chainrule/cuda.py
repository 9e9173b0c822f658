"""chainrule.cuda: answers as torch.cuda does on a machine without a GPU (the CuPy backend is
future work), so that `device = 'cuda' if cuda.is_available() else 'cpu'` runs unchanged."""


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """Nothing to seed without a GPU; accepted so that seeding code ports unchanged."""
