"""What a rank of `chainrule run -n N` sees: the variables torchrun sets, its arguments, its
__name__, and which library `import torch` gives. Prints one JSON line per rank."""
import json
import os
import sys

import torch

NAMES = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
print(json.dumps({"rank": int(os.environ["RANK"]), "name": __name__, "argv": sys.argv[1:],
                  "library": type(torch.zeros(1)).__module__.split(".")[0],
                  "environment": {name: os.environ.get(name) for name in NAMES}}), flush=True)
