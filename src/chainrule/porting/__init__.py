"""Run unmodified PyTorch programs on chainrule: an import hook that maps `torch[.x.y]` to
chainrule[.x.y], and `run_script`, which the `chainrule run script.py` command calls.

    chainrule.porting.install()          # from here on, `import torch` gives chainrule
    with chainrule.porting.install(): ...   # or only inside this block

torch.compile and torch.jit.script/trace return the model unchanged (chainrule runs eagerly);
torchvision, torch.distributions, torch.hub ... are refused with what to use instead."""
from chainrule.porting.hook import RENAMED, install, is_installed, resolve, uninstall
from chainrule.porting.run import run_script

__all__ = ["RENAMED", "install", "is_installed", "resolve", "run_script", "uninstall"]
