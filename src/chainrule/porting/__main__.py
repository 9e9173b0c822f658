"""`python -m chainrule.porting script.py [args...]`: the same as `chainrule run script.py`."""
import sys

from chainrule.cli import main

sys.exit(main(["run", *sys.argv[1:]]))
