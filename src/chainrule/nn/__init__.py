"""Neural-network building blocks: `nn.functional` now; modules, layers and losses follow."""
from chainrule.nn import functional
