"""chainrule.utils: where PyTorch programs look for `utils.data`, so that
`from torch.utils.data import DataLoader` ports as `from chainrule.utils.data import DataLoader`."""
from chainrule.utils import checkpoint, data
