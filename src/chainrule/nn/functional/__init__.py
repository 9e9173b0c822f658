"""nn.functional: the functional forms of layers, activations and losses, as torch spells them.

One submodule per family; primitives are re-exported from chainrule.ops, compositions are written
in the submodules.
"""
from chainrule.nn.functional import (activation, attention, conv, dropout, linear, loss, norm,
                                     pool, recurrent)

# Until the families settle, every submodule's public names are exported here.
# (Replaced by an explicit list once they land.)
for _family in (activation, attention, conv, dropout, linear, loss, norm, pool, recurrent):
    for _name in _family.__all__:
        globals()[_name] = getattr(_family, _name)
